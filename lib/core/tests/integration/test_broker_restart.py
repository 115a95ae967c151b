"""Readiness across a broker restart: false while Kafka is gone, true again once consumption resumes.

Runs a Kafka broker of its own (the project's devstack), so stopping it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid

import pytest

from switchboard.core.contracts import Channel, MessageReceived, new_envelope
from switchboard.core.kafka import Publisher, TopicConsumer, ensure_topics
from switchboard.core.settings import KafkaSettings
from switchboard.core.testing import free_port
from switchboard.core.testing.harness import wait_until
from switchboard.core.topics import MESSAGE_RECEIVED

devstack_kafka = pytest.importorskip("devstack.kafka", reason="needs tools/ on PYTHONPATH (make test sets it)")
from devstack.profiles import Profile  # noqa: E402 - after the importorskip above


def _message(text: str) -> MessageReceived:
    envelope = new_envelope(tenant_id="demo", conversation_id="restart", customer_id="u", channel=Channel.CHANNEL_WEB)
    return MessageReceived(envelope=envelope, text=text)


@pytest.mark.slow
async def test_readiness_follows_the_broker_through_a_restart() -> None:
    profile = Profile(
        f"restart-{uuid.uuid4().hex[:8]}", kafka_port=free_port(), kafka_controller_port=free_port(), mongo_port=0
    )
    bootstrap = await asyncio.to_thread(devstack_kafka.up, profile)
    settings = KafkaSettings(bootstrap_servers=bootstrap, stall_after_s=2.0, request_timeout_ms=3000)
    topic = MESSAGE_RECEIVED.renamed("restart.inbound")
    seen: list[str] = []

    async def record(message: MessageReceived) -> None:
        seen.append(message.text)

    publisher = Publisher(settings, "restart-test")
    consumer = TopicConsumer(
        topic=topic, group_id="restart-test", handler=record, settings=settings, publisher=publisher
    )

    async def ready() -> bool:
        return (await consumer.readiness())[0]

    async def not_ready() -> bool:
        return not await ready()

    task = None
    try:
        await ensure_topics(settings, [topic])
        await publisher.start()
        task = asyncio.create_task(consumer.run())
        await publisher.publish(topic, _message("before 重启"))
        await wait_until(lambda: seen == ["before 重启"], timeout_s=30)
        await wait_until(ready, timeout_s=10)

        await asyncio.to_thread(devstack_kafka.down, profile)
        await wait_until(not_ready, timeout_s=30)

        await asyncio.to_thread(devstack_kafka.up, profile)
        await publisher.publish(topic, _message("after 重启"))
        await wait_until(lambda: seen == ["before 重启", "after 重启"], timeout_s=60)
        await wait_until(ready, timeout_s=30)
    finally:
        consumer.stop()
        if task is not None:
            await asyncio.wait_for(task, timeout=30)
        await publisher.stop()
        await asyncio.to_thread(devstack_kafka.down, profile)
        shutil.rmtree(profile.state_dir, ignore_errors=True)
