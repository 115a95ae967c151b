"""Escalation on the real broker and database: decision -> handoff events, transcript, callbacks, return to bot."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from switchboard.core.contracts import Channel, HandoffReason, Language, ReplySource
from switchboard.core.testing.harness import wait_until
from switchboard.handoff.testing import Clock, customer_message, handoff_decision, sorted_events, understood


async def test_handoff_decision_is_escalated_queued_and_recorded_once(make_node, kafka_harness) -> None:
    node = await make_node()
    decided = handoff_decision(
        "c1", reasons=["NEGATIVE_EMOTION", "SENSITIVE_INTENT"], topic="complaint", summary="客户投诉物流太慢 😡"
    )
    # A redelivered decision (same event id) must not open a second handoff or new escalation ids.
    await kafka_harness.send(node.topics.decided, decided, decided)
    events = await kafka_harness.expect(node.topics.handoff, 2)
    kinds = sorted_events(events)
    escalated = kinds["escalated"][0]
    assert list(escalated.escalated.reasons) == [
        HandoffReason.HANDOFF_REASON_NEGATIVE_EMOTION,
        HandoffReason.HANDOFF_REASON_SENSITIVE_INTENT,
    ]
    assert escalated.escalated.queue == "complaints"
    assert escalated.escalated.priority == 45  # highest (40) + 5 for the second reason
    assert escalated.envelope.causation_id == decided.envelope.event_id
    queued = kinds["queued"][0].queued
    assert (queued.queue, queued.position, queued.estimated_wait_seconds) == ("complaints", 1, 240)
    await kafka_harness.expect_none(node.topics.handoff.name + ".dlq", within_s=0.5)
    store = node.service.store
    handoffs = await wait_until(lambda: store.by_state("demo", "queued"))
    assert len(handoffs) == 1 and handoffs[0]["reasons"] == ["NEGATIVE_EMOTION", "SENSITIVE_INTENT"]
    assert handoffs[0]["summary"] == "客户投诉物流太慢 😡"
    # Whatever the duplicate republished carries the same event ids, so consumers drop it.
    try:
        records = await kafka_harness.expect(node.topics.handoff, 3, timeout_s=3)
    except AssertionError:
        records = events
    assert {e.envelope.event_id for e in records} == {e.envelope.event_id for e in events}


async def test_every_channel_is_told_its_place_in_the_queue_once_in_its_language(make_node, kafka_harness) -> None:
    node = await make_node()
    first = handoff_decision("told-zh", reasons=["CUSTOMER_REQUEST"], channel=Channel.CHANNEL_WEB)
    second = handoff_decision(
        "told-en",
        reasons=["CUSTOMER_REQUEST"],
        channel=Channel.CHANNEL_WECHAT,
        language=Language.LANGUAGE_EN,
        text="get me a human please",
    )
    behind = handoff_decision("told-zh-2", reasons=["CUSTOMER_REQUEST"], text="转人工")
    await kafka_harness.send(node.topics.decided, first, first)  # the first one redelivered
    await kafka_harness.send(node.topics.decided, second, behind)
    replies = await kafka_harness.expect(node.topics.outbound, 4)
    by_conversation = {r.envelope.conversation_id: r for r in replies}
    assert len({r.envelope.event_id for r in replies}) == 3  # the redelivery republished the same id
    zh, en = by_conversation["told-zh"], by_conversation["told-en"]
    # Each customer is told a place among the three (one queue). Escalations read at the same moment can both be told
    # the same place (a known race: the notice reads the position as its own announcement left it); the live
    # queue updates on web chat correct it.
    zh_texts = [by_conversation[c].text for c in ("told-zh", "told-zh-2")]
    assert all("正在为您转接人工客服" in text and re.search(r"第 [123] 位", text) for text in zh_texts), zh_texts
    assert "connecting you now" in en.text and "in the queue" in en.text, en.text
    assert zh.in_reply_to == first.message.envelope.event_id and zh.source == ReplySource.REPLY_SOURCE_SYSTEM
    assert en.channel_ids.user_id == second.message.channel_ids.user_id


async def test_second_decision_for_an_open_conversation_adds_reasons_not_a_handoff(make_node, kafka_harness) -> None:
    node = await make_node()
    first = handoff_decision("c2", reasons=["CUSTOMER_REQUEST"], customer_id="u2")
    second = handoff_decision("c2", reasons=["LOOP"], customer_id="u2")
    await kafka_harness.send(node.topics.decided, first)
    await kafka_harness.expect(node.topics.handoff, 2)
    await kafka_harness.send(node.topics.decided, second)
    store = node.service.store
    await wait_until(lambda: "LOOP" in (store.open_for("demo", "c2") or {}).get("reasons", []))
    assert len(store.by_state("demo", "queued")) == 1
    assert len(store.by_state("demo", "merged")) == 1


async def test_vip_customer_gets_the_vip_reason_and_outranks_a_plain_request(make_node, kafka_harness) -> None:
    node = await make_node()
    await kafka_harness.send(node.topics.decided, handoff_decision("plain", reasons=["CUSTOMER_REQUEST"]))
    await kafka_harness.expect(node.topics.handoff, 2)
    await kafka_harness.send(
        node.topics.decided, handoff_decision("vip", reasons=["CUSTOMER_REQUEST"], customer_id="vip-001")
    )
    store = node.service.store
    vip = await wait_until(lambda: store.open_for("demo", "vip"))
    assert vip["reasons"] == ["CUSTOMER_REQUEST", "VIP"] and vip["priority"] == 40
    # The VIP moved to the front, so the plain customer is told their new position.
    await wait_until(lambda: store.open_for("demo", "plain").get("position") == 2)
    positions = [
        e.queued.position
        for e in await kafka_harness.expect(node.topics.handoff, 5)
        if e.WhichOneof("event") == "queued" and e.envelope.conversation_id == "plain"
    ]
    assert positions == [1, 2]


async def test_outside_agent_hours_the_customer_gets_a_ticket_and_the_bot_resumes(make_node, kafka_harness) -> None:
    # 23:30 in Shanghai: the demo agents work 09:00-21:00.
    node = await make_node(clock=Clock(datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)))
    decided = handoff_decision("night", reasons=["CUSTOMER_REQUEST"])
    await kafka_harness.send(node.topics.decided, decided)
    [reply] = await kafka_harness.expect(node.topics.outbound, 1)
    assert reply.source == ReplySource.REPLY_SOURCE_SYSTEM
    assert "09:00-21:00" in reply.text and "工单号 CB-" in reply.text
    assert reply.channel_ids.user_id == decided.message.channel_ids.user_id
    [event] = await kafka_harness.expect(node.topics.handoff, 1)
    assert event.WhichOneof("event") == "cancelled" and "outside_agent_hours" in event.cancelled.reason
    tickets = list(node.service.store.callbacks.find({"tenant_id": "demo"}))
    assert len(tickets) == 1 and tickets[0]["conversation_id"] == "night" and tickets[0]["_id"] in reply.text
    assert node.service.store.by_state("demo", "queued") == []


async def test_a_reason_the_tenant_disabled_does_not_escalate(make_node, kafka_harness, tenants_dir) -> None:
    rules = tenants_dir / "demo" / "handoff.yaml"
    rules.write_text(rules.read_text().replace("LOOP: {enabled: true", "LOOP: {enabled: false"))
    node = await make_node()
    await kafka_harness.send(node.topics.decided, handoff_decision("loop", reasons=["LOOP"]))
    [event] = await kafka_harness.expect(node.topics.handoff, 1)
    assert event.WhichOneof("event") == "cancelled" and event.cancelled.reason == "not_escalated_by_tenant_rules"
    assert node.service.store.open_for("demo", "loop") is None


async def test_customer_messages_reach_the_transcript_with_emotion_and_facts(make_node, kafka_harness) -> None:
    node = await make_node()
    await kafka_harness.send(
        node.topics.decided, handoff_decision("c3", reasons=["CUSTOMER_REQUEST"], customer_id="u3")
    )
    await kafka_harness.expect(node.topics.handoff, 2)
    message = customer_message("c3", "订单 SB1003 还没到！😡", customer_id="u3")
    with node.service.hub.subscribe("demo") as updates:
        await kafka_harness.send(node.topics.inbound, message)
        await kafka_harness.send(node.topics.understood, understood(message, entities={"order_id": "SB1003"}))
        update = await wait_until(lambda: None if updates.empty() else updates.get_nowait())
        assert update == {"type": "entry", "conversation_id": "c3", "customer_id": "u3"}
    transcript = node.service.transcript
    entry = await wait_until(lambda: [e for e in transcript.history("demo", "u3") if e.get("emotion")])
    assert entry[0]["text"] == "订单 SB1003 还没到！😡"
    assert (entry[0]["emotion"], entry[0]["facts"]) == ("ANGRY", {"order_id": "SB1003"})
    handoff = node.service.store.open_for("demo", "c3")
    assert handoff["channel_ids"]["message_id"] == message.channel_ids.message_id


async def test_a_tenant_is_answered_in_the_words_of_its_own_copy(make_node, kafka_harness, tenants_dir) -> None:
    (tenants_dir / "acme" / "copy.yaml").write_text(
        "handoff:\n"
        "  outside_hours: {zh: 'Acme 客服 {start} 上班，回电单 {ticket}。'}\n"
        "  queued: {en: 'Acme has you at place {position}{wait}.'}\n",
        encoding="utf-8",
    )
    # 23:30 in Shanghai: outside the agent hours of both tenants (09:00-21:00).
    clock = Clock(datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc))
    node = await make_node(clock=clock)
    await kafka_harness.send(
        node.topics.decided, handoff_decision("acme-night", reasons=["CUSTOMER_REQUEST"], tenant_id="acme")
    )
    await kafka_harness.send(node.topics.decided, handoff_decision("demo-night", reasons=["CUSTOMER_REQUEST"]))
    replies = {r.envelope.tenant_id: r.text for r in await kafka_harness.expect(node.topics.outbound, 2)}
    assert re.fullmatch(r"Acme 客服 09:00 上班，回电单 CB-[0-9A-F]{8}。", replies["acme"]), replies["acme"]
    assert "工单号 CB-" in replies["demo"] and "Acme" not in replies["demo"]
    clock.advance(12 * 3600)  # 11:30 in Shanghai: agents on duty
    english = handoff_decision(
        "acme-day", reasons=["CUSTOMER_REQUEST"], tenant_id="acme", language=Language.LANGUAGE_EN
    )
    await kafka_harness.send(node.topics.decided, english)
    [queued] = [
        r for r in await kafka_harness.expect(node.topics.outbound, 3) if r.envelope.conversation_id == "acme-day"
    ]
    assert queued.text.startswith("Acme has you at place 1"), queued.text
