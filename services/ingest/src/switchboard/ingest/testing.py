"""An in-process ingest node on the real broker and database, for tests and the benchmark.

``IngestNode`` is the service as ``app.build`` wires it, on a local port and its own topics (pass test-private
copies); a ``Responder`` stands in for NLU, dialogue and generator: it answers each customer message on the
outbound topic.
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

from switchboard.core.contracts import (
    HandoffEvent,
    MessageReceived,
    QuickReply,
    ReplyReady,
    ReplySource,
    caused_envelope,
)
from switchboard.core.kafka import Publisher
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.settings import HttpSettings, KafkaSettings, MongoSettings
from switchboard.core.testing import free_port
from switchboard.core.topics import ConversationTopics, Topic
from switchboard.ingest.app import build
from switchboard.ingest.channels import Context
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
    """One ingest replica built by ``app.build`` on the given topics; nodes with one ``delivery_group`` share
    the delivery consumer's group like replicas do."""

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
        self.settings = Settings(kafka=self.kafka, mongo=self.mongo, http=HttpSettings(port=self.port), **overrides)
        group = self.delivery_group or f"ingest-{uuid.uuid4().hex[:8]}"
        self.runtime = ServiceRuntime("ingest", self.settings, consumer_group=group)
        topics = ConversationTopics(inbound=self.inbound, outbound=self.outbound, handoff=self.handoff)
        self.parts = await build(self.runtime, self.settings, topics)
        self.runtime.http_app.router.add_routes(self.extra_routes)
        if self.responder is not None:
            responder = self.responder

            async def respond(message: MessageReceived) -> None:
                await responder(message, self.publish_reply)

            self.runtime.consume(self.inbound, respond, group_id=f"responder-{uuid.uuid4().hex[:8]}")
        self.client = self.runtime.mongo_client()
        self.db = self.runtime.database()
        self.task = asyncio.create_task(self.runtime.run())
        readers = asyncio.ensure_future(asyncio.gather(*(r.started() for r in self.parts.readers)))
        done, _ = await asyncio.wait([readers, self.task], timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            readers.cancel()
            self.task.result()
            raise AssertionError("the ingest node stopped before its reply readers started")
        if readers not in done:
            readers.cancel()
            raise AssertionError("the ingest node's reply readers did not start")
        return self

    @property
    def context(self) -> Context:
        return self.parts.context

    @property
    def http(self) -> aiohttp.ClientSession:
        return self.parts.http

    @property
    def publisher(self) -> Publisher:
        return self.runtime.publisher

    async def publish_reply(self, reply: ReplyReady) -> None:
        await self.runtime.publish(self.outbound, reply)

    async def publish_handoff(self, event: HandoffEvent) -> None:
        await self.runtime.publish(self.handoff, event)

    async def __aexit__(self, *_: Any) -> None:
        self.runtime.request_stop()
        await asyncio.wait_for(self.task, timeout=60)
