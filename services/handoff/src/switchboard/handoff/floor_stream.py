"""The supervisor floor as a faust-streaming app: conversation events in, per-tenant figures in tables.

Embedded in the handoff service process: ``app.py`` starts it with the service's other background work
and stops it while draining on SIGTERM (faust's ``App`` is a mode ``Service``, so ``start``/``stop``
run on the service's own event loop; no faust ``Worker``, no second process, no faust web server).
Topology, under the faust app id (``HANDOFF_FLOOR__APP_ID``, also its consumer group):

    conversation.inbound.v1 / .outbound.v1 / .handoff.v1  (protobuf, read as raw bytes)
      -> agent ``normalise``: decode with the topic contracts, keep what the floor needs (``FloorEvent``)
      -> internal topic ``<app id>-events``, keyed by tenant (a tenant's events on one partition, in order)
      -> agent ``aggregate``: drop event ids already seen, ``FloorLedger.apply`` into the tables

Tables (memory store; each backed by the changelog topic ``<app id>-<table>-changelog`` and restored
from it on start): ``seen`` (event ids, tumbling windows by event time that expire after twice the
dedup window), ``conversations``, ``customers``, ``tenants``. The conversation path itself stays on
aiokafka with explicit commits; this stream only reads, so a faust restart loses no conversation.

A tenant's figures live on the replica that owns its partition of ``<app id>-events`` (standby copies
are kept for a fast takeover, but faust does not read from them). Each replica advertises its HTTP
address in the group's assignment (faust's ``canonical_url``), so ``owner_url`` tells another replica
where to ask.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime, timezone
from typing import Any

import faust
from aiokafka.partitioner import DefaultPartitioner
from google.protobuf.message import DecodeError, Message

from switchboard.core.contracts import Envelope, HandoffEvent, HandoffReason, MessageReceived, ReplyReady, ReplySource
from switchboard.core.logs import get_logger
from switchboard.core.settings import KafkaSettings
from switchboard.core.topics import ConversationTopics, Topic
from switchboard.handoff.analytics import Figures, FloorEvent, FloorLedger, csat_score
from switchboard.handoff.settings import FloorSettings

log = get_logger(__name__)

_HANDOFF_KINDS = {"escalated": "escalated", "queued": "queued", "assigned": "assigned", "returned_to_bot": "returned"}
_REASON_PREFIX = "HANDOFF_REASON_"
_SOURCE_PREFIX = "REPLY_SOURCE_"


def _floor_event(kind: str, envelope: Envelope, **fields: Any) -> FloorEvent:
    return FloorEvent(
        kind=kind,
        event_id=envelope.event_id,
        tenant_id=envelope.tenant_id,
        conversation_id=envelope.conversation_id,
        customer_id=envelope.customer_id,
        at=envelope.created_at.ToDatetime(timezone.utc).timestamp(),
        **fields,
    )


def normalise(message: Message) -> FloorEvent | None:
    """The floor's view of one decoded conversation event; ``None`` for events it does not count."""
    envelope: Envelope = message.envelope  # type: ignore[attr-defined]
    if not envelope.event_id or not envelope.tenant_id or not envelope.conversation_id:
        return None
    if isinstance(message, MessageReceived):
        return _floor_event("message", envelope, csat=csat_score(message.text))
    if isinstance(message, ReplyReady):
        if message.partial:
            return None
        return _floor_event("reply", envelope, source=ReplySource.Name(message.source).removeprefix(_SOURCE_PREFIX))
    if isinstance(message, HandoffEvent):
        kind = _HANDOFF_KINDS.get(message.WhichOneof("event") or "")
        if kind is None:
            return None
        reasons = tuple(HandoffReason.Name(r).removeprefix(_REASON_PREFIX) for r in message.escalated.reasons)
        return _floor_event(kind, envelope, reasons=reasons if kind == "escalated" else ())
    return None


_PARTITIONER = DefaultPartitioner()


def tenant_partition(tenant_id: str, partitions: int) -> int:
    """The partition of ``<app id>-events`` that faust's producer sends a tenant's events to (they are
    keyed by tenant; aiokafka's default partitioner)."""
    every = list(range(partitions))
    return _PARTITIONER(tenant_id.encode(), every, every)


