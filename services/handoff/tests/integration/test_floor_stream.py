"""The floor stream on real Kafka: scripted conversations in, exact figures out of its tables and the endpoint."""

from __future__ import annotations

import uuid
from datetime import timedelta

from aiokafka.admin import AIOKafkaAdminClient

from switchboard.core.contracts import (
    Channel,
    HandoffEvent,
    HandoffReason,
    MessageReceived,
    ReplyReady,
    ReplySource,
)
from switchboard.core.testing.harness import wait_until
from switchboard.handoff.floor_stream import FloorStream
from switchboard.handoff.settings import FloorSettings
from switchboard.handoff.testing import WORKING_HOURS, console_login, customer_message, envelope_at

NOW = WORKING_HOURS  # the nodes' clock: what "now" is for the 24 h rule


def said(
    conversation: str,
    customer: str,
    hours_ago: float,
    text: str = "你好",
    *,
    channel: int = Channel.CHANNEL_WEB,
    tenant: str = "demo",
) -> MessageReceived:
    message = customer_message(conversation, text, tenant_id=tenant, customer_id=customer, channel=channel)
    message.envelope.created_at.FromDatetime(NOW - timedelta(hours=hours_ago))
    return message


def step(conversation: str, customer: str, hours_ago: float, **event) -> HandoffEvent:
    return HandoffEvent(envelope=envelope_at(NOW - timedelta(hours=hours_ago), conversation, customer), **event)


def handoff(
    conversation: str,
    customer: str,
    hours_ago: float,
    reasons: list[str],
    wait_min: float | None = None,
    handle_min: float | None = None,
) -> list[HandoffEvent]:
    minute = 1 / 60
    events = [
        step(
            conversation,
            customer,
            hours_ago,
            escalated={"reasons": [HandoffReason.Value(f"HANDOFF_REASON_{r}") for r in reasons], "queue": "general"},
        ),
        step(conversation, customer, hours_ago, queued={"queue": "general", "position": 1}),
    ]
    if wait_min is not None:
        assigned_ago = hours_ago - wait_min * minute
        events.append(step(conversation, customer, assigned_ago, assigned={"agent_id": "li.lei"}))
        if handle_min is not None:
            events.append(
                step(conversation, customer, assigned_ago - handle_min * minute, returned_to_bot={"agent_id": "li.lei"})
            )
    return events


def reply(conversation: str, customer: str, hours_ago: float, source: int) -> ReplyReady:
    envelope = envelope_at(NOW - timedelta(hours=hours_ago), conversation, customer)
    return ReplyReady(envelope=envelope, text="…", source=source, sequence_count=1)


EXPECTED = {
    "conversations": 6,
    "automated": 2,
    "automated_settled": 1,
    "pending": 1,
    "recontacted": 1,
    "automation_rate": 0.3333,
    "automation_rate_settled": 0.2,
    "handoffs": 3,
    "handoffs_by_reason": {"CUSTOMER_REQUEST": 1, "NEGATIVE_EMOTION": 1, "SENSITIVE_INTENT": 1, "VIP": 1},
    "handoff_rate_by_reason": {
        "CUSTOMER_REQUEST": 0.1667,
        "NEGATIVE_EMOTION": 0.1667,
        "SENSITIVE_INTENT": 0.1667,
        "VIP": 0.1667,
    },
    "waiting_s": {"count": 2, "average": 180.0, "median": 180.0},
    "handling_s": {"count": 2, "average": 480.0, "median": 480.0},
    "csat_average": 3.0,
    "csat_responses": 2,
    "csat_distribution": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1},
    "replies_by_source": {"AGENT": 1, "GENERATED": 1, "TEMPLATE": 1},
}


