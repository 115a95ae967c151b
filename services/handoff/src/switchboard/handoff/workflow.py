"""What every step of the handoff workflow shares: the stores, the tenants' setups, the live hub,
publishing, the clock, and the envelopes of the events a step causes.

Events caused by a Kafka record take ids derived from it (``caused_envelope``); events an agent's
action causes take ids derived from the handoff and the step (``action_envelope``), so doing the
same step again republishes the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from google.protobuf.message import Message

from switchboard.core.contracts import SCHEMA_VERSION, ChannelIds, Envelope, HandoffEvent
from switchboard.core.copy import TenantCopy, default_copy
from switchboard.core.language import Code, reply_language
from switchboard.core.tenants import Tenant
from switchboard.core.topics import ConversationTopics, Topic
from switchboard.handoff.handoffs import Handoffs
from switchboard.handoff.live import LiveHub
from switchboard.handoff.rules import HandoffRules
from switchboard.handoff.transcript import Transcript

Publish = Callable[[Topic[Any], Message], Awaitable[None]]
Clock = Callable[[], datetime]
_ACTION_NAMESPACE = uuid.UUID("0d7f3f9e-6c1b-4c57-9a3e-2f7b1c9d8e41")


@dataclass(frozen=True, slots=True)
class TenantSetup:
    """A tenant, the handoff rules it configured and its copy (what customers are told: ``copy.yaml``);
    ``facts`` are the entities its domain declares, shown to agents as key facts."""

    tenant: Tenant
    rules: HandoffRules
    copy: TenantCopy = field(default_factory=default_copy)
    facts: tuple[str, ...] = ()

    def language(self, reading: str | None) -> Code:
        """The language to serve a customer in: what they write when the tenant serves it, else its default."""
        return reply_language(reading, self.tenant.default_language, self.tenant.languages)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Workflow:
    """The state the handoff steps work on; ``clock`` is settable so tests decide what time it is."""

    store: Handoffs
    transcript: Transcript
    tenants: dict[str, TenantSetup]
    publish: Publish
    hub: LiveHub = field(default_factory=LiveHub)
    topics: ConversationTopics = field(default_factory=ConversationTopics)
    clock: Clock = utc_now

    async def emit(self, envelope: Envelope, **event: dict[str, Any]) -> None:
        """Publishes one ``HandoffEvent`` (``event`` names its kind) on the handoff topic."""
        await self.publish(self.topics.handoff, HandoffEvent(envelope=envelope, **event))

    def action_envelope(self, handoff: dict[str, Any], step: str) -> Envelope:
        """Envelope of an event a console action causes, derived from the handoff and the step."""
        envelope = Envelope(
            event_id=str(uuid.uuid5(_ACTION_NAMESPACE, f"{handoff['_id']}/{step}")),
            tenant_id=handoff["tenant_id"],
            conversation_id=handoff["conversation_id"],
            customer_id=handoff["customer_id"],
            channel=handoff["channel"],
            causation_id=handoff.get("decision_event_id", ""),
            schema_version=SCHEMA_VERSION,
        )
        envelope.created_at.FromDatetime(self.clock())
        return envelope

    def entry_added(self, tenant_id: str, conversation_id: str, customer_id: str) -> None:
        """Tells open consoles that a conversation's transcript has a new entry."""
        self.hub.push(tenant_id, {"type": "entry", "conversation_id": conversation_id, "customer_id": customer_id})

    def queue_changed(self, tenant_id: str) -> None:
        """Tells open consoles to reload the tenant's queue."""
        self.hub.push(tenant_id, {"type": "queue"})


def channel_ids_document(ids: ChannelIds) -> dict[str, str]:
    """The channel ids a handoff keeps so agent replies reach the customer's own channel."""
    return {"message_id": ids.message_id, "user_id": ids.user_id, "account_id": ids.account_id}
