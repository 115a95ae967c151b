"""Test helpers: build ``MessageUnderstood`` events the way the NLU service does, and read replies.

Used by this service's tests and by the benchmark; kept in the package so both build the same events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from switchboard.core.contracts import (
    Channel,
    ChannelIds,
    HandoffEvent,
    Language,
    MessageReceived,
    MessageUnderstood,
    ReplyDecided,
    new_envelope,
)
from switchboard.core.testing.events import reading

LANGUAGES = {"zh": Language.LANGUAGE_ZH, "en": Language.LANGUAGE_EN, "mixed": Language.LANGUAGE_MIXED}


def understood(
    conversation_id: str,
    text: str,
    intent: str,
    *,
    entities: dict[str, str] | None = None,
    language: str = "zh",
    emotion: str = "NEUTRAL",
    emotion_score: float = 0.5,
    confidence: float = 0.95,
    tenant_id: str = "demo",
    event_id: str | None = None,
) -> MessageUnderstood:
    """A reading of ``text`` as NLU would publish it (entity spans located in the text when present)."""
    envelope = new_envelope(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        customer_id=f"customer-{conversation_id}",
        channel=Channel.CHANNEL_WEB,
        event_id=event_id or str(uuid.uuid4()),
    )
    return MessageUnderstood(
        envelope=envelope,
        message=MessageReceived(envelope=envelope, text=text, channel_ids=ChannelIds(message_id=envelope.event_id)),
        understanding=reading(
            text,
            intent,
            confidence=confidence,
            entities=entities,
            emotion=emotion,
            emotion_score=emotion_score,
            language=language,
        ),
    )


def returned_to_bot(conversation_id: str, tenant_id: str = "demo") -> HandoffEvent:
    envelope = new_envelope(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        customer_id=f"customer-{conversation_id}",
        channel=Channel.CHANNEL_WEB,
    )
    event = HandoffEvent(envelope=envelope)
    event.returned_to_bot.agent_id = "agent-1"
    event.returned_to_bot.resolution = "resolved"
    return event


@dataclass
class Decisions:
    """The decisions of one turn, by kind, for assertions."""

    decided: list[ReplyDecided] = field(default_factory=list)

    @property
    def templates(self) -> list[str]:
        return [d.template.template_id for d in self.decided if d.WhichOneof("decision") == "template"]

    @property
    def texts(self) -> list[str]:
        return [d.template.text for d in self.decided if d.WhichOneof("decision") == "template"]

    @property
    def kinds(self) -> list[str]:
        return [d.WhichOneof("decision") for d in self.decided]

    def only(self, kind: str) -> ReplyDecided:
        matching = [d for d in self.decided if d.WhichOneof("decision") == kind]
        assert len(matching) == 1, f"expected one {kind} decision, got {self.kinds}"
        return matching[0]

    @classmethod
    def of(cls, messages: Iterable[object]) -> Decisions:
        return cls([m for m in messages if isinstance(m, ReplyDecided)])
