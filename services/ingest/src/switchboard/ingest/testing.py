"""An in-process ingest node on the real broker and database, for tests and the benchmark.

``IngestNode`` serves every channel route on a local port with its own topics (pass test-private
copies), runs the per-replica reply readers and the grouped delivery consumer, and a ``Responder``
stands in for NLU, dialogue and generator: it answers each customer message on the outbound topic.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from pymongo import MongoClient

from switchboard.core.contracts import (
    HandoffEvent,
    MessageReceived,
    QuickReply,
    ReplyReady,
    ReplySource,
    caused_envelope,
)
from switchboard.core.kafka import Publisher, TopicBroadcast, TopicConsumer
from switchboard.core.settings import KafkaSettings, MongoSettings
from switchboard.core.testing import free_port
from switchboard.core.topics import Topic
from switchboard.ingest.app import Delivery, build_adapters, build_context, use_io_threads
from switchboard.ingest.settings import Settings

Answer = Callable[[MessageReceived], Awaitable[list[ReplyReady]]]


def reply_to(
    message: MessageReceived, text: str, *, sequence: int = 0, count: int = 1, step: str = "", **fields: Any
) -> ReplyReady:
    """A reply to ``message`` as the generator writes it (id derived from the cause and ``step``)."""
    return ReplyReady(
        envelope=caused_envelope(message.envelope, step or f"reply/{sequence}"),
        text=text,
        sequence=sequence,
        sequence_count=count,
        channel_ids=message.channel_ids,
        source=fields.pop("source", ReplySource.REPLY_SOURCE_GENERATED),
        in_reply_to=fields.pop("in_reply_to", message.envelope.event_id),
        **fields,
    )


async def echo(message: MessageReceived) -> list[ReplyReady]:
    """The default answer: the text back, with two quick replies."""
    text = message.text or message.dtmf_digits
    options = [
        QuickReply(title="查订单 Order", payload="/check_order"),
        QuickReply(title="人工 Agent", payload="/human_agent"),
    ]
    return [reply_to(message, f"echo: {text}", quick_replies=options)]


@dataclass
class Responder:
    """Answers every customer message on the inbound topic; swap ``answer`` to change how."""

    answer: Answer = echo
    delay_s: float = 0.0
    received: list[MessageReceived] = field(default_factory=list)

    async def __call__(self, message: MessageReceived, publish: Callable[[ReplyReady], Awaitable[None]]) -> None:
        self.received.append(message)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        for reply in await self.answer(message):
            await publish(reply)


@dataclass
class IngestNode:
    kafka: KafkaSettings
    mongo: MongoSettings
    inbound: Topic
    outbound: Topic
    handoff: Topic
    responder: Responder | None = None
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    repo: Path = Path(".")
    port: int = 0
    delivery_group: str = ""
    extra_routes: list[web.RouteDef] = field(default_factory=list)

    async def __aenter__(self) -> IngestNode:
        self.port = self.port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        overrides = {
            "tenants_dir": str(self.repo / "tenants"),
            "public_base_url": self.base_url,
            **self.settings_overrides,
        }
        self.settings = Settings(kafka=self.kafka, mongo=self.mongo, **overrides)
        use_io_threads(self.settings.io_threads)
        self.client = MongoClient(self.mongo.uri, serverSelectionTimeoutMS=self.mongo.timeout_ms, tz_aware=True)
        self.db = self.client[self.mongo.database]
        self.publisher = Publisher(self.kafka, f"ingest-node-{uuid.uuid4().hex[:6]}")
        await self.publisher.start()
        self.context = build_context(self.settings, self.db, lambda m: self.publisher.publish(self.inbound, m))
        self.http = aiohttp.ClientSession()
        providers, senders = build_adapters(self.context, self.http, self.db)
        app = web.Application()
        for provider in providers:
            app.router.add_routes(provider.routes())
        app.router.add_routes(self.extra_routes)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.readers = [
            TopicBroadcast(
                topic=self.outbound, handler=self.context.hub.on_reply, settings=self.kafka, client_name="node-out"
            ),
            TopicBroadcast(
                topic=self.handoff, handler=self.context.hub.on_handoff, settings=self.kafka, client_name="node-ho"
            ),
        ]
        self.consumers = [
            TopicConsumer(
                topic=self.outbound,
                group_id=self.delivery_group or f"ingest-{uuid.uuid4().hex[:8]}",
                handler=Delivery(senders),
                settings=self.kafka,
                publisher=self.publisher,
            ),
        ]
        if self.responder is not None:
            responder = self.responder

            async def respond(message: MessageReceived) -> None:
                await responder(message, lambda reply: self.publisher.publish(self.outbound, reply))

            self.consumers.append(
                TopicConsumer(
                    topic=self.inbound,
                    group_id=f"responder-{uuid.uuid4().hex[:8]}",
                    handler=respond,
                    settings=self.kafka,
                    publisher=self.publisher,
                )
            )
        self.tasks = [asyncio.create_task(r.run()) for r in self.readers]
        self.tasks += [asyncio.create_task(c.run()) for c in self.consumers]
        await asyncio.wait_for(asyncio.gather(*(r.started() for r in self.readers)), 30)
        return self

    async def publish_reply(self, reply: ReplyReady) -> None:
        await self.publisher.publish(self.outbound, reply)

    async def publish_handoff(self, event: HandoffEvent) -> None:
        await self.publisher.publish(self.handoff, event)

    async def __aexit__(self, *_: Any) -> None:
        for consumer in self.consumers:
            consumer.stop()
        for reader in self.readers:
            reader.stop()
        await asyncio.wait(self.tasks, timeout=15)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.runner.cleanup()
        await self.http.close()
        await self.publisher.stop()
        self.client.close()
