"""Web chat over WebSocket: signed sessions, Origin allow-list, dedup on resend, streaming, handoff."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp
import pytest

from switchboard.core.contracts import (
    AgentAssigned,
    Citation,
    HandoffEvent,
    HandoffQueued,
    Language,
    ReplySource,
    caused_envelope,
)
from switchboard.ingest.testing import Responder, reply_to

ORIGIN = {"Origin": "http://127.0.0.1:8080"}


async def session(http, node, token: str = "", origin=ORIGIN) -> dict:
    async with http.post(f"{node.base_url}/chat/demo/session", data=json.dumps({"token": token}), headers=origin) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def next_frame(ws, kind: str, timeout: float = 10.0) -> dict:
    while True:
        frame = json.loads((await asyncio.wait_for(ws.receive(), timeout)).data)
        if frame["type"] == kind:
            return frame


async def test_converse_and_resend_after_reconnect_without_duplicates(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    async with aiohttp.ClientSession() as http:
        token = (await session(http, node))["token"]
        async with http.ws_connect(f"{node.base_url}/ws?token={token}", headers=ORIGIN) as ws:
            ready = await next_frame(ws, "ready")
            assert ready["history"] == []
            await ws.send_json({"type": "message", "id": "c-1", "text": "<b>你好</b> 👋"})
            ack = await next_frame(ws, "ack")
            assert ack["id"] == "c-1" and ack["duplicate"] is False
            reply = await next_frame(ws, "reply")
            assert reply["text"] == "echo: <b>你好</b> 👋" and reply["quick_replies"][0]["payload"] == "/check_order"
        # Reconnect (same token) and resend the same client message id: acknowledged, not published again.
        token = (await session(http, node, token))["token"]
        async with http.ws_connect(f"{node.base_url}/ws?token={token}", headers=ORIGIN) as ws:
            ready = await next_frame(ws, "ready")
            assert [item["type"] for item in ready["history"]] in (["sent"], ["sent", "reply"])
            assert ready["history"][0] == {"type": "sent", "id": "c-1", "text": "<b>你好</b> 👋"}
            await ws.send_json({"type": "message", "id": "c-1", "text": "<b>你好</b> 👋"})
            assert (await next_frame(ws, "ack"))["duplicate"] is True
    await asyncio.sleep(0.5)
    assert len(responder.received) == 1


async def test_the_conversation_comes_from_the_token_never_from_the_client(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    async with aiohttp.ClientSession() as http:
        first = await session(http, node)
        second = await session(http, node)
        assert first["conversation_id"] != second["conversation_id"]
        async with http.ws_connect(f"{node.base_url}/ws?token={first['token']}", headers=ORIGIN) as ws:
            await next_frame(ws, "ready")
            await ws.send_json(
                {"type": "message", "id": "x", "text": "hi", "conversation_id": second["conversation_id"]}
            )
            await next_frame(ws, "reply")
    assert responder.received[0].envelope.conversation_id == first["conversation_id"]


@pytest.mark.parametrize("case", ["no-token", "forged", "other-origin", "no-origin"])
async def test_handshake_refuses_bad_tokens_and_origins(make_node, case: str) -> None:
    node = await make_node()
    async with aiohttp.ClientSession() as http:
        token = (await session(http, node))["token"]
        payload, signature = token.split(".")
        query = {"no-token": "", "forged": f"{payload}.{signature[:-2]}AA"}.get(case, token)
        headers = {"other-origin": {"Origin": "https://evil.example"}, "no-origin": {}}.get(case, ORIGIN)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{node.base_url}/ws?token={query}", headers=headers)
        assert refused.value.status == 403
        async with http.post(
            f"{node.base_url}/chat/demo/session", data="{}", headers={"Origin": "https://evil.example"}
        ) as r:
            assert r.status == 403


async def test_partial_replies_stream_then_the_final_one_replaces_them(make_node) -> None:
    node = await make_node()
    async with aiohttp.ClientSession() as http:
        token = (await session(http, node))["token"]
        async with http.ws_connect(f"{node.base_url}/ws?token={token}", headers=ORIGIN) as ws:
            await next_frame(ws, "ready")
            await ws.send_json({"type": "message", "id": "s-1", "text": "stream please"})
            assert (await next_frame(ws, "typing"))["on"] is True
            [message] = await wait_for_inbound(node)
            final = reply_to(message, "Hello there, friend.")
            for text in ("Hello", "Hello there,"):
                partial = reply_to(message, text)
                partial.partial = True
                partial.stream_id = final.envelope.event_id
                partial.envelope.event_id = f"{final.envelope.event_id}-{len(text)}"
                await node.publish_reply(partial)
            await node.publish_reply(final)
            frames = [await next_frame(ws, "reply") for _ in range(3)]
    assert [(f["text"], f["partial"]) for f in frames] == [
        ("Hello", True),
        ("Hello there,", True),
        ("Hello there, friend.", False),
    ]
    assert len({f["stream_id"] for f in frames}) == 1
    await asyncio.sleep(0.5)
    assert node.db["deliveries"].count_documents({}) == 1  # partial text is never stored or delivered


async def test_citations_reach_the_socket_and_come_back_with_the_history(make_node) -> None:
    async def cited(message):
        citation = Citation(source="returns.md#return-shipping", title="退货 / 退货运费", score=0.9)
        return [reply_to(message, "退货运费由我们承担。", language=Language.LANGUAGE_ZH, citations=[citation])]

    node = await make_node(Responder(answer=cited))
    expected = [{"title": "退货 / 退货运费", "source": "returns.md#return-shipping"}]
    async with aiohttp.ClientSession() as http:
        token = (await session(http, node))["token"]
        async with http.ws_connect(f"{node.base_url}/ws?token={token}", headers=ORIGIN) as ws:
            await next_frame(ws, "ready")
            await ws.send_json({"type": "message", "id": "k-1", "text": "退货运费谁出？"})
            live = await next_frame(ws, "reply")
            assert (live["citations"], live["language"]) == (expected, "zh")
        # A reply stored before citations were kept has neither field: it still replays, without sources.
        older = await wait_for_document(node, live["id"])
        older.pop("citations")
        older.pop("language")
        older.update(_id="older-reply", text="旧的回复", created_at=older["created_at"] - timedelta(seconds=1))
        node.db["deliveries"].insert_one(older)
        token = (await session(http, node, token))["token"]
        async with http.ws_connect(f"{node.base_url}/ws?token={token}", headers=ORIGIN) as ws:
            history = (await next_frame(ws, "ready"))["history"]
    replies = {item["id"]: item for item in history if item["type"] == "reply"}
    assert (replies[live["id"]]["citations"], replies[live["id"]]["language"]) == (expected, "zh")
    assert (replies["older-reply"]["citations"], replies["older-reply"]["language"]) == ([], "")


async def test_handoff_events_and_agent_replies_reach_the_socket(make_node) -> None:
    node = await make_node()
    async with aiohttp.ClientSession() as http:
        token = (await session(http, node))["token"]
        async with http.ws_connect(f"{node.base_url}/ws?token={token}", headers=ORIGIN) as ws:
            await next_frame(ws, "ready")
            await ws.send_json({"type": "message", "id": "h-1", "text": "转人工"})
            [message] = await wait_for_inbound(node)
            queued = HandoffEvent(
                envelope=caused_envelope(message.envelope, "queued"),
                queued=HandoffQueued(queue="general", position=3, estimated_wait_seconds=120),
            )
            await node.publish_handoff(queued)
            assert await next_frame(ws, "handoff") == {
                "type": "handoff",
                "state": "queued",
                "position": 3,
                "wait_s": 120,
            }
            assigned = HandoffEvent(
                envelope=caused_envelope(message.envelope, "assigned"),
                assigned=AgentAssigned(agent_id="a1", agent_name="李娜"),
            )
            await node.publish_handoff(assigned)
            assert (await next_frame(ws, "handoff"))["agent_name"] == "李娜"
            await node.publish_reply(
                reply_to(
                    message, "您好，我是李娜。", source=ReplySource.REPLY_SOURCE_AGENT, agent_name="李娜", step="agent"
                )
            )
            assert (await next_frame(ws, "reply"))["agent_name"] == "李娜"


async def test_bad_frames_and_rate_limits_answer_errors_without_closing(make_node) -> None:
    node = await make_node(limits={"customer_per_minute": 1})
    async with aiohttp.ClientSession() as http:
        token = (await session(http, node))["token"]
        async with http.ws_connect(f"{node.base_url}/ws?token={token}", headers=ORIGIN) as ws:
            await next_frame(ws, "ready")
            await ws.send_str("not json")
            assert (await next_frame(ws, "error"))["status"] == 400
            await ws.send_json({"type": "message", "id": "big", "text": "字" * 4001})
            assert (await next_frame(ws, "error"))["status"] == 413
            await ws.send_json({"type": "message", "id": "r-1", "text": "one"})
            await next_frame(ws, "ack")
            await ws.send_json({"type": "message", "id": "r-2", "text": "two"})
            error = await next_frame(ws, "error")
            assert error["status"] == 429 and error["id"] == "r-2"
            assert not ws.closed


async def test_the_widget_assets_are_served(make_node) -> None:
    node = await make_node()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{node.base_url}/chat") as r:
            assert r.status == 200 and "/chat/widget.js" in await r.text()
        async with http.get(f"{node.base_url}/chat/widget.js") as r:
            script = await r.text()
            assert r.status == 200 and "innerHTML" not in script  # rendered text is never parsed as HTML
        async with http.get(f"{node.base_url}/chat/widget.css") as r:
            assert r.status == 200


async def wait_for_document(node, reply_id: str) -> dict:
    for _ in range(100):
        document = node.db["deliveries"].find_one({"_id": reply_id})
        if document is not None:
            return document
        await asyncio.sleep(0.1)
    raise AssertionError("reply not stored")


async def wait_for_inbound(node, count: int = 1):
    from switchboard.core.contracts import MessageReceived

    for _ in range(100):
        documents = list(node.db["inbound_messages"].find({}))
        if len(documents) >= count:
            return [MessageReceived.FromString(bytes(d["message"])) for d in documents]
        await asyncio.sleep(0.1)
    raise AssertionError("no inbound message recorded")
