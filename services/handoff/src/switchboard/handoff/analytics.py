"""Floor figures for supervisors, kept as a stream: the bookkeeping ``floor_stream`` runs on each event.

``FloorLedger.apply`` folds one ``FloorEvent`` into three tables (any mutable mapping: faust tables in
the service, dicts in unit tests); ``FloorLedger.figures`` reads a tenant's figures back. Times are
event times (the envelope's ``created_at``), in epoch seconds. Definitions:
- a *conversation* is counted at its first customer message (or its escalation, if the stream never
  saw a message of it);
- a conversation is *re-contacted* when the same customer starts another conversation, on any channel,
  after its last customer message and within 24 h of it (the bot did not solve it);
- a conversation is *automated* once 24 h passed after its last customer message with no handoff and
  no re-contact (settled); until then it is *pending* and counts as automated provisionally, so
  ``automation_rate`` is live and ``automation_rate_settled`` only counts conversations that settled.
  A handoff or a re-contact takes a conversation out of automated at any time;
- *handoff rate* per reason: conversations escalated for that reason / all conversations;
- *waiting time*: first ``queued`` -> first ``assigned`` of a handoff; *handling time*: that assignment
  -> ``returned_to_bot``. Averages count every handoff; medians the last ``RECENT_SAMPLES``;
- *CSAT*: the scores customers gave with the CSAT quick replies (``/csat{"score": n}``), 1 to 5.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from statistics import median
from typing import Any

RECONTACT_WINDOW_S = 24 * 3600.0
# How far behind the latest event time seen an event may arrive and still find the conversations it
# re-contacts: the stream reads its source topics' partitions side by side (and from the start after
# its tables are lost), so one conversation's messages can come after a later conversation's.
LATENESS_S = 7 * 24 * 3600.0
RECENT_SAMPLES = 500
HOURS_CHARTED = 24
CSAT_PAYLOAD = re.compile(r"^/csat(\{.*\})$")
KINDS = ("message", "reply", "escalated", "queued", "assigned", "returned")
STATUSES = ("automated", "recontacted", "handed_off")

Table = MutableMapping[str, Any]


def csat_score(text: str) -> int | None:
    match = CSAT_PAYLOAD.match(text.strip())
    if not match:
        return None
    try:
        score = json.loads(match.group(1)).get("score")
    except (ValueError, AttributeError):
        return None
    return score if isinstance(score, int) and 1 <= score <= 5 else None


@dataclass(frozen=True, slots=True)
class FloorEvent:
    """What the floor needs of one conversation event; ``kind`` is one of ``KINDS``."""

    kind: str
    event_id: str
    tenant_id: str
    conversation_id: str
    customer_id: str
    at: float
    reasons: tuple[str, ...] = ()
    csat: int | None = None
    source: str = ""

    def as_record(self) -> dict[str, Any]:
        return {**asdict(self), "reasons": list(self.reasons)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FloorEvent:
        return cls(**{**record, "reasons": tuple(record.get("reasons", ()))})


@dataclass(frozen=True, slots=True)
class Figures:
    conversations: int
    automated: int
    automated_settled: int
    pending: int
    recontacted: int
    automation_rate: float
    automation_rate_settled: float
    handoffs: int
    handoffs_by_reason: dict[str, int]
    handoff_rate_by_reason: dict[str, float]
    waiting_s: dict[str, float]
    handling_s: dict[str, float]
    csat_average: float | None
    csat_responses: int
    csat_distribution: dict[str, int]
    replies_by_source: dict[str, int]
    hourly: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _empty_tenant() -> dict[str, Any]:
    return {
        "clock": 0.0,
        "status": dict.fromkeys(STATUSES, 0),
        "pending": {},
        "reasons": {},
        "waiting": {"count": 0, "total": 0.0, "recent": []},
        "handling": {"count": 0, "total": 0.0, "recent": []},
        "csat": {},
        "replies": {},
        "hourly": {},
    }


def _hour(at: float) -> str:
    return str(int(at // 3600 * 3600))


def _count_hour(tenant: dict[str, Any], at: float, conversations: int = 0, handoffs: int = 0) -> None:
    started, escalated = tenant["hourly"].get(_hour(at), [0, 0])
    tenant["hourly"][_hour(at)] = [started + conversations, escalated + handoffs]


def _bump(counts: dict[str, Any], key: str, by: int = 1) -> None:
    counts[key] = counts.get(key, 0) + by


def _sample(durations: dict[str, Any], seconds: float) -> None:
    durations["count"] += 1
    durations["total"] += seconds
    durations["recent"] = [*durations["recent"], seconds][-RECENT_SAMPLES:]


def _summary(durations: dict[str, Any]) -> dict[str, float]:
    if not durations["count"]:
        return {"count": 0, "average": 0.0, "median": 0.0}
    return {
        "count": durations["count"],
        "average": round(durations["total"] / durations["count"], 1),
        "median": round(median(durations["recent"]), 1),
    }


class FloorLedger:
    """Folds floor events into per-conversation, per-customer and per-tenant state.

    Keys: ``conversations`` by ``tenant/conversation``, ``customers`` by ``tenant/customer`` (their recent
    conversations: 24 h plus ``LATENESS_S``), ``tenants`` by tenant. Every change is written back with
    ``table[key] = value``, never only mutated in place: that is what sends it to a faust table's changelog.
    Dropping redelivered events is the caller's job (event ids); ``apply`` itself is not idempotent.
    """

    def __init__(self, conversations: Table, customers: Table, tenants: Table) -> None:
        self.conversations = conversations
        self.customers = customers
        self.tenants = tenants

    def apply(self, event: FloorEvent) -> None:
        tenant = self.tenants.get(event.tenant_id) or _empty_tenant()
        tenant["clock"] = max(tenant["clock"], event.at)
        if event.kind == "reply":
            _bump(tenant["replies"], event.source or "UNSPECIFIED")
        elif event.kind in ("message", "escalated"):
            conversation = self._conversation(event, tenant)
            if event.kind == "message":
                self._message(event, tenant, conversation)
            else:
                self._escalated(event, tenant, conversation)
        elif event.kind in ("queued", "assigned", "returned"):
            self._handoff_step(event, tenant)
        self._settle(event.tenant_id, tenant)
        horizon = tenant["clock"] - 2 * HOURS_CHARTED * 3600
        tenant["hourly"] = {h: n for h, n in tenant["hourly"].items() if int(h) >= horizon}
        self.tenants[event.tenant_id] = tenant

    # -- conversations ------------------------------------------------------------------------------

    def _conversation(self, event: FloorEvent, tenant: dict[str, Any]) -> dict[str, Any]:
        key = f"{event.tenant_id}/{event.conversation_id}"
        conversation = self.conversations.get(key)
        if conversation is None:
            conversation = {
                "customer": event.customer_id,
                "first": event.at,
                "last": event.at,
                "status": "pending",
                "reasons": [],
                "handoff": None,
            }
            tenant["pending"][event.conversation_id] = event.at
            _count_hour(tenant, event.at, conversations=1)
        return conversation

    def _message(self, event: FloorEvent, tenant: dict[str, Any], conversation: dict[str, Any]) -> None:
        conversation["first"] = min(conversation["first"], event.at)
        conversation["last"] = max(conversation["last"], event.at)
        if conversation["status"] == "automated":  # the customer came back to it after it settled
            self._move(tenant, event.conversation_id, conversation, "pending")
        if conversation["status"] == "pending":
            tenant["pending"][event.conversation_id] = conversation["last"]
        if event.csat is not None:
            _bump(tenant["csat"], str(event.csat))
        self.conversations[f"{event.tenant_id}/{event.conversation_id}"] = conversation
        self._recontacts(event, tenant, conversation)

    def _recontacts(self, event: FloorEvent, tenant: dict[str, Any], conversation: dict[str, Any]) -> None:
        """Marks conversations of this customer that another of their conversations came back to."""
        key = f"{event.tenant_id}/{event.customer_id}"
        recent = dict(self.customers.get(key) or {})
        recent[event.conversation_id] = [conversation["first"], conversation["last"]]
        for other, (first, last) in recent.items():
            if other == event.conversation_id:
                continue
            if last < conversation["first"] <= last + RECONTACT_WINDOW_S:
                self._recontacted(event.tenant_id, tenant, other)
            if conversation["last"] < first <= conversation["last"] + RECONTACT_WINDOW_S:
                self._recontacted(event.tenant_id, tenant, event.conversation_id)
        horizon = tenant["clock"] - RECONTACT_WINDOW_S - LATENESS_S
        self.customers[key] = {c: span for c, span in recent.items() if span[1] >= horizon}

    def _recontacted(self, tenant_id: str, tenant: dict[str, Any], conversation_id: str) -> None:
        key = f"{tenant_id}/{conversation_id}"
        conversation = self.conversations.get(key)
        if conversation is not None and conversation["status"] in ("pending", "automated"):
            self._move(tenant, conversation_id, conversation, "recontacted")
            self.conversations[key] = conversation

    def _move(self, tenant: dict[str, Any], conversation_id: str, conversation: dict[str, Any], status: str) -> None:
        if conversation["status"] == "pending":
            tenant["pending"].pop(conversation_id, None)
        else:
            _bump(tenant["status"], conversation["status"], -1)
        if status != "pending":
            _bump(tenant["status"], status)
        conversation["status"] = status

    def _settle(self, tenant_id: str, tenant: dict[str, Any]) -> None:
        """Pending conversations whose 24 h passed (by the tenant's latest event time) become automated."""
        for conversation_id, last in list(tenant["pending"].items()):
            if last + RECONTACT_WINDOW_S <= tenant["clock"]:
                key = f"{tenant_id}/{conversation_id}"
                conversation = self.conversations.get(key)
                if conversation is not None:
                    self._move(tenant, conversation_id, conversation, "automated")
                    self.conversations[key] = conversation

    # -- handoffs -----------------------------------------------------------------------------------

    def _escalated(self, event: FloorEvent, tenant: dict[str, Any], conversation: dict[str, Any]) -> None:
        added = [r for r in dict.fromkeys(event.reasons) if r not in conversation["reasons"]]
        for reason in added:
            _bump(tenant["reasons"], reason)
        conversation["reasons"] = [*conversation["reasons"], *added]
        if conversation["status"] != "handed_off":
            self._move(tenant, event.conversation_id, conversation, "handed_off")
            _count_hour(tenant, event.at, handoffs=1)
        if conversation["handoff"] is None:
            conversation["handoff"] = {"queued": None, "assigned": None}
        self.conversations[f"{event.tenant_id}/{event.conversation_id}"] = conversation

    def _handoff_step(self, event: FloorEvent, tenant: dict[str, Any]) -> None:
        key = f"{event.tenant_id}/{event.conversation_id}"
        conversation = self.conversations.get(key)
        handoff = conversation and conversation["handoff"]
        if not handoff:
            return
        if event.kind == "queued" and handoff["queued"] is None:
            handoff["queued"] = event.at
        elif event.kind == "assigned" and handoff["assigned"] is None:
            if handoff["queued"] is not None:
                _sample(tenant["waiting"], max(0.0, event.at - handoff["queued"]))
            handoff["assigned"] = event.at
        elif event.kind == "returned":
            if handoff["assigned"] is not None:
                _sample(tenant["handling"], max(0.0, event.at - handoff["assigned"]))
            conversation["handoff"] = None
        self.conversations[key] = conversation

    # -- reading ------------------------------------------------------------------------------------

    def figures(self, tenant_id: str, now: float) -> Figures:
        """The tenant's figures at ``now``: pending conversations whose 24 h passed count as settled."""
        tenant = self.tenants.get(tenant_id) or _empty_tenant()
        status, pending = tenant["status"], tenant["pending"]
        settled_now = sum(1 for last in pending.values() if last + RECONTACT_WINDOW_S <= now)
        still_pending = len(pending) - settled_now
        total = len(pending) + sum(status.values())
        automated_settled = status["automated"] + settled_now
        automated = automated_settled + still_pending
        settled_total = total - still_pending
        csat_responses = sum(tenant["csat"].values())
        csat_total = sum(int(score) * n for score, n in tenant["csat"].items())
        reasons = dict(sorted(tenant["reasons"].items()))
        first_hour = int(now // 3600 * 3600) - (HOURS_CHARTED - 1) * 3600
        hourly = []
        for hour in range(first_hour, first_hour + HOURS_CHARTED * 3600, 3600):
            conversations, handoffs = tenant["hourly"].get(str(hour), [0, 0])
            hourly.append(
                {
                    "hour": datetime.fromtimestamp(hour, timezone.utc).isoformat(),
                    "conversations": conversations,
                    "handoffs": handoffs,
                }
            )
        return Figures(
            conversations=total,
            automated=automated,
            automated_settled=automated_settled,
            pending=still_pending,
            recontacted=status["recontacted"],
            automation_rate=round(automated / total, 4) if total else 0.0,
            automation_rate_settled=round(automated_settled / settled_total, 4) if settled_total else 0.0,
            handoffs=status["handed_off"],
            handoffs_by_reason=reasons,
            handoff_rate_by_reason={r: round(n / total, 4) for r, n in reasons.items()} if total else {},
            waiting_s=_summary(tenant["waiting"]),
            handling_s=_summary(tenant["handling"]),
            csat_average=round(csat_total / csat_responses, 2) if csat_responses else None,
            csat_responses=csat_responses,
            csat_distribution={str(s): tenant["csat"].get(str(s), 0) for s in range(1, 6)},
            replies_by_source=dict(sorted(tenant["replies"].items())),
            hourly=hourly,
        )
