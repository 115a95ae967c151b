"""A tenant's handoff rules (``tenants/<id>/handoff.yaml``): which reasons escalate, how urgent, which queue.

The dialogue service and the generator detect *why* a customer needs a person (reason codes on a
``HandoffDecision``); these rules decide whether the tenant hands over for those reasons, with what
priority and to which queue, and add the reasons only the tenant knows (its VIP customers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, Field, ValidationError

from switchboard.core.contracts import Channel, HandoffReason, ReplyDecided
from switchboard.core.language import from_wire
from switchboard.core.tenants import Tenant
from switchboard.handoff.errors import HandoffConfigError

REASON_PREFIX = "HANDOFF_REASON_"
CHANNEL_NAMES = {Channel.CHANNEL_WEB: "web", Channel.CHANNEL_WECHAT: "wechat", Channel.CHANNEL_VOICE: "voice"}


class ReasonRule(BaseModel, extra="forbid"):
    enabled: bool = True
    priority: int = Field(10, ge=0, le=1000)


class QueueRule(BaseModel, extra="forbid"):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")
    topics: list[str] = Field(default_factory=list)


class HandoffRules(BaseModel, extra="forbid"):
    """One tenant's rules; every reason missing from ``reasons`` escalates at priority 10."""

    reasons: dict[str, ReasonRule] = Field(default_factory=dict)
    vip_customers: list[str] = Field(default_factory=list)
    aging_per_minute: float = Field(2.0, ge=0)
    average_handle_s: int = Field(240, ge=1)
    queues: list[QueueRule] = Field(default_factory=list)
    default_queue: str = "general"

    def rule(self, reason: str) -> ReasonRule:
        return self.reasons.get(reason, ReasonRule())

    def queue_for(self, topic: str) -> str:
        for queue in self.queues:
            if topic in queue.topics:
                return queue.name
        return self.default_queue

    @property
    def queue_names(self) -> list[str]:
        return sorted({self.default_queue, *(q.name for q in self.queues)})


@dataclass(frozen=True, slots=True)
class Escalation:
    """What the rules made of one handoff decision.

    ``language`` is what the customer writes (``zh``, ``en``, ``mixed``; empty when unknown), as read;
    ``TenantSetup.language`` turns it into the language the tenant serves them in.
    """

    reasons: tuple[str, ...]
    queue: str
    priority: int
    language: str
    channel: str
    topic: str


def reason_names(codes: list[int]) -> list[str]:
    """``HANDOFF_REASON_NEGATIVE_EMOTION`` -> ``NEGATIVE_EMOTION``; unknown codes read as UNSPECIFIED."""
    names = []
    for code in codes:
        try:
            name = HandoffReason.Name(code).removeprefix(REASON_PREFIX)
        except ValueError:
            name = "UNSPECIFIED"
        if name not in names:
            names.append(name)
    return names or ["UNSPECIFIED"]


def evaluate(rules: HandoffRules, decided: ReplyDecided) -> Escalation | None:
    """The escalation the tenant wants for ``decided`` (a handoff decision), or None to keep the bot.

    Only enabled reasons count; a VIP customer adds the VIP reason. Priority is the highest enabled
    reason's priority plus 5 for every further enabled reason, so several reasons outrank one.
    """
    handoff = decided.handoff
    reasons = reason_names(list(handoff.reasons))
    if decided.envelope.customer_id in rules.vip_customers and "VIP" not in reasons:
        reasons.append("VIP")
    enabled = [r for r in reasons if rules.rule(r).enabled]
    if not enabled:
        return None
    priorities = sorted((rules.rule(r).priority for r in enabled), reverse=True)
    language = from_wire(handoff.language or decided.language)
    return Escalation(
        reasons=tuple(enabled),
        queue=rules.queue_for(handoff.topic),
        priority=priorities[0] + 5 * (len(priorities) - 1),
        language=language,
        channel=CHANNEL_NAMES.get(decided.envelope.channel, ""),
        topic=handoff.topic,
    )


def within_agent_hours(tenant: Tenant, now: datetime) -> bool:
    """True when ``now`` (aware) falls in the tenant's agent hours, in the tenant's time zone."""
    local = now.astimezone(ZoneInfo(tenant.timezone)).time()
    start = time.fromisoformat(tenant.agent_hours.start)
    end = time.fromisoformat(tenant.agent_hours.end)
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def load_rules(path: Path) -> HandoffRules:
    """The rules in ``path``; a missing file means the defaults (every reason escalates)."""
    if not path.exists():
        return HandoffRules()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return HandoffRules(**raw)
    except (yaml.YAMLError, ValidationError, TypeError) as error:
        raise HandoffConfigError(f"{path}: {error}") from error
