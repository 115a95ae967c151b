"""Outbound delivery: once per reply id across redelivery, restarts and replicas (outbox in the database)."""

from __future__ import annotations

import asyncio
import uuid

from pymongo import MongoClient

from switchboard.core.contracts import Channel, ChannelIds, MessageReceived, ReplyReady, new_envelope
from switchboard.ingest.testing import reply_to


def wechat_message(openid: str = "oR1") -> MessageReceived:
    envelope = new_envelope(
        tenant_id="demo", conversation_id=f"c-{uuid.uuid4().hex[:6]}", customer_id="u", channel=Channel.CHANNEL_WECHAT
    )
    return MessageReceived(envelope=envelope, text="你好", channel_ids=ChannelIds(user_id=openid, message_id="1"))


async def wait_for(predicate, timeout: float = 15.0) -> None:
    for _ in range(int(timeout * 10)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met")


async def test_a_reply_redelivered_after_a_restart_is_not_sent_again(make_node, fake_wechat, kafka_settings) -> None:
    """Node A sends, then 'crashes' before committing: a new group re-reads the topic from the start."""
    first = await make_node(wait={"wechat_passive_s": 0.1})
    reply = reply_to(wechat_message(), "只发一次 📦")
    await first.publish_reply(reply)
    await wait_for(lambda: len(fake_wechat.sent) == 1)
    await first.__aexit__(None, None, None)
    restarted = await make_node(wait={"wechat_passive_s": 0.1})
    from switchboard.core.kafka import TopicConsumer
    from switchboard.ingest.app import Delivery, build_adapters

    _, senders = build_adapters(restarted.context, restarted.http, restarted.db)
    replay = TopicConsumer(
        topic=restarted.outbound,
        group_id=f"replay-{uuid.uuid4().hex[:6]}",
        handler=Delivery(senders),
        settings=kafka_settings,
        publisher=restarted.publisher,
    )
    task = asyncio.create_task(replay.run())
    await asyncio.sleep(3)
    replay.stop()
    await task
    assert len(fake_wechat.sent) == 1
    assert restarted.db["deliveries"].find_one({"_id": reply.envelope.event_id})["status"] == "sent"


async def test_two_replicas_deliver_each_reply_once(make_node, fake_wechat) -> None:
    nodes = [await make_node(wait={"wechat_passive_s": 0.1}) for _ in range(2)]
    replies = [reply_to(wechat_message(f"o{i}"), f"reply {i}") for i in range(12)]
    for reply in replies:
        await nodes[0].publish_reply(reply)
        await nodes[0].publish_reply(reply)  # a producer retry: the same reply id twice on the topic
    await wait_for(lambda: len(fake_wechat.sent) >= 12)
    await asyncio.sleep(1)
    assert sorted(s["touser"] for s in fake_wechat.sent) == sorted(f"o{i}" for i in range(12))


async def test_voice_replies_are_parked_for_the_next_webhook_and_web_replies_kept_for_history(make_node) -> None:
    node = await make_node()
    voice = reply_to(wechat_message(), "please hold")
    voice.envelope.channel = Channel.CHANNEL_VOICE
    web = reply_to(wechat_message(), "web reply")
    web.envelope.channel = Channel.CHANNEL_WEB
    partial = ReplyReady(
        envelope=new_envelope(tenant_id="demo", conversation_id="c", customer_id="u", channel=Channel.CHANNEL_WEB),
        text="par",
        partial=True,
    )
    for reply in (voice, web, partial):
        await node.publish_reply(reply)
    outbox = node.db["deliveries"]
    await wait_for(lambda: outbox.count_documents({}) == 2)
    assert outbox.find_one({"_id": voice.envelope.event_id})["status"] == "pending"
    assert outbox.find_one({"_id": web.envelope.event_id})["status"] == "delivered"
    assert outbox.find_one({"_id": partial.envelope.event_id}) is None


async def test_customer_identity_is_shared_across_channels(mongo_settings) -> None:
    from switchboard.ingest.identity import Customers, Identity

    with MongoClient(mongo_settings.uri) as client:
        customers = Customers(client[mongo_settings.database]["customer_identities"])
        phone = await customers.resolve("demo", Identity("phone", "+8613800000001"))
        linked = await customers.resolve("demo", Identity("web", "w-1"), Identity("phone", "+8613800000001"))
        assert linked == phone
        assert await customers.resolve("demo", Identity("web", "w-1")) == phone
        assert await customers.resolve("other", Identity("web", "w-1")) != phone
        concurrent = await asyncio.gather(*(customers.resolve("demo", Identity("wechat", "oX")) for _ in range(5)))
        assert len(set(concurrent)) == 1
