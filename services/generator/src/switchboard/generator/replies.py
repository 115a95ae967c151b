"""Builds the "reply ready" events the generator publishes."""

from __future__ import annotations

from switchboard.core.contracts import Language, ReplyDecided, ReplyReady, ReplySource, caused_envelope
from switchboard.generator.settings import FallbackSettings


def fallback_reply(decision: ReplyDecided, fallback: FallbackSettings) -> ReplyReady:
    """The fallback reply to ``decision``, in the customer's language; same id on every redelivery."""
    text = fallback.text_zh if decision.language == Language.LANGUAGE_ZH else fallback.text_en
    return ReplyReady(
        envelope=caused_envelope(decision.envelope, "generator.reply"),
        text=text,
        source=ReplySource.REPLY_SOURCE_SYSTEM,
        language=decision.language,
        sequence=0,
        sequence_count=1,
        channel_ids=decision.message.channel_ids,
    )
