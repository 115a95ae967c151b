"""Every Kafka topic, declared once: its name, message type, partition count and key.

All conversation topics are keyed ``tenant_id/conversation_id`` (see ``contracts.conversation_key``):
one conversation is ordered on one partition and handled by one consumer at a time, which is
also what serialises dialogue turns without a lock store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from google.protobuf.message import Message

from switchboard.core.contracts import (
    HandoffEvent,
    MessageReceived,
    MessageUnderstood,
    ReplyDecided,
    ReplyReady,
    conversation_key,
    envelope_of,
)

M = TypeVar("M", bound=Message)

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True, slots=True)
class Topic(Generic[M]):
    """A topic and the one protobuf message type it carries."""

    name: str
    message_type: type[M]
    partitions: int = 6
    # Dead-letter topics keep poison records for people to inspect; they are never consumed.
    dlq_partitions: int = 1

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    @property
    def event_type(self) -> str:
        """Full protobuf name, repeated in the ``event-type`` header of every record."""
        return self.message_type.DESCRIPTOR.full_name

    def key(self, message: M) -> bytes:
        return conversation_key(envelope_of(message))

    def encode(self, message: M) -> bytes:
        if not isinstance(message, self.message_type):
            raise TypeError(f"{self.name} carries {self.event_type}, not {type(message).__name__}")
        return message.SerializeToString()

    def decode(self, payload: bytes) -> M:
        """Parses a record value; raises ``google.protobuf.message.DecodeError`` on garbage."""
        message = self.message_type()
        message.ParseFromString(payload)
        return message

    def renamed(self, name: str) -> Topic[M]:
        """The same contract under another name (tests use private topics)."""
        return replace(self, name=name)


MESSAGE_RECEIVED: Topic[MessageReceived] = Topic("conversation.inbound.v1", MessageReceived)
MESSAGE_UNDERSTOOD: Topic[MessageUnderstood] = Topic("conversation.understood.v1", MessageUnderstood)
REPLY_DECIDED: Topic[ReplyDecided] = Topic("conversation.decided.v1", ReplyDecided)
REPLY_READY: Topic[ReplyReady] = Topic("conversation.outbound.v1", ReplyReady)
HANDOFF_EVENTS: Topic[HandoffEvent] = Topic("conversation.handoff.v1", HandoffEvent)


@dataclass(frozen=True, slots=True)
class ConversationTopics:
    """The conversation topics a service reads and writes; tests pass private copies of them."""

    inbound: Topic[MessageReceived] = MESSAGE_RECEIVED
    understood: Topic[MessageUnderstood] = MESSAGE_UNDERSTOOD
    decided: Topic[ReplyDecided] = REPLY_DECIDED
    outbound: Topic[ReplyReady] = REPLY_READY
    handoff: Topic[HandoffEvent] = HANDOFF_EVENTS


ALL_TOPICS: tuple[Topic, ...] = (
    MESSAGE_RECEIVED,
    MESSAGE_UNDERSTOOD,
    REPLY_DECIDED,
    REPLY_READY,
    HANDOFF_EVENTS,
)
