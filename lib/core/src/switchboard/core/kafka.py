"""The Kafka bus: safe producer and consumer configuration, publishing, and the consume loop.

aiokafka's defaults lose or double messages for us (acks=1, no idempotence, auto-commit,
``latest``, ``read_uncommitted``); every client Switchboard builds goes through the two config
functions below, and a test pins them. Consumers commit only after the handler finished; a record
that cannot be decoded or keeps failing goes to ``<topic>.dlq`` and the partition moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from google.protobuf.message import DecodeError, Message
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram

from switchboard.core import telemetry
from switchboard.core.contracts import SCHEMA_VERSION, envelope_of
from switchboard.core.errors import PermanentError
from switchboard.core.logs import get_logger
from switchboard.core.settings import KafkaSettings
from switchboard.core.topics import Topic

M = TypeVar("M", bound=Message)
Handler = Callable[[M], Awaitable[None]]

log = get_logger(__name__)

EVENTS_PUBLISHED = Counter("switchboard_events_published_total", "Events published", ["topic"])
EVENTS_HANDLED = Counter("switchboard_events_handled_total", "Records handled", ["topic", "outcome"])
HANDLE_SECONDS = Histogram("switchboard_event_handle_seconds", "Time to handle one record", ["topic"])
DEAD_LETTERED = Counter("switchboard_dead_lettered_total", "Records sent to a DLQ", ["topic", "error"])

# Headers a dead-lettered record carries, next to its original headers.
DLQ_HEADER_TOPIC = "dlq.original.topic"
DLQ_HEADER_PARTITION = "dlq.original.partition"
DLQ_HEADER_OFFSET = "dlq.original.offset"
DLQ_HEADER_ERROR_CLASS = "dlq.error.class"
DLQ_HEADER_ERROR_MESSAGE = "dlq.error.message"
DLQ_HEADER_ATTEMPTS = "dlq.attempts"


class UnsupportedSchemaError(PermanentError):
    """The event was written with a schema version newer than this code knows."""


def producer_config(settings: KafkaSettings, client_name: str) -> dict[str, Any]:
    """Idempotent, fully acknowledged producer: a retried send is never written twice."""
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": f"{settings.client_id_prefix}-{client_name}",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "request_timeout_ms": settings.request_timeout_ms,
    }


def consumer_config(settings: KafkaSettings, group_id: str) -> dict[str, Any]:
    """Commit-after-work consumer that sees only committed records, from the start of a new group."""
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": f"{settings.client_id_prefix}-{group_id}",
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "max_poll_records": settings.max_poll_records,
        "request_timeout_ms": settings.request_timeout_ms,
        "session_timeout_ms": 10000,
        "heartbeat_interval_ms": 3000,
    }


def broadcast_config(settings: KafkaSettings, client_name: str) -> dict[str, Any]:
    """A group-less reader: every process sees every record from now on, and commits nothing.

    For per-process fan-out (a replica waking its own waiting requests and sockets), never for work
    that must happen once: that belongs to a consumer group (``consumer_config``).
    """
    config = consumer_config(settings, f"broadcast-{client_name}")
    config.update(group_id=None, auto_offset_reset="latest")
    return config


class Publisher:
    """Publishes protobuf events to their declared topics, keyed by conversation."""

    def __init__(self, settings: KafkaSettings, client_name: str) -> None:
        self._producer = AIOKafkaProducer(**producer_config(settings, client_name))

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: Topic[M], message: M) -> None:
        """Sends ``message`` and waits until every in-sync replica has it."""
        envelope = envelope_of(message)
        value = topic.encode(message)
        with telemetry.tracer().start_as_current_span(
            f"{topic.name} publish",
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": topic.name},
        ):
            headers = [
                ("event-type", topic.event_type.encode()),
                ("event-id", envelope.event_id.encode()),
                *telemetry.kafka_headers(),
            ]
            await self._producer.send_and_wait(topic.name, value, key=topic.key(message), headers=headers)
        EVENTS_PUBLISHED.labels(topic.name).inc()

    async def publish_raw(
        self, topic_name: str, value: bytes | None, key: bytes | None, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Sends bytes as they are (dead-lettering keeps the original record intact)."""
        await self._producer.send_and_wait(topic_name, value, key=key, headers=list(headers))


