"""Routing on the real database and broker: skills, priority, capacity, races, restarts, disconnects, return to bot."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.core.contracts import Channel, Language, ReplySource
from switchboard.core.testing.harness import wait_until
from switchboard.handoff.errors import HandoffConflict
from switchboard.handoff.testing import handoff_decision, sorted_events


async def _queue(node, harness, *decisions) -> None:
    for decided in decisions:
        await harness.send(node.topics.decided, decided)
    await wait_until(lambda: len(node.service.store.by_state("demo", "queued")) >= len(decisions))


async def _online(node, *agent_ids):
    agents = []
    for agent_id in agent_ids:
        agent = node.service.store.agents.get("demo", agent_id)
        await node.service.heartbeat(agent)
        agents.append(node.service.store.agents.get("demo", agent_id))
    return agents


async def test_next_chat_follows_skills_then_priority_then_waiting_time(make_node, kafka_harness) -> None:
    node = await make_node()
    await _queue(
        node, kafka_harness, handoff_decision("zh-old", reasons=["CUSTOMER_REQUEST"], language=Language.LANGUAGE_ZH)
    )
    node.clock.advance(60)
    await _queue(
        node,
        kafka_harness,
        handoff_decision("zh-angry", reasons=["NEGATIVE_EMOTION"], language=Language.LANGUAGE_ZH),
        handoff_decision("en-plain", reasons=["CUSTOMER_REQUEST"], language=Language.LANGUAGE_EN),
        handoff_decision("voice-zh", reasons=["VIP"], language=Language.LANGUAGE_ZH, channel=Channel.CHANNEL_VOICE),
    )
    li_lei, amy = await _online(node, "li.lei", "amy")
    # Amy speaks English only and has no phone skill: the angrier Chinese chats are not hers.
    assert (await node.service.accept(amy))["conversation_id"] == "en-plain"
    # Li Lei: the angry one (40) beats the VIP phone call (35) and the older plain request (20 + aging).
    taken = [(await node.service.accept(li_lei))["conversation_id"] for _ in range(3)]
    assert taken == ["zh-angry", "voice-zh", "zh-old"]


async def test_waiting_time_lifts_an_old_chat_above_a_newer_urgent_one(make_node, kafka_harness) -> None:
    node = await make_node()
    await _queue(node, kafka_harness, handoff_decision("old", reasons=["CUSTOMER_REQUEST"]))
    node.clock.advance(15 * 60)  # 20 + 2 * 15 = 50 > 40
    await _queue(node, kafka_harness, handoff_decision("new", reasons=["NEGATIVE_EMOTION"]))
    [li_lei] = await _online(node, "li.lei")
    assert (await node.service.accept(li_lei))["conversation_id"] == "old"


async def test_capacity_is_never_exceeded_even_under_concurrent_accepts(make_node, kafka_harness) -> None:
    node = await make_node()
    await _queue(
        node,
        kafka_harness,
        *[handoff_decision(f"cap{i}", reasons=["CUSTOMER_REQUEST"], language=Language.LANGUAGE_EN) for i in range(4)],
    )
    [amy] = await _online(node, "amy")  # capacity 2
    results = await asyncio.gather(*(node.service.accept(amy) for _ in range(4)), return_exceptions=True)
    assert sum(isinstance(r, dict) for r in results) == 2
    assert all(isinstance(r, HandoffConflict) for r in results if not isinstance(r, dict))
    stored = node.service.store.agents.get("demo", "amy")
    assert (stored.active, len(node.service.store.assigned_to("demo", "amy"))) == (2, 2)


async def test_one_chat_is_never_assigned_twice(make_node, kafka_harness) -> None:
    node = await make_node()
    await _queue(
        node, kafka_harness, handoff_decision("race", reasons=["CUSTOMER_REQUEST"], language=Language.LANGUAGE_EN)
    )
    [handoff] = node.service.store.by_state("demo", "queued")
    li_lei, amy = await _online(node, "li.lei", "amy")
    results = await asyncio.gather(
        node.service.accept(li_lei, handoff["_id"]), node.service.accept(amy, handoff["_id"]), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, dict)]
    assert len(winners) == 1
    loser = "amy" if winners[0]["agent_id"] == "li.lei" else "li.lei"
    assert node.service.store.agents.get("demo", loser).active == 0
    assigned = [e for e in await kafka_harness.expect(node.topics.handoff, 3) if e.WhichOneof("event") == "assigned"]
    assert len(assigned) == 1


async def test_offline_agents_and_supervisors_take_no_chats(make_node, kafka_harness) -> None:
    node = await make_node()
    await _queue(node, kafka_harness, handoff_decision("off", reasons=["CUSTOMER_REQUEST"]))
    li_lei = node.service.store.agents.get("demo", "li.lei")  # never connected: offline
    with pytest.raises(HandoffConflict):
        await node.service.accept(li_lei)
    [han_mei] = await _online(node, "han.mei")
    with pytest.raises(HandoffConflict):
        await node.service.accept(han_mei)


async def test_queues_and_assignments_survive_a_restart(make_node, kafka_harness) -> None:
    node = await make_node()
    await _queue(
        node,
        kafka_harness,
        handoff_decision("keep1", reasons=["CUSTOMER_REQUEST"]),
        handoff_decision("keep2", reasons=["NEGATIVE_EMOTION"]),
    )
    [li_lei] = await _online(node, "li.lei")
    taken = await node.service.accept(li_lei)
    await node.stop()
    # While the service is down a decision arrives; it is handled after the restart.
    await kafka_harness.send(node.topics.decided, handoff_decision("while-down", reasons=["LOOP"]))
    restarted = await make_node(port=0)
    store = restarted.service.store
    await wait_until(lambda: store.open_for("demo", "while-down"))
    assert store.get("demo", taken["_id"])["agent_id"] == "li.lei"
    assert {h["conversation_id"] for h in store.by_state("demo", "queued")} == {"keep1", "while-down"}
    assert store.agents.get("demo", "li.lei").active == 1


async def test_a_disconnected_agents_chats_go_back_to_the_queue(make_node, kafka_harness) -> None:
    node = await make_node(presence_timeout_s=30)
    await _queue(
        node, kafka_harness, handoff_decision("dc", reasons=["CUSTOMER_REQUEST"], language=Language.LANGUAGE_EN)
    )
    li_lei, amy = await _online(node, "li.lei", "amy")
    taken = await node.service.accept(li_lei)
    node.clock.advance(20)
    await node.service.heartbeat(amy)
    node.clock.advance(20)  # Li Lei silent for 40 s, Amy for 20 s
    assert await node.service.sweep(30) == 1
    requeued = node.service.store.get("demo", taken["_id"])
    assert requeued["state"] == "queued" and requeued["queued_at"] == taken["queued_at"]
    assert node.service.store.agents.get("demo", "li.lei").presence == "offline"
    assert (await node.service.accept(node.service.store.agents.get("demo", "amy")))["_id"] == taken["_id"]
    kinds = sorted_events(await kafka_harness.expect(node.topics.handoff, 6))
    assert kinds["transferred"][0].transferred.from_agent_id == "li.lei"


async def test_agent_reply_transfer_and_resolve(make_node, kafka_harness) -> None:
    node = await make_node()
    decided = handoff_decision(
        "life",
        reasons=["CUSTOMER_REQUEST"],
        channel=Channel.CHANNEL_WECHAT,
        customer_id="u-life",
        language=Language.LANGUAGE_EN,
    )
    await _queue(node, kafka_harness, decided)
    li_lei, amy = await _online(node, "li.lei", "amy")
    handoff = await node.service.accept(li_lei)
    reply = await node.service.reply(li_lei, handoff["_id"], "您好，我是李雷 🙂", "m1")
    again = await node.service.reply(li_lei, handoff["_id"], "您好，我是李雷 🙂", "m1")
    assert again.envelope.event_id == reply.envelope.event_id
    records = await kafka_harness.expect(node.topics.outbound, 3)  # the queue notice, then the reply twice
    [out, _] = [r for r in records if r.source == ReplySource.REPLY_SOURCE_AGENT]
    assert (out.source, out.agent_name, out.text) == (ReplySource.REPLY_SOURCE_AGENT, "李雷", "您好，我是李雷 🙂")
    assert (
        out.envelope.channel == Channel.CHANNEL_WECHAT
        and out.channel_ids.user_id == decided.message.channel_ids.user_id
    )
    with pytest.raises(HandoffConflict):
        await node.service.reply(amy, handoff["_id"], "not mine", "m2")
    await node.service.note(li_lei, handoff["_id"], "客户是老客户")
    moved = await node.service.transfer(li_lei, handoff["_id"], queue="orders")
    assert (moved["state"], moved["queue"]) == ("queued", "orders")
    handoff = await node.service.accept(li_lei, handoff["_id"])
    with pytest.raises(HandoffConflict):
        await node.service.transfer(li_lei, handoff["_id"], queue="no-such-queue")
    moved = await node.service.transfer(li_lei, handoff["_id"], to_agent=amy)
    assert moved["agent_id"] == "amy" and node.service.store.agents.get("demo", "li.lei").active == 0
    with pytest.raises(HandoffConflict):
        await node.service.resolve(li_lei, handoff["_id"])
    await node.service.resolve(amy, handoff["_id"])
    assert node.service.store.open_for("demo", "life") is None
    assert node.service.store.agents.get("demo", "amy").active == 0
    events = await kafka_harness.expect(node.topics.handoff, 11)
    kinds = sorted_events(events)
    assert kinds["returned_to_bot"][0].returned_to_bot.agent_id == "amy"
    assert kinds["agent_replied"][0].agent_replied.text == "您好，我是李雷 🙂"
    assert [e.transferred.to_queue for e in kinds["transferred"]] == ["orders", "orders"]
    notes = list(node.service.transcript.collection.find({"speaker": "note"}))
    assert notes[0]["text"] == "客户是老客户"
    # A new escalation after the return opens a fresh handoff.
    await kafka_harness.send(node.topics.decided, handoff_decision("life", reasons=["LOOP"], customer_id="u-life"))
    await wait_until(lambda: node.service.store.open_for("demo", "life"))
