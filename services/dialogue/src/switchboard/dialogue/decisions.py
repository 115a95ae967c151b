"""Builds the "reply decided" events the dialogue manager publishes."""

from __future__ import annotations

from switchboard.core.contracts import GenerateDecision, MessageUnderstood, ReplyDecided, caused_envelope


def generate_decision(event: MessageUnderstood) -> ReplyDecided:
    """Asks the generator to answer the customer's message; same id on every redelivery."""
    return ReplyDecided(
        envelope=caused_envelope(event.envelope, "dialogue.decided"),
        generate=GenerateDecision(
            question=event.message.text,
            intent=event.understanding.intent.name,
            emotion=event.understanding.emotion,
        ),
        language=event.understanding.language,
        message=event.message,
    )
