"""The event vocabulary: the generated protobuf messages and the rules for their envelopes.

Event ids: a turn's first event (a customer message) gets a random UUID v4. Every event caused by
another gets a UUID v5 derived from its cause and a step name, so a consumer that re-processes a
redelivered record republishes the *same* event id and every downstream dedup key still holds.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from google.protobuf.message import Message

from switchboard.api.events.v1.conversation_pb2 import (
    Attachment,
    ChannelHints,
    ChannelIds,
    Citation,
    DtmfMenu,
    GenerateDecision,
    HandoffDecision,
    HandoffReason,
    MessageReceived,
    MessageUnderstood,
    QuickReply,
    ReplyDecided,
    ReplyReady,
    ReplySource,
    TemplateDecision,
    Turn,
)
from switchboard.api.events.v1.envelope_pb2 import Channel, Envelope
from switchboard.api.events.v1.handoff_pb2 import (
    AgentAssigned,
    AgentReplied,
    ConversationEscalated,
    ConversationReturnedToBot,
    ConversationTransferred,
    HandoffCancelled,
    HandoffEvent,
    HandoffQueued,
)
from switchboard.api.events.v1.understanding_pb2 import (
    Emotion,
    EmotionLabel,
    Entity,
    IntentScore,
    Language,
    Understanding,
)
from switchboard.core import telemetry

SCHEMA_VERSION = 1
_CAUSED_EVENT_NAMESPACE = uuid.UUID("6f1c8a52-3b0e-4c8e-9a55-1d2f0c7e4b91")

__all__ = [
    "SCHEMA_VERSION",
    "AgentAssigned",
    "AgentReplied",
    "Attachment",
    "Channel",
    "ChannelHints",
    "ChannelIds",
    "Citation",
    "ConversationEscalated",
    "ConversationReturnedToBot",
    "ConversationTransferred",
    "DtmfMenu",
    "Emotion",
    "EmotionLabel",
    "Entity",
    "Envelope",
    "GenerateDecision",
    "HandoffCancelled",
    "HandoffDecision",
    "HandoffEvent",
    "HandoffQueued",
    "HandoffReason",
    "IntentScore",
    "Language",
    "MessageReceived",
    "MessageUnderstood",
    "QuickReply",
    "ReplyDecided",
    "ReplyReady",
    "ReplySource",
    "TemplateDecision",
    "Turn",
    "Understanding",
    "caused_envelope",
    "conversation_key",
    "envelope_of",
    "new_envelope",
]


def new_envelope(
    *,
    tenant_id: str,
    conversation_id: str,
    customer_id: str,
    channel: int,
    event_id: str | None = None,
) -> Envelope:
    """The envelope of an event that starts a turn; trace context taken from the current span."""
    envelope = Envelope(
        event_id=event_id or str(uuid.uuid4()),
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        customer_id=customer_id,
        channel=channel,
        schema_version=SCHEMA_VERSION,
    )
    _stamp(envelope)
    return envelope


def caused_envelope(cause: Envelope, step: str) -> Envelope:
    """The envelope of the event ``step`` produces in answer to ``cause``.

    Same conversation identity; ``causation_id`` points at the cause; the event id is derived
    from the cause's id and ``step``, so doing the same step again yields the same id.
    """
    envelope = Envelope(
        event_id=str(uuid.uuid5(_CAUSED_EVENT_NAMESPACE, f"{cause.event_id}/{step}")),
        tenant_id=cause.tenant_id,
        conversation_id=cause.conversation_id,
        customer_id=cause.customer_id,
        channel=cause.channel,
        causation_id=cause.event_id,
        schema_version=SCHEMA_VERSION,
    )
    _stamp(envelope)
    return envelope


def envelope_of(message: Message) -> Envelope:
    """The envelope of an event message (every event's field 1 is its envelope)."""
    envelope = getattr(message, "envelope", None)
    if not isinstance(envelope, Envelope):
        raise TypeError(f"{type(message).__name__} is not an event: it has no envelope")
    return envelope


def conversation_key(envelope: Envelope) -> bytes:
    """Kafka key: one conversation's events land on one partition, in order."""
    if not envelope.tenant_id or not envelope.conversation_id:
        raise ValueError("an event needs tenant_id and conversation_id to be keyed")
    return f"{envelope.tenant_id}/{envelope.conversation_id}".encode()


def _stamp(envelope: Envelope) -> None:
    envelope.created_at.FromDatetime(datetime.now(timezone.utc))
    carrier = telemetry.current_trace_carrier()
    envelope.traceparent = carrier.get("traceparent", "")
    envelope.tracestate = carrier.get("tracestate", "")
