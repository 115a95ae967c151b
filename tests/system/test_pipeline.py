"""A customer message flows through every service and comes out as one reply, in one trace."""

from __future__ import annotations

import json

import aiohttp
from devstack.services import PLATFORM_SERVICES
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from pymongo import MongoClient

from switchboard.core.contracts import (
    Channel,
    ChannelIds,
    MessageReceived,
    caused_envelope,
    new_envelope,
)
from switchboard.core.telemetry import JsonlSpanExporter
from switchboard.core.testing.harness import wait_until
from switchboard.core.topics import MESSAGE_RECEIVED


def _customer_message(text: str) -> MessageReceived:
    envelope = new_envelope(
        tenant_id="demo", conversation_id="system-test-1", customer_id="cust-1", channel=Channel.CHANNEL_WEB
    )
    return MessageReceived(
        envelope=envelope, text=text, language_hint="zh-CN", channel_ids=ChannelIds(message_id="client-msg-1")
    )


async def test_a_message_flows_through_every_service_in_one_trace(stack, infra, kafka_harness) -> None:
    stack.wait_ready()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonlSpanExporter(stack.spans_path)))
    with provider.get_tracer("system-test").start_as_current_span("customer turn") as root_span:
        message = _customer_message("我的订单 SB1001 到哪了？🚚")
        await kafka_harness.send(MESSAGE_RECEIVED, message)
    trace_id = format(root_span.get_span_context().trace_id, "032x")

    # Every step derives its event id from its cause, so the reply's id is known in advance.
    understood = caused_envelope(message.envelope, "nlu.understood")
    decided = caused_envelope(understood, "dialogue.decided")
    # NLU reads check_order with the order id; the dialogue's order form then asks for the phone digits.
    reply_id = caused_envelope(decided, "dialogue.reply").event_id

    with MongoClient(infra["mongo"], serverSelectionTimeoutMS=3000) as client:
        database = client[stack.database]
        delivery = await wait_until(lambda: database.deliveries.find_one({"_id": reply_id}), timeout_s=60)
        entry = await wait_until(lambda: database.transcript.find_one({"_id": reply_id}), timeout_s=30)
        assert delivery["conversation_id"] == "system-test-1"
        assert delivery["causation_id"] == decided.event_id
        assert entry["text"] == "为了核实身份，请提供下单手机号的后 4 位。"
        assert database.deliveries.count_documents({"conversation_id": "system-test-1"}) == 1

    def services_in_trace() -> set[str]:
        spans = [json.loads(line) for line in stack.spans_path.read_text().splitlines()]
        return {span["service"] for span in spans if span["trace_id"] == trace_id}

    # The platform's five services each add spans; a tenant's rasa_sdk action server has no telemetry of ours.
    platform = {spec.name for spec in PLATFORM_SERVICES}
    await wait_until(lambda: services_in_trace() >= platform, timeout_s=20)
    for name in stack.services:
        assert stack.readyz(name) == 200, name


async def test_a_policy_question_is_answered_from_the_knowledge_base_in_chinese(stack, infra, kafka_harness) -> None:
    stack.wait_ready()
    envelope = new_envelope(
        tenant_id="demo", conversation_id="system-test-policy", customer_id="cust-2", channel=Channel.CHANNEL_WEB
    )
    message = MessageReceived(envelope=envelope, text="运费多少钱？", channel_ids=ChannelIds(message_id="m-2"))
    await kafka_harness.send(MESSAGE_RECEIVED, message)
    decided = caused_envelope(caused_envelope(envelope, "nlu.understood"), "dialogue.decided")
    reply_id = caused_envelope(decided, "generator.reply").event_id
    with MongoClient(infra["mongo"], serverSelectionTimeoutMS=3000) as client:
        database = client[stack.database]
        entry = await wait_until(lambda: database.transcript.find_one({"_id": reply_id}), timeout_s=90)
        assert "运费" in entry["text"] and "99" in entry["text"], entry["text"]
        await wait_until(lambda: database.deliveries.find_one({"_id": reply_id}), timeout_s=30)
        assert database.deliveries.count_documents({"conversation_id": "system-test-policy"}) == 1


async def test_a_rasa_rest_client_gets_the_answer_through_every_service(stack) -> None:
    stack.wait_ready()
    url = f"http://127.0.0.1:{stack.services['ingest'].http_port}/webhooks/rest/webhook"
    body = {"sender": "rest-system-test", "message": "发票怎么开？", "metadata": {"message_id": "rest-1"}}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body, headers={"Authorization": "Bearer demo-rest-api-key"}) as response:
            assert response.status == 200
            replies = await response.json()
        async with session.post(
            url, json={**body, "message": "x"}, headers={"Authorization": "Bearer wrong"}
        ) as denied:
            assert denied.status in (401, 403)
    assert replies and replies[0]["recipient_id"] == "rest-system-test"
    # A question about the invoice policy is answered from the knowledge base, not routed into an order form.
    assert any("发票" in reply["text"] and "30天" in reply["text"] for reply in replies), replies
    assert not any("订单号" in reply["text"] for reply in replies), replies


async def test_the_demo_order_check_and_a_question_inside_the_form_through_every_service(stack) -> None:
    # The README's demo, as a Rasa REST client types it, read by the real NLU: the bare digits verify
    # the order, and a policy question inside a form gets its answer *and* the form's next question
    # in one response, in that order.
    stack.wait_ready()
    url = f"http://127.0.0.1:{stack.services['ingest'].http_port}/webhooks/rest/webhook"
    headers = {"Authorization": "Bearer demo-rest-api-key"}

    async def say(session: aiohttp.ClientSession, sender: str, text: str) -> list[str]:
        async with session.post(url, json={"sender": sender, "message": text}, headers=headers) as response:
            assert response.status == 200, await response.text()
            return [reply["text"] for reply in await response.json()]

    async with aiohttp.ClientSession() as session:
        assert any("后 4 位" in text for text in await say(session, "demo-check", "我的订单 SB1001 到哪了？"))
        shipped = await say(session, "demo-check", "3721")
        assert any("SF1234567890" in text for text in shipped), shipped
        assert any("订单号" in text for text in await say(session, "demo-return", "我要退货"))
        assert any("后 4 位" in text for text in await say(session, "demo-return", "SB1002"))
        replies = await say(session, "demo-return", "运费多少钱？")
    assert len(replies) == 2, replies
    answer, next_question = replies
    assert "99" in answer and "后 4 位" in next_question, replies


async def test_sigterm_drains_every_service_cleanly(stack) -> None:
    stack.wait_ready()
    codes = stack.terminate()
    assert codes == {name: 0 for name in stack.services}, {n: stack.services[n].log_tail(15) for n in stack.services}
