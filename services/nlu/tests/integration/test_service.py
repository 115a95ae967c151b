"""The NLU service end to end: events in and out on real Kafka, Rasa-compatible HTTP, gRPC, bad input, reload."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import grpc
import pytest

from switchboard.api.nlu.v1.nlu_service_pb2 import ParseRequest, ParseResponse
from switchboard.api.nlu.v1.nlu_service_pb2_grpc import NluServiceStub
from switchboard.core.contracts import (
    Channel,
    EmotionLabel,
    Language,
    MessageReceived,
    caused_envelope,
    new_envelope,
)
from switchboard.nlu.model_store import ModelStore


def customer_message(text: str, tenant: str = "demo", hint: str = "") -> MessageReceived:
    envelope = new_envelope(
        tenant_id=tenant, conversation_id=f"c-{uuid.uuid4().hex[:8]}", customer_id="u1", channel=Channel.CHANNEL_WEB
    )
    return MessageReceived(envelope=envelope, text=text, language_hint=hint)


async def post(service, body: bytes | dict) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        kwargs = {"json": body} if isinstance(body, dict) else {"data": body}
        async with session.post(f"{service.base_url}/model/parse", **kwargs) as response:
            return response.status, await response.json()


async def test_messages_are_understood_in_batches_and_redelivery_keeps_the_id(
    start_nlu, trained_store, kafka_harness
) -> None:
    service = await start_nlu(trained_store)
    messages = [
        customer_message("我的订单SB1003到哪了？明天能到吗😡"),
        customer_message("I want to return my earbuds, they arrived broken"),
        customer_message("我的 refund 怎么还没到"),
        customer_message("", hint="en-US"),  # DTMF only or an attachment
        customer_message("转人工" * 2000),  # longer than the limit: read from its start, never refused
    ]
    await kafka_harness.send(service.inbound, *messages, messages[0])
    readings = await kafka_harness.expect(service.outbound, 6)
    by_cause = {r.envelope.causation_id: r for r in readings}
    first = by_cause[messages[0].envelope.event_id]
    assert first.envelope.event_id == caused_envelope(messages[0].envelope, "nlu.understood").event_id
    assert sum(r.envelope.event_id == first.envelope.event_id for r in readings) == 2
    assert first.understanding.intent.name == "check_order"
    assert {(e.entity, e.value) for e in first.understanding.entities} >= {("order_id", "SB1003")}
    assert first.understanding.language == Language.LANGUAGE_ZH
    assert first.understanding.emotion.label == EmotionLabel.EMOTION_LABEL_ANGRY
    assert first.understanding.model_version == trained_store.latest("demo")
    english = by_cause[messages[1].envelope.event_id].understanding
    # A return because the item came broken is the damaged-item task (the shop pays the return).
    assert (english.intent.name, english.language) == ("damaged_item", Language.LANGUAGE_EN)
    assert by_cause[messages[2].envelope.event_id].understanding.language == Language.LANGUAGE_MIXED
    empty = by_cause[messages[3].envelope.event_id].understanding
    assert (empty.intent.name, empty.language) == ("", Language.LANGUAGE_EN)
    assert by_cause[messages[4].envelope.event_id].understanding.intent.name == "human_agent"
    async with aiohttp.ClientSession() as session, session.get(f"{service.base_url}/metrics") as response:
        metrics = await response.text()
    assert 'switchboard_nlu_parse_seconds_count{path="kafka"}' in metrics
    assert "switchboard_nlu_batch_size_count" in metrics


async def test_a_message_of_an_unknown_tenant_goes_to_the_dead_letter_topic(
    start_nlu, trained_store, kafka_harness
) -> None:
    service = await start_nlu(trained_store)
    await kafka_harness.send(service.inbound, customer_message("你好", tenant="nobody"))
    [record] = await kafka_harness.expect_records(f"{service.inbound.name}.dlq", 1)
    assert any(b"UnknownTenantError" in value for _, value in record.headers)


async def test_http_parse_is_rasa_compatible(start_nlu, trained_store) -> None:
    service = await start_nlu(trained_store)
    status, body = await post(service, {"text": "手机尾号5678的订单上周五买的充电宝还没到", "tenant": "demo"})
    assert status == 200
    assert body["intent"]["name"] == "check_order" and body["intent_ranking"][0] == body["intent"]
    assert {(e["entity"], e["value"]) for e in body["entities"]} >= {
        ("phone_last4", "5678"),
        ("product", "PowerCube 20000"),
    }
    assert all({"entity", "value", "start", "end", "confidence"} <= set(e) for e in body["entities"])
    assert body["language"] == "zh" and body["emotion"]["label"] in {"frustrated", "neutral"}
    status, body = await post(service, {"text": "hello there"})  # no tenant: the default tenant
    assert (status, body["intent"]["name"], body["language"]) == (200, "greet", "en")


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"text": ""}, 400, "InvalidText"),
        ({"text": "x" * 100_000}, 413, "PayloadTooLarge"),
        ({"text": "好" * 2001}, 400, "InvalidText"),
        (b'{"text": "\xff\xfe bad"}', 400, "InvalidUTF8"),
        (b"not json", 400, "BadRequest"),
        ({"txt": "missing text"}, 400, "BadRequest"),
        ({"text": "你好", "tenant": "nobody"}, 404, "UnknownTenant"),
        ({"text": "你好", "tenant": "../../etc"}, 404, "UnknownTenant"),
    ],
)
async def test_http_bad_input_gets_a_clear_error(start_nlu, trained_store, body, status: int, reason: str) -> None:
    service = await start_nlu(trained_store)
    got_status, got = await post(service, body)
    assert (got_status, got["reason"], got["status"]) == (status, reason, "failure")
    assert got["message"]


async def test_grpc_parse_and_its_errors(start_nlu, trained_store) -> None:
    service = await start_nlu(trained_store)
    async with grpc.aio.insecure_channel(service.grpc_target) as channel:
        stub = NluServiceStub(channel)
        response = await stub.Parse(ParseRequest(tenant_id="demo", text="I need an invoice for order SB2045 please"))
        assert response.understanding.intent.name == "invoice"
        assert [e.value for e in response.understanding.entities if e.entity == "order_id"] == ["SB2045"]
        assert response.understanding.language == Language.LANGUAGE_EN
        for request, code in (
            (ParseRequest(tenant_id="demo", text=""), grpc.StatusCode.INVALID_ARGUMENT),
            (ParseRequest(tenant_id="demo", text="x" * 100_000), grpc.StatusCode.INVALID_ARGUMENT),
            (ParseRequest(tenant_id="nobody", text="hi"), grpc.StatusCode.NOT_FOUND),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as failure:
                await stub.Parse(request)
            assert failure.value.code() == code and failure.value.details()
        # Field 2 (text) holding bytes that are not UTF-8, sent raw past the client's serializer.
        raw = channel.unary_unary(
            "/switchboard.api.nlu.v1.NluService/Parse", response_deserializer=ParseResponse.FromString
        )
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await raw(b"\x0a\x04demo\x12\x03\xff\xfe\xfd")
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "UTF-8" in failure.value.details()


async def test_the_service_trains_a_missing_model_at_start_and_reloads_new_versions(start_nlu, tmp_path) -> None:
    service = await start_nlu()
    store = ModelStore(service.settings.models_dir)
    first = store.latest("demo")
    assert first is not None
    _, body = await post(service, {"text": "你好"})
    assert body["model_version"] == first
    model = store.load("demo", first)
    second = store.save("demo", model)
    assert second > first
    for _ in range(50):
        _status, body = await post(service, {"text": "你好"})
        if body["model_version"] == second:
            break
        await asyncio.sleep(0.2)
    assert body["model_version"] == second
