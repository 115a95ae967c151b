"""WeChat Official Account: requests built exactly as WeChat builds them (wechatpy), both modes."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from switchboard.ingest.testing import Responder, echo, reply_to
from switchboard.ingest.wechat import wechat_signature

TOKEN = "demo-wechat-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wxdemo0000000000"


def text_xml(content: str, msg_id: str, openid: str = "oUSER1", create_time: int | None = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, openid: str = "oUSER1", key: str = "", create_time: int = 1700000000) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def signed_query(nonce: str = "n0nce", timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    return {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": wechat_signature(TOKEN, timestamp, nonce),
        "openid": "oUSER1",
    }


async def post_plain(node, xml: str, query: dict | None = None) -> tuple[int, str]:
    url = f"{node.base_url}/wechat/demo"
    async with aiohttp.ClientSession() as http, http.post(url, params=query or signed_query(), data=xml.encode()) as r:
        return r.status, await r.text()


async def post_safe(node, xml: str) -> tuple[int, str, dict]:
    """Safe mode exactly as WeChat sends it: the encrypted envelope and msg_signature."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    query = signed_query()
    encrypted = crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
    envelope = parse_message_fields(encrypted)
    query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
    outer = (
        f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    )
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{node.base_url}/wechat/demo", params=query, data=outer.encode()) as r,
    ):
        return r.status, await r.text(), query


def parse_message_fields(xml: str) -> dict[str, str]:
    import xmltodict

    return xmltodict.parse(xml)["xml"]


async def test_get_verification_echoes_only_with_a_valid_signature(make_node) -> None:
    node = await make_node()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{node.base_url}/wechat/demo", params={**signed_query(), "echostr": "e-123"}) as r:
            assert r.status == 200 and await r.text() == "e-123"
        bad = {**signed_query(), "signature": "0" * 40, "echostr": "e"}
        async with http.get(f"{node.base_url}/wechat/demo", params=bad) as r:
            assert r.status == 403
        async with http.get(f"{node.base_url}/wechat/nosuch", params=signed_query()) as r:
            assert r.status == 404


async def cited_echo(message):
    """The echo answer citing a knowledge-base section, which WeChat must not show."""
    [reply] = await echo(message)
    reply.citations.add(source="returns.md#return-shipping", title="退货 / 退货运费", score=0.9)
    return [reply]


async def test_plaintext_text_message_is_answered_passively(make_node) -> None:
    responder = Responder(answer=cited_echo)
    node = await make_node(responder)
    status, body = await post_plain(node, text_xml("你好，我的订单 😀", "1001"))
    assert status == 200
    reply = parse_message(body)
    assert reply.type == "text" and reply.content.startswith("echo: 你好，我的订单 😀")
    assert "退货" not in reply.content and "returns.md" not in reply.content  # plain text, no sources
    assert reply.target == "oUSER1" and reply.source == "gh_demo"
    assert "· 查订单 Order" in reply.content
    [message] = responder.received
    assert message.channel_ids.message_id == "1001" and message.channel_ids.user_id == "oUSER1"


