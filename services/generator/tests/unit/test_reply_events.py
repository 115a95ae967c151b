"""The fallback reply answers in the customer's language and keeps the channel ids."""

from switchboard.core.contracts import (
    Channel,
    ChannelIds,
    GenerateDecision,
    MessageReceived,
    ReplyDecided,
    ReplySource,
    new_envelope,
)
from switchboard.core.language import to_wire
from switchboard.generator.reply_events import fallback_reply
from switchboard.generator.settings import FallbackSettings


def _decision(language: str, **place: int) -> ReplyDecided:
    envelope = new_envelope(tenant_id="demo", conversation_id="c", customer_id="u", channel=Channel.CHANNEL_WECHAT)
    return ReplyDecided(
        envelope=envelope,
        generate=GenerateDecision(question="?"),
        language=to_wire(language),
        message=MessageReceived(envelope=envelope, channel_ids=ChannelIds(user_id="openid-1", message_id="m1")),
        **place,
    )


def test_fallback_is_in_the_customers_language() -> None:
    fallback = FallbackSettings()
    assert fallback_reply(_decision("zh"), fallback).text == fallback.text_zh
    assert fallback_reply(_decision("en"), fallback).text == fallback.text_en
    # Mixed Chinese-English text comes from Chinese speakers: answer in Chinese.
    assert fallback_reply(_decision("mixed"), fallback).text == fallback.text_zh


def test_fallback_reply_is_addressed_like_the_message_and_reproducible() -> None:
    decision = _decision("zh")
    reply = fallback_reply(decision, FallbackSettings())
    assert reply.channel_ids.user_id == "openid-1"
    assert reply.source == ReplySource.REPLY_SOURCE_SYSTEM
    assert reply.envelope.causation_id == decision.envelope.event_id
    assert reply.envelope.event_id == fallback_reply(decision, FallbackSettings()).envelope.event_id


def test_the_answer_keeps_its_place_among_the_turns_replies() -> None:
    # A question inside a form: the answer comes first, the form's next question second.
    reply = fallback_reply(_decision("zh", reply_sequence=0, reply_count=2), FallbackSettings())
    assert (reply.sequence, reply.sequence_count) == (0, 2)
    later = fallback_reply(_decision("zh", reply_sequence=2, reply_count=3), FallbackSettings())
    assert (later.sequence, later.sequence_count) == (2, 3)
    # Without a place (agent assist, an older producer) the answer is the turn's only reply.
    alone = fallback_reply(_decision("zh"), FallbackSettings())
    assert (alone.sequence, alone.sequence_count) == (0, 1)