class FloorStream:
    """One faust app over ``topics`` whose tables hold every tenant's floor figures."""

    def __init__(
        self, settings: FloorSettings, kafka: KafkaSettings, topics: ConversationTopics, http_port: int = 0
    ) -> None:
        self.settings = settings
        self._sources: dict[str, Topic[Any]] = {t.name: t for t in (topics.inbound, topics.outbound, topics.handoff)}
        self.url = f"http://{settings.advertised_host or socket.gethostname()}:{http_port}"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.app = faust.App(
            settings.app_id,
            broker=[f"kafka://{address.strip()}" for address in kafka.bootstrap_servers.split(",")],
            store="memory://",
            # faust's default is ``<app id>-data`` in the working directory: read-only in a pod, litter in a checkout.
            datadir=str(settings.data_dir / settings.app_id),
            web_enabled=False,
            autodiscover=False,
            topic_partitions=settings.partitions,
            topic_replication_factor=settings.replication_factor,
            table_standby_replicas=settings.standby_replicas,
            consumer_auto_offset_reset="earliest",
            processing_guarantee="at_least_once",
            canonical_url=self.url,
        )
        self._events = self.app.topic(
            f"{settings.app_id}-events",
            internal=True,
            partitions=settings.partitions,
            key_serializer="raw",
            value_serializer="json",
        )
        window = settings.dedup_window_s
        self.seen = (
            self.app.Table("seen", default=bool, partitions=settings.partitions)
            .tumbling(window, expires=2 * window)
            .relative_to(lambda event: event.value["at"])
        )
        self.ledger = FloorLedger(
            conversations=self.app.Table("conversations", partitions=settings.partitions),
            customers=self.app.Table("customers", partitions=settings.partitions),
            tenants=self.app.Table("tenants", partitions=settings.partitions),
        )
        sources = self.app.topic(*self._sources, key_serializer="raw", value_serializer="raw")
        self.app.agent(sources, name="normalise")(self._normalise)
        self.app.agent(self._events, name="aggregate")(self._aggregate)
        self._started = False

    async def _normalise(self, stream: faust.StreamT) -> None:
        async for event in stream.events():
            topic = self._sources[event.message.topic]
            try:
                floor_event = normalise(topic.decode(event.value))
            except DecodeError:
                log.warning("floor.record.undecodable", topic=topic.name, offset=event.message.offset)
                continue
            if floor_event is not None:
                await self._events.send(key=floor_event.tenant_id.encode(), value=floor_event.as_record())

    async def _aggregate(self, stream: faust.StreamT) -> None:
        async for record in stream:
            event = FloorEvent.from_record(record)
            # A redelivered event (same id, same event time, so the same window) is counted once. ``value()``
            # reads the window of the event time, as the assignment below writes it; ``current()`` would
            # read the window of the record's Kafka timestamp instead.
            if self.seen[event.event_id].value():
                log.debug("floor.event.duplicate", event_id=event.event_id)
                continue
            self.seen[event.event_id] = True
            self.ledger.apply(event)

    def figures(self, tenant_id: str, now: datetime) -> Figures:
        return self.ledger.figures(tenant_id, now.timestamp())

    def owner_url(self, tenant_id: str) -> str | None:
        """The advertised URL of the other replica whose tables hold ``tenant_id``; None when that is this
        replica, or while no assignment is known (a rebalance, or the stream not started)."""
        # The tables' changelogs are partitioned as the events topic is.
        partition = tenant_partition(tenant_id, self.settings.partitions)
        changelog = self.ledger.tenants.changelog_topic.get_topic_name()
        for url, assigned in self.app.assignor.tables_metadata().items():
            if partition in assigned.get(changelog, ()):
                return None if url.rstrip("/") == self.url else url.rstrip("/")
        return None

    @property
    def recovering(self) -> bool:
        """True until this replica's tables are restored from their changelogs (figures incomplete)."""
        return not self._started or bool(self.app.rebalancing or self.app.in_recovery)

    async def readiness(self) -> tuple[bool, str]:
        return (self._started, "running" if self._started else "starting")

    async def declare_topics(self) -> None:
        """Creates the app's own topics (its events topic, the tables' changelogs) if they are missing.

        faust declares them only after its consumer's first assignment, and that assignment ignores
        topics that do not exist yet: on a new cluster the stream would then read nothing of its own
        topics until the next rebalance, and the floor would stay empty.
        """
        for topic in (self._events, *(table.changelog_topic for table in self.app.tables.values())):
            await topic.declare()

    async def run(self) -> None:
        """Runs the app until cancelled, then stops it (consumers, producer, tables)."""
        await self.declare_topics()
        await self.app.start()
        self._started = True
        log.info("floor.stream.started", app_id=self.settings.app_id, topics=",".join(self._sources))
        try:
            await asyncio.Event().wait()
        finally:
            self._started = False
            await self.app.stop()
            log.info("floor.stream.stopped", app_id=self.settings.app_id)
