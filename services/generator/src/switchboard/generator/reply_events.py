"""Builds the events the generator publishes for one generate decision."""

from __future__ import annotations

import json

from switchboard.core.contracts import (
    Citation,
    HandoffDecision,
    HandoffReason,
    ReplyDecided,
    ReplyReady,
    ReplySource,
    caused_envelope,
)
from switchboard.core.language import detect, from_wire, reply_language, to_wire
from switchboard.generator.answering import Answer
from switchboard.generator.settings import FallbackSettings


def answer_language(decision: ReplyDecided) -> str:
    """``zh`` or ``en``: NLU's reading first, else the question itself (mixed text counts as Chinese)."""
    reading = from_wire(decision.language) or detect(decision.generate.question).dominant
    return reply_language(reading)


def reply_ready(decision: ReplyDecided, answer: Answer) -> ReplyReady:
    """The reply for ``decision``. Its id depends only on the decision, so a fallback and a late answer
    (or a redelivery) can never become two replies: the outbox keeps the first."""
    language = to_wire(answer_language(decision))
    reply = ReplyReady(
        envelope=caused_envelope(decision.envelope, "generator.reply"),
        text=answer.text,
        source=answer.source,
        language=language,
        # Its place among the turn's replies, as the dialogue decided (a decision without one, from
        # agent assist or an older producer, is the turn's only reply).
        sequence=decision.reply_sequence,
        sequence_count=max(decision.reply_count, 1),
        channel_ids=decision.message.channel_ids,
        citations=[Citation(**citation) for citation in answer.citations],
        in_reply_to=decision.message.envelope.event_id,
    )
    return reply


def fallback_answer(decision: ReplyDecided, fallback: FallbackSettings) -> Answer:
    text = fallback.text_zh if answer_language(decision) == "zh" else fallback.text_en
    return Answer(text, ReplySource.REPLY_SOURCE_SYSTEM)


def fallback_reply(decision: ReplyDecided, fallback: FallbackSettings) -> ReplyReady:
    return reply_ready(decision, fallback_answer(decision, fallback))


def handoff_decision(decision: ReplyDecided, answer: Answer) -> ReplyDecided:
    """Asks for a human when the knowledge base cannot answer even after a clarifying question."""
    return ReplyDecided(
        envelope=caused_envelope(decision.envelope, "generator.handoff"),
        handoff=HandoffDecision(
            reasons=[HandoffReason.HANDOFF_REASON_REPEATED_FALLBACK],
            detail=json.dumps({"question": decision.generate.question[:200]}, ensure_ascii=False),
            topic=decision.generate.intent,
            language=decision.language,
        ),
        language=decision.language,
        message=decision.message,
    )
