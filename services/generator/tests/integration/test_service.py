"""The generator's doors: generate decisions through the real broker, and the streaming gRPC call."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from switchboard.api.generator.v1 import generator_service_pb2 as pb
from switchboard.api.generator.v1 import generator_service_pb2_grpc as pb_grpc
from switchboard.core.contracts import (
    Channel,
    ChannelIds,
    GenerateDecision,
    Language,
    MessageReceived,
    ReplyDecided,
    ReplySource,
    TemplateDecision,
    Turn,
    caused_envelope,
    new_envelope,
)
from switchboard.core.topics import REPLY_DECIDED, REPLY_READY
from switchboard.generator.service import DecisionHandler, GeneratorServicer
from switchboard.generator.settings import FallbackSettings
from switchboard.generator.style import not_known


def _decision(
    question: str, language: int, *, conversation: str = "gen-1", history=(), deadline_ms: int = 0
) -> ReplyDecided:
    envelope = new_envelope(
        tenant_id="demo", conversation_id=conversation, customer_id="c", channel=Channel.CHANNEL_WECHAT
    )
    return ReplyDecided(
        envelope=envelope,
        generate=GenerateDecision(question=question, history=list(history), deadline_ms=deadline_ms),
        language=language,
        message=MessageReceived(envelope=envelope, text=question, channel_ids=ChannelIds(user_id="openid-9")),
    )


async def _handler(make_answerer, kafka_harness, private_topic, model=None, **kwargs):
    replies = await private_topic(REPLY_READY)
    decisions = await private_topic(REPLY_DECIDED)
    handler = DecisionHandler(
        make_answerer(model),
        kafka_harness.publisher.publish,
        fallback=FallbackSettings(),
        default_deadline_ms=kwargs.get("deadline_ms", 20000),
        replies=replies,
        decisions=decisions,
    )
    return handler, replies, decisions


async def test_a_generate_decision_is_answered_once_on_the_outbound_topic(
    make_answerer, kafka_harness, private_topic
) -> None:
    handler, replies, _ = await _handler(make_answerer, kafka_harness, private_topic)
    decision = _decision("发票怎么开？", Language.LANGUAGE_ZH)
    await handler(decision)
    await handler(decision)  # a redelivery: same reply id, so delivery dedups it
    first, second = await kafka_harness.expect(replies, 2)
    assert (
        first.envelope.event_id
        == second.envelope.event_id
        == caused_envelope(decision.envelope, "generator.reply").event_id
    )
    assert "30天" in first.text and first.source == ReplySource.REPLY_SOURCE_EXTRACTIVE
    assert first.citations[0].source.startswith("invoices.zh.md")
    assert first.channel_ids.user_id == "openid-9" and first.language == Language.LANGUAGE_ZH


async def test_other_decisions_are_left_to_other_services(make_answerer, kafka_harness, private_topic) -> None:
    handler, replies, _ = await _handler(make_answerer, kafka_harness, private_topic)
    envelope = new_envelope(tenant_id="demo", conversation_id="t", customer_id="c", channel=Channel.CHANNEL_WEB)
    await handler(ReplyDecided(envelope=envelope, template=TemplateDecision(text="hi")))
    await kafka_harness.expect_none(replies.name, within_s=1.5)


async def test_after_the_offer_of_a_colleague_an_unanswerable_question_goes_to_a_human(
    make_answerer, kafka_harness, private_topic
) -> None:
    handler, replies, decisions = await _handler(make_answerer, kafka_harness, private_topic)
    asked = Turn(speaker=Turn.SPEAKER_BOT, text=not_known("en"))
    await handler(_decision("tell me about your boss", Language.LANGUAGE_EN, history=[asked]))
    [handoff] = await kafka_harness.expect(decisions, 1)
    [reply] = await kafka_harness.expect(replies, 1)
    assert handoff.WhichOneof("decision") == "handoff" and handoff.handoff.reasons
    assert "colleague" in reply.text


async def test_a_slow_model_yields_the_fallback_at_the_deadline_and_nothing_later(
    make_answerer, scripted, kafka_harness, private_topic
) -> None:
    class Slow(scripted):
        async def stream(self, messages, *, max_new_tokens, deadline=None):
            await asyncio.sleep(30)
            yield "too late"

    handler, replies, _ = await _handler(make_answerer, kafka_harness, private_topic, Slow())
    await handler(_decision("How long does a refund take?", Language.LANGUAGE_EN, deadline_ms=1500))
    [reply] = await kafka_harness.expect(replies, 1)
    assert reply.text == FallbackSettings().text_en and reply.source == ReplySource.REPLY_SOURCE_SYSTEM
    await asyncio.sleep(2)
    with pytest.raises(AssertionError):  # the cancelled answer never arrives as a second reply
        await kafka_harness.expect(replies, 2, timeout_s=2)


@pytest.fixture()
async def grpc_stub(make_answerer, scripted):
    model = scripted(
        "Refunds go back to the original payment method within 3-5 business days "
        "after the warehouse receives the return."
    )
    server = grpc.aio.server()
    pb_grpc.add_GeneratorServiceServicer_to_server(
        GeneratorServicer(make_answerer(model), default_deadline_ms=20000), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield pb_grpc.GeneratorServiceStub(channel), model
    await channel.close()
    await server.stop(grace=None)


async def test_grpc_generate_streams_deltas_then_the_vetted_answer(grpc_stub) -> None:
    stub, model = grpc_stub
    request = pb.GenerateRequest(
        tenant_id="demo",
        context=GenerateDecision(question="When do I get my refund?", personal=True),
        language=Language.LANGUAGE_EN,
    )
    responses = [response async for response in stub.Generate(request, timeout=30)]
    *deltas, final = responses
    assert len(deltas) > 3 and "".join(d.delta for d in deltas) == model.draft
    assert final.done and final.text == model.draft and final.source == ReplySource.REPLY_SOURCE_GENERATED
    assert final.citations and final.citations[0].source.endswith("#when-the-money-comes-back")


async def test_grpc_generate_rejects_an_empty_question(grpc_stub) -> None:
    stub, _ = grpc_stub
    with pytest.raises(grpc.aio.AioRpcError) as error:
        [r async for r in stub.Generate(pb.GenerateRequest(tenant_id="demo"), timeout=10)]
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