class TopicConsumer(Generic[M]):
    """Consumes one topic in a consumer group and hands each event to ``handler``.

    Records of a partition are handled one after another (per-conversation order); partitions
    of a batch run concurrently. Offsets are committed after the batch, so a crash redelivers
    at most the batch in flight: handlers must be idempotent by event id.
    """

    def __init__(
        self,
        *,
        topic: Topic[M],
        group_id: str,
        handler: Handler[M],
        settings: KafkaSettings,
        publisher: Publisher,
        dlq_publisher: Publisher | None = None,
    ) -> None:
        self.topic = topic
        self.group_id = group_id
        self._handler = handler
        self._settings = settings
        self._dlq = dlq_publisher or publisher
        self._consumer = AIOKafkaConsumer(topic.name, **consumer_config(settings, group_id))
        self._stopping = asyncio.Event()
        self._running = False
        self._last_poll = 0.0
        self._next_offset: dict[TopicPartition, int] = {}
        self._progress_at: dict[TopicPartition, float] = {}
        self._lag_seen_at: dict[TopicPartition, float] = {}

    async def run(self) -> None:
        """Consumes until ``stop()``; then commits what was handled and leaves the group."""
        await self._consumer.start()
        self._running = True
        self._last_poll = time.monotonic()
        log.info("kafka.consumer.started", topic=self.topic.name, group_id=self.group_id)
        try:
            while not self._stopping.is_set():
                batches = await self._consumer.getmany(timeout_ms=500, max_records=self._settings.max_poll_records)
                self._last_poll = time.monotonic()
                if batches:
                    await self._handle_batches(batches)
        finally:
            self._running = False
            await self._consumer.stop()  # leaves the group, so partitions move at once
            log.info("kafka.consumer.stopped", topic=self.topic.name, group_id=self.group_id)

    def stop(self) -> None:
        """Asks the loop to finish the batch in flight, commit, and leave the group."""
        self._stopping.set()

    async def _handle_batches(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        await asyncio.gather(*(self._handle_partition(records) for records in batches.values()))
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # The group rebalanced mid-batch; the new owner redelivers and idempotent handlers absorb it.
            log.warning("kafka.consumer.commit_failed", topic=self.topic.name, group_id=self.group_id)
            return
        now = time.monotonic()
        for tp, offset in offsets.items():
            self._next_offset[tp] = offset
            self._progress_at[tp] = now
            self._lag_seen_at.pop(tp, None)

    async def _handle_partition(self, records: list[ConsumerRecord]) -> None:
        for record in records:
            await self._handle_record(record)

    async def _handle_record(self, record: ConsumerRecord) -> None:
        with telemetry.consumer_span(
            self.topic.name,
            record.headers,
            **{"messaging.kafka.partition": record.partition, "messaging.kafka.offset": record.offset},
        ) as span:
            try:
                message = self.topic.decode(record.value or b"")
                schema_version = envelope_of(message).schema_version
                if schema_version > SCHEMA_VERSION:
                    raise UnsupportedSchemaError(f"schema version {schema_version} > {SCHEMA_VERSION}")
            except (DecodeError, UnsupportedSchemaError) as error:
                await self._dead_letter(record, error, attempts=1)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                return
            envelope = envelope_of(message)
            span.set_attribute("switchboard.event_id", envelope.event_id)
            span.set_attribute("switchboard.tenant_id", envelope.tenant_id)
            # Every log line of the handler names the turn it belongs to (ids only, never text).
            with structlog.contextvars.bound_contextvars(
                tenant_id=envelope.tenant_id, conversation_id=envelope.conversation_id, event_id=envelope.event_id
            ):
                await self._handle_with_retries(record, message, span)

    async def _handle_with_retries(self, record: ConsumerRecord, message: M, span: Any) -> None:
        attempts = self._settings.handler_attempts
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                await self._handler(message)
            except PermanentError as error:
                await self._dead_letter(record, error, attempts=attempt)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                return
            except Exception as error:  # noqa: BLE001 - any other failure is retried, then dead-lettered
                log.warning(
                    "kafka.handler.failed",
                    topic=self.topic.name,
                    attempt=attempt,
                    error_class=type(error).__name__,
                )
                if attempt == attempts:
                    await self._dead_letter(record, error, attempts=attempt)
                    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                    return
                await asyncio.sleep(self._settings.retry_backoff_ms / 1000 * 2 ** (attempt - 1))
            else:
                HANDLE_SECONDS.labels(self.topic.name).observe(time.perf_counter() - started)
                EVENTS_HANDLED.labels(self.topic.name, "ok").inc()
                return

    async def _dead_letter(self, record: ConsumerRecord, error: BaseException, *, attempts: int) -> None:
        """Parks the record in the DLQ; retried until Kafka takes it, since dropping it would lose it."""
        headers = [
            *(record.headers or ()),
            (DLQ_HEADER_TOPIC, record.topic.encode()),
            (DLQ_HEADER_PARTITION, str(record.partition).encode()),
            (DLQ_HEADER_OFFSET, str(record.offset).encode()),
            (DLQ_HEADER_ERROR_CLASS, type(error).__name__.encode()),
            (DLQ_HEADER_ERROR_MESSAGE, str(error)[:500].encode("utf-8", "replace")),
            (DLQ_HEADER_ATTEMPTS, str(attempts).encode()),
        ]
        delay = self._settings.retry_backoff_ms / 1000
        while True:
            try:
                await self._dlq.publish_raw(self.topic.dlq, record.value, record.key, headers)
                break
            except KafkaError:
                log.error("kafka.dlq.publish_failed", topic=self.topic.dlq)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        DEAD_LETTERED.labels(self.topic.name, type(error).__name__).inc()
        EVENTS_HANDLED.labels(self.topic.name, "dead_lettered").inc()
        log.error(
            "kafka.record.dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error_class=type(error).__name__,
            attempts=attempts,
        )

    async def readiness(self) -> tuple[bool, str]:
        """Ready while polling goes on, the broker answers and no lagging partition stands still.

        After a broker restart an aiokafka consumer can stall silently (aiokafka issue 703): it
        stays "running" but fetches nothing. Lag that does not shrink for ``stall_after_s``
        is what gives it away.
        """
        if not self._running:
            return False, "consumer not running"
        now = time.monotonic()
        stall_after = self._settings.stall_after_s
        if now - self._last_poll > stall_after:
            return False, f"no poll for {now - self._last_poll:.0f}s"
        assignment = list(self._consumer.assignment())
        if not assignment:
            return True, "no partitions assigned"
        try:
            end_offsets = await asyncio.wait_for(self._consumer.end_offsets(assignment), timeout=3)
        except (KafkaError, asyncio.TimeoutError) as error:
            return False, f"kafka unreachable: {type(error).__name__}"
        for tp in assignment:
            handled = self._next_offset.get(tp)
            if handled is None:
                committed = await self._consumer.committed(tp)
                handled = committed or 0
            if end_offsets[tp] <= handled:
                self._lag_seen_at.pop(tp, None)
                continue
            seen = self._lag_seen_at.setdefault(tp, now)
            if now - max(seen, self._progress_at.get(tp, 0.0)) > stall_after:
                return False, f"{tp.topic}[{tp.partition}] stalled with lag {end_offsets[tp] - handled}"
        return True, "ok"


class TopicBroadcast(Generic[M]):
    """Reads every partition of one topic without a group, from the moment it starts.

    Each replica runs its own, so an event reaches every replica whatever partition owner the
    grouped consumers have. Nothing is committed and nothing is retried: a record that cannot be
    decoded or whose handler fails is logged and skipped, since the grouped consumer owns the work.
    """

    def __init__(self, *, topic: Topic[M], handler: Handler[M], settings: KafkaSettings, client_name: str) -> None:
        self.topic = topic
        self._handler = handler
        self._consumer = AIOKafkaConsumer(topic.name, **broadcast_config(settings, client_name))
        self._started = asyncio.Event()
        self._stopping = asyncio.Event()

    async def started(self) -> None:
        """Returns once the reader has its partitions and positions: later records will be seen."""
        await self._started.wait()

    async def run(self) -> None:
        await self._consumer.start()
        try:
            # Without a group the reader takes every partition once metadata arrives; resolve
            # "latest" for each now, so a record published after started() is never skipped.
            while not self._consumer.assignment():
                await asyncio.sleep(0.05)
            for tp in self._consumer.assignment():
                await self._consumer.position(tp)
            self._started.set()
            while not self._stopping.is_set():
                batches = await self._consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        await self._handle(record)
        finally:
            await self._consumer.stop()

    def stop(self) -> None:
        self._stopping.set()

    async def _handle(self, record: ConsumerRecord) -> None:
        try:
            message = self.topic.decode(record.value or b"")
            await self._handler(message)
        except Exception as error:  # noqa: BLE001 - fan-out is best effort; the grouped consumer owns delivery
            log.warning("kafka.broadcast.skipped", topic=self.topic.name, error_class=type(error).__name__)


async def ensure_topics(
    settings: KafkaSettings, topics: Sequence[Topic], *, replication_factor: int = 1, timeout_s: float = 60.0
) -> list[str]:
    """Creates the missing topics and their DLQs; returns the names created.

    Waits (polling, bounded by ``timeout_s``) for the broker to answer first.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.client_id_prefix}-admin",
        request_timeout_ms=settings.request_timeout_ms,
    )
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await admin.start()
            break
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, partitions, replication_factor)
            for topic in topics
            for name, partitions in ((topic.name, topic.partitions), (topic.dlq, topic.dlq_partitions))
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another replica created them first
                await admin.create_topics(wanted)
        return [new.name for new in wanted]
    finally:
        await admin.close()
