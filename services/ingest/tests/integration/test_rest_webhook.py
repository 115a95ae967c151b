"""The Rasa-REST-compatible webhook on the real broker and database."""

from __future__ import annotations

import asyncio

import aiohttp

from switchboard.core.contracts import Channel
from switchboard.ingest.testing import Responder, reply_to

KEY = {"Authorization": "Bearer demo-rest-api-key"}


async def post(node, body, headers=KEY, **kwargs):
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{node.base_url}/webhooks/rest/webhook",
            headers=headers,
            **kwargs,
            **({"json": body} if body is not None else {}),
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_a_message_comes_back_as_rasa_messages_with_buttons(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    status, body = await post(node, {"sender": "alice", "message": "我的订单 SB1003 到哪了？🙂"})
    assert status == 200
    assert body == [
        {
            "recipient_id": "alice",
            "text": "echo: 我的订单 SB1003 到哪了？🙂",
            "buttons": [
                {"title": "查订单 Order", "payload": "/check_order"},
                {"title": "人工 Agent", "payload": "/human_agent"},
            ],
        }
    ]
    [message] = responder.received
    assert message.envelope.tenant_id == "demo" and message.envelope.channel == Channel.CHANNEL_WEB
    assert message.channel_ids.user_id == "alice"


async def test_several_replies_come_in_sequence_order(make_node) -> None:
    async def two(message):
        return [reply_to(message, "second", sequence=1, count=2), reply_to(message, "first", sequence=0, count=2)]

    node = await make_node(Responder(answer=two))
    status, body = await post(node, {"sender": "bob", "message": "hi"})
    assert status == 200 and [m["text"] for m in body] == ["first", "second"]
    assert "buttons" not in body[0]


async def test_the_wait_is_bounded_and_a_late_reply_is_kept_in_the_outbox(make_node) -> None:
    node = await make_node(Responder(delay_s=2.0), wait={"rest_s": 0.5})
    status, body = await post(node, {"sender": "carol", "message": "slow one"})
    assert status == 200 and body == []
    for _ in range(100):
        if node.db["deliveries"].count_documents({"status": "delivered"}) == 1:
            break
        await asyncio.sleep(0.1)
    assert node.db["deliveries"].count_documents({}) == 1


async def test_retries_with_the_same_message_id_publish_one_message(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    body = {"sender": "dave", "message": "once", "metadata": {"message_id": "m-1"}}
    results = await asyncio.gather(*(post(node, body) for _ in range(4)))
    assert all(status == 200 for status, _ in results)
    await asyncio.sleep(1.0)
    assert len(responder.received) == 1
    assert node.db["inbound_messages"].count_documents({}) == 1


async def test_bad_input_is_refused_with_a_reason(make_node) -> None:
    node = await make_node(Responder())
    assert (await post(node, {"sender": "x", "message": "hi"}, headers={}))[0] == 403
    assert (await post(node, {"sender": "x", "message": "hi"}, headers={"Authorization": "Bearer wrong"}))[0] == 403
    status, body = await post(node, None, data=b"{not json")
    assert status == 400 and "JSON" in body["error"]
    status, body = await post(node, {"message": "no sender"})
    assert status == 400 and "sender" in body["error"]
    status, body = await post(node, {"sender": "x", "message": ""})
    assert status == 400 and "no text" in body["error"]
    status, _ = await post(node, None, data=b"{" + b" " * 70_000 + b"}")
    assert status == 413
    status, _ = await post(node, {"sender": "x", "message": "字" * 4001})
    assert status == 413


async def test_rate_limits_per_customer_and_per_tenant(make_node) -> None:
    node = await make_node(Responder(), wait={"rest_s": 0.2}, limits={"customer_per_minute": 2, "tenant_per_minute": 3})
    codes = [(await post(node, {"sender": "eve", "message": f"m{i}"}))[0] for i in range(3)]
    assert codes == [200, 200, 429]
    assert (await post(node, {"sender": "frank", "message": "a"}))[0] == 200
    status, body = await post(node, {"sender": "grace", "message": "b"})
    assert status == 429 and "tenant" in body["error"]


async def test_a_phone_number_in_metadata_links_the_sender_to_the_caller(make_node) -> None:
    responder = Responder()
    node = await make_node(responder, wait={"rest_s": 0.2})
    await post(node, {"sender": "web-1", "message": "hi", "metadata": {"phone": "+8613800000000"}})
    await post(node, {"sender": "web-2", "message": "hi", "metadata": {"phone": "+8613800000000"}})
    await asyncio.sleep(0.5)
    assert len({m.envelope.customer_id for m in responder.received}) == 1