async def test_scripted_conversations_give_exact_figures_that_survive_a_restart(make_node, kafka_harness) -> None:
    node = await make_node()
    topics = node.topics
    a1 = said("a", "u1", 40)
    c_csat = said("c", "u2", 26.7, '/csat{"score":5}', channel=Channel.CHANNEL_WECHAT)
    d_handoff = handoff("d", "u3", 20 - 1 / 60, ["NEGATIVE_EMOTION", "SENSITIVE_INTENT"], wait_min=2, handle_min=6)
    await kafka_harness.send(
        topics.inbound,
        # a: answered by the bot 40 h ago, u1 never came back: automated (settled).
        a1,
        said("a", "u1", 39.9, "谢谢"),
        # b: u2 seemed served by the bot, but came back 3 h later on WeChat (c): re-contacted, not automated.
        said("b", "u2", 30),
        said("c", "u2", 27, "还是没收到", channel=Channel.CHANNEL_WECHAT),
        c_csat,
        # d: on the phone, escalated; CSAT 1.
        said("d", "u3", 20, "投诉!", channel=Channel.CHANNEL_VOICE),
        said("d", "u3", 19.8, '/csat{"score":1}'),
        # e: 2 h ago, answered by the bot: pending, automated provisionally. f: 1 h ago, escalated, still waiting.
        said("e", "u4", 2),
        said("f", "u5", 1, "我要找人工"),
        # Another tenant's conversation is not the demo tenant's.
        said("x", "u1", 1, "hi", tenant="acme"),
    )
    await kafka_harness.send(
        topics.handoff,
        # c waited 4 min and was handled 10 min; d waited 2 min and was handled 6 min; f waits.
        *handoff("c", "u2", 27 - 1 / 60, ["CUSTOMER_REQUEST"], wait_min=4, handle_min=10),
        *d_handoff,
        *handoff("f", "u5", 1 - 1 / 60, ["VIP"]),
    )
    await kafka_harness.send(
        topics.outbound,
        reply("a", "u1", 39.95, ReplySource.REPLY_SOURCE_TEMPLATE),
        reply("c", "u2", 26.9, ReplySource.REPLY_SOURCE_AGENT),
        reply("e", "u4", 1.99, ReplySource.REPLY_SOURCE_GENERATED),
    )
    # Redeliveries: the same event ids again (a message, a CSAT answer, an escalation) count once.
    await kafka_harness.send(topics.inbound, a1, c_csat)
    await kafka_harness.send(topics.handoff, d_handoff[0])

    supervisor = await console_login(node, "han.mei")
    try:

        async def floor() -> dict:
            async with supervisor.get(f"{node.base_url}/console/api/floor") as r:
                assert r.status == 200
                return await r.json()

        def expected_part(figures: dict) -> dict:
            return {k: figures[k] for k in EXPECTED}

        async def settled() -> dict | None:
            figures = await floor()
            # Every scripted event counted: the three topics are read independently, so wait for all of them.
            done = (
                figures["replies_by_source"] == EXPECTED["replies_by_source"]
                and figures["csat_responses"] >= EXPECTED["csat_responses"]
                and figures["handling_s"]["count"] >= EXPECTED["handling_s"]["count"]
                and figures["handoffs"] >= EXPECTED["handoffs"]
                and figures["conversations"] >= EXPECTED["conversations"]
            )
            return figures if done else None

        figures = await wait_until(settled, timeout_s=60)
        assert expected_part(figures) == EXPECTED
        # The same figures straight from the faust tables of the running stream.
        stream = node.floor
        assert {k: v for k, v in stream.figures("demo", NOW).as_dict().items() if k in EXPECTED} == EXPECTED
        assert stream.figures("acme", NOW).conversations == 1
        hourly = {
            h["hour"][11:16]: (h["conversations"], h["handoffs"])
            for h in figures["hourly"]
            if h["conversations"] or h["handoffs"]
        }
        assert hourly == {"08:00": (1, 1), "02:00": (1, 0), "03:00": (1, 1)}  # d, e and f, in the last 24 h
        assert figures["recovering"] is False
    finally:
        await supervisor.close()

    # A restart restores the tables from their changelogs; the figures are the same.
    await node.stop()
    restarted = await make_node()
    supervisor = await console_login(restarted, "han.mei")
    try:

        async def restored() -> dict | None:
            async with supervisor.get(f"{restarted.base_url}/console/api/floor") as r:
                figures = await r.json()
            return figures if figures["conversations"] and not figures["recovering"] else None

        figures = await wait_until(restored, timeout_s=60)
        assert {k: figures[k] for k in EXPECTED} == EXPECTED
    finally:
        await supervisor.close()


async def test_the_streams_own_topics_exist_before_it_joins_its_group(kafka_settings, handoff_topics) -> None:
    # On a new cluster faust's first assignment ignores topics that do not exist yet, so a stream
    # started there read nothing of its own topics until its next rebalance (an empty floor).
    app_id = f"floor-new-{uuid.uuid4().hex[:8]}"
    stream = FloorStream(FloorSettings(app_id=app_id, partitions=2, standby_replicas=0), kafka_settings, handoff_topics)
    own = {
        f"{app_id}-events",
        *(f"{app_id}-{name}-changelog" for name in ("seen", "conversations", "customers", "tenants")),
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    try:
        assert not own & set(await admin.list_topics())
        await stream.declare_topics()
        assert own <= set(await admin.list_topics())
    finally:
        await admin.close()
        await stream.app.producer.stop()
