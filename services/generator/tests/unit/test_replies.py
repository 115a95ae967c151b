"""The fallback reply answers in the customer's language and keeps the channel ids."""

from switchboard.core.contracts import (
    Channel,
    ChannelIds,
    GenerateDecision,
    Language,
    MessageReceived,
    ReplyDecided,
    ReplySource,
    new_envelope,
)
from switchboard.generator.replies import fallback_reply
from switchboard.generator.settings import FallbackSettings


def _decision(language: int) -> ReplyDecided:
    envelope = new_envelope(tenant_id="demo", conversation_id="c", customer_id="u", channel=Channel.CHANNEL_WECHAT)
    return ReplyDecided(
        envelope=envelope,
        generate=GenerateDecision(question="?"),
        language=language,
        message=MessageReceived(envelope=envelope, channel_ids=ChannelIds(user_id="openid-1", message_id="m1")),
    )


def test_fallback_is_in_the_customers_language() -> None:
    fallback = FallbackSettings()
    assert fallback_reply(_decision(Language.LANGUAGE_ZH), fallback).text == fallback.text_zh
    assert fallback_reply(_decision(Language.LANGUAGE_EN), fallback).text == fallback.text_en
    # Mixed Chinese-English text comes from Chinese speakers: answer in Chinese.
    assert fallback_reply(_decision(Language.LANGUAGE_MIXED), fallback).text == fallback.text_zh


def test_fallback_reply_is_addressed_like_the_message_and_reproducible() -> None:
    decision = _decision(Language.LANGUAGE_ZH)
    reply = fallback_reply(decision, FallbackSettings())
    assert reply.channel_ids.user_id == "openid-1"
    assert reply.source == ReplySource.REPLY_SOURCE_SYSTEM
    assert reply.envelope.causation_id == decision.envelope.event_id
    assert reply.envelope.event_id == fallback_reply(decision, FallbackSettings()).envelope.event_id