async def test_safe_mode_message_is_decrypted_and_the_answer_encrypted(make_node) -> None:
    node = await make_node(Responder())
    status, body, _query = await post_safe(node, text_xml("safe mode 安全模式", "2001"))
    assert status == 200
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    fields = parse_message_fields(body)
    decrypted = crypto.decrypt_message(body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
    assert parse_message(decrypted).content.startswith("echo: safe mode 安全模式")


async def test_a_4x_retry_storm_publishes_once_and_answers_once(make_node, fake_wechat) -> None:
    responder = Responder(delay_s=0.3)
    node = await make_node(responder)
    xml = text_xml("retry me", "3001")
    results = await asyncio.gather(*(post_plain(node, xml) for _ in range(4)))
    assert all(status == 200 for status, _ in results)
    answers = [body for _, body in results if body != "success"]
    assert len(answers) == 1 and parse_message(answers[0]).content.startswith("echo: retry me")
    await asyncio.sleep(6)  # past the passive window: the API sender must not send it again
    assert len(responder.received) == 1
    assert fake_wechat.sent == []


async def test_slow_reply_gets_success_then_goes_through_the_customer_service_api(make_node, fake_wechat) -> None:
    responder = Responder(delay_s=1.0)
    node = await make_node(responder, wait={"wechat_passive_s": 0.5})
    status, body = await post_plain(node, text_xml("slow", "4001"))
    assert (status, body) == (200, "success")
    for _ in range(100):
        if fake_wechat.sent:
            break
        await asyncio.sleep(0.1)
    [sent] = fake_wechat.sent
    assert sent["touser"] == "oUSER1" and sent["msgtype"] == "text" and sent["text"]["content"].startswith("echo: slow")
    assert sent["token"] == "TOKEN1"
    # A retry after the reply went out through the API is answered with "success", never a second copy.
    status, body = await post_plain(node, text_xml("slow", "4001"))
    assert (status, body) == (200, "success")
    assert len(responder.received) == 1 and len(fake_wechat.sent) == 1


async def test_the_access_token_is_shared_by_replicas_and_refreshed_when_expired(make_node, fake_wechat) -> None:
    first = await make_node(Responder(delay_s=0.8), wait={"wechat_passive_s": 0.3})
    await make_node(wait={"wechat_passive_s": 0.3})  # a second replica in the same delivery group
    fake_wechat.errors = [42001]  # the cached token expired: refresh once, then send
    await post_plain(first, text_xml("a", "5001", openid="oA"))
    await post_plain(first, text_xml("b", "5002", openid="oB"))
    for _ in range(100):
        if len(fake_wechat.sent) == 2:
            break
        await asyncio.sleep(0.1)
    assert sorted(s["touser"] for s in fake_wechat.sent) == ["oA", "oB"]
    assert fake_wechat.token_requests == 2  # one first fetch, one refresh: shared across both replicas
    assert {s["token"] for s in fake_wechat.sent} == {"TOKEN2"}


async def test_45015_is_recorded_and_not_retried(make_node, fake_wechat) -> None:
    node = await make_node(Responder(delay_s=0.6), wait={"wechat_passive_s": 0.3})
    fake_wechat.errors = [45015]
    await post_plain(node, text_xml("too late", "6001"))
    for _ in range(100):
        document = node.db["deliveries"].find_one({})
        if document and document["status"] == "failed":
            break
        await asyncio.sleep(0.1)
    assert document["status"] == "failed" and document["error_code"] == 45015
    await asyncio.sleep(1)
    assert fake_wechat.sent == []


async def test_long_replies_are_split_within_wechats_limit(make_node, fake_wechat) -> None:
    long_text = "这是一段很长的回答。" * 300  # 3,000 characters, 9,000 bytes

    async def long(message):
        return [reply_to(message, long_text)]

    node = await make_node(Responder(answer=long, delay_s=0.6), wait={"wechat_passive_s": 0.3})
    _status, body = await post_plain(node, text_xml("long", "7001"))
    assert body == "success"
    for _ in range(100):
        if len(fake_wechat.sent) >= 5:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    parts = [s["text"]["content"] for s in fake_wechat.sent]
    assert all(len(p.encode()) <= 2048 for p in parts) and len(parts) == 5
    assert "".join(parts) == long_text


async def test_events_and_unsupported_types(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    _, body = await post_plain(node, event_xml("subscribe"))
    assert parse_message(body).content.startswith("echo: /greet")
    _, body = await post_plain(node, event_xml("CLICK", key="/check_order", create_time=1700000001))
    assert parse_message(body).content.startswith("echo: /check_order")
    # A retried event (same FromUserName + CreateTime) is not a second message.
    await post_plain(node, event_xml("CLICK", key="/check_order", create_time=1700000001))
    image = (
        "<xml><ToUserName>gh_demo</ToUserName><FromUserName>oUSER1</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>m</MediaId><MsgId>8001</MsgId></xml>"
    )
    status, body = await post_plain(node, image)
    assert status == 200 and "文字" in parse_message(body).content
    status, body = await post_plain(node, event_xml("unsubscribe", create_time=1700000002))
    assert (status, body) == (200, "success")
    await asyncio.sleep(0.5)
    assert [m.text for m in responder.received] == ["/greet", "/check_order"]


@pytest.mark.parametrize(
    ("xml", "status"),
    [
        ("<xml><ToUserName>gh</ToUserName>", 400),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>', 400),
        ("<notxml/>", 400),
        ("<xml><ToUserName>gh</ToUserName></xml>", 400),
    ],
)
async def test_malformed_and_entity_laden_xml_is_400(make_node, xml: str, status: int) -> None:
    node = await make_node()
    assert (await post_plain(node, xml))[0] == status


async def test_bad_signatures_and_oversized_bodies(make_node) -> None:
    node = await make_node()
    xml = text_xml("x", str(uuid.uuid4().int)[:12])
    assert (await post_plain(node, xml, {**signed_query(), "signature": "f" * 40}))[0] == 403
    assert (await post_plain(node, xml, {"timestamp": "1", "nonce": "2"}))[0] == 403
    query = {**signed_query(), "encrypt_type": "aes", "msg_signature": "0" * 40}
    assert (await post_plain(node, "<xml><Encrypt>abc</Encrypt></xml>", query))[0] == 403
    assert (await post_plain(node, "<xml>" + "x" * 70_000 + "</xml>"))[0] == 413
