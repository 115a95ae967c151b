"""Send events to topics and expect events back, against the real broker.

async def test_nlu_passes_along(kafka_harness, private_topic):
    inbound = private_topic(MESSAGE_RECEIVED)
    await kafka_harness.send(inbound, message)
    [understood] = await kafka_harness.expect(private_topic(MESSAGE_UNDERSTOOD), 1)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from google.protobuf.message import Message

from switchboard.core.kafka import Publisher, consumer_config
from switchboard.core.settings import KafkaSettings
from switchboard.core.topics import Topic

M = TypeVar("M", bound=Message)


class TopicHarness:
    """A producer plus throw-away consumer groups reading topics from the beginning."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self.publisher = Publisher(settings, "test-harness")

    async def __aenter__(self) -> TopicHarness:
        await self.publisher.start()
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.publisher.stop()

    async def send(self, topic: Topic[M], *messages: M) -> None:
        for message in messages:
            await self.publisher.publish(topic, message)

    async def send_raw(self, topic_name: str, value: bytes, key: bytes) -> None:
        await self.publisher.publish_raw(topic_name, value, key, [])

    async def expect(self, topic: Topic[M], count: int, *, timeout_s: float = 30.0) -> list[M]:
        """The first ``count`` events on ``topic``; fails if fewer arrive within ``timeout_s``."""
        records = await self.expect_records(topic.name, count, timeout_s=timeout_s)
        return [topic.decode(record.value) for record in records]

    async def expect_records(self, topic_name: str, count: int, *, timeout_s: float = 30.0) -> list[ConsumerRecord]:
        """The first ``count`` raw records of ``topic_name`` across all partitions."""
        config = consumer_config(self._settings, f"test-harness-{uuid.uuid4().hex}")
        consumer = AIOKafkaConsumer(topic_name, **config)
        await consumer.start()
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        try:
            while len(records) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{topic_name}: expected {count} records, got {len(records)} in {timeout_s}s")
                batches = await consumer.getmany(timeout_ms=int(min(remaining, 0.5) * 1000))
                for batch in batches.values():
                    records.extend(batch)
        finally:
            await consumer.stop()
        return records[:count] if len(records) >= count else records

    async def expect_none(self, topic_name: str, *, within_s: float = 2.0) -> None:
        """Fails if any record shows up on ``topic_name`` within ``within_s``."""
        try:
            records = await self.expect_records(topic_name, 1, timeout_s=within_s)
        except AssertionError:
            return
        raise AssertionError(f"{topic_name}: expected no record, got {records[0]!r}")


async def wait_until(predicate: Any, *, timeout_s: float = 20.0, interval_s: float = 0.1) -> Any:
    """Polls ``predicate`` (sync or async) until it returns something truthy, bounded by ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)
