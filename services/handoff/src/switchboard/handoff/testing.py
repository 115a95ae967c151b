"""A running handoff service in this process on private topics, and builders of the events it reads.

Used by the service's integration tests and the console browser tests:

    node = await start_handoff(tenants_dir)          # real Kafka, real database, real HTTP port
    await harness.send(node.topics.decided, handoff_decision("c1", reasons=["CUSTOMER_REQUEST"]))
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp

from switchboard.core.contracts import (
    Channel,
    ChannelIds,
    Envelope,
    HandoffDecision,
    HandoffReason,
    Language,
    MessageReceived,
    MessageUnderstood,
    ReplyDecided,
    caused_envelope,
    new_envelope,
)
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.settings import HttpSettings, KafkaSettings, MongoSettings, SecretStr
from switchboard.core.testing import free_port
from switchboard.core.testing.events import reading
from switchboard.core.topics import ConversationTopics
from switchboard.handoff.app import build
from switchboard.handoff.floor_stream import FloorStream
from switchboard.handoff.service import HandoffService
from switchboard.handoff.settings import AssistSettings, ConsoleSettings, FloorSettings, Settings

# Noon in Shanghai: inside the demo tenant's agent hours.
WORKING_HOURS = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)
DEMO_PASSWORDS = {"li.lei": "lilei-demo", "amy": "amy-demo", "han.mei": "hanmei-demo"}


@dataclass
class Clock:
    """A settable clock, so tests decide what time it is for agent hours and waiting times."""

    now: datetime = WORKING_HOURS

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def envelope_at(
    at: datetime,
    conversation_id: str,
    customer_id: str,
    *,
    channel: int = Channel.CHANNEL_WEB,
    tenant_id: str = "demo",
    event_id: str | None = None,
) -> Envelope:
    """A turn's envelope stamped at ``at``: for events whose time is what a test checks (the floor's figures)."""
    envelope = new_envelope(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        customer_id=customer_id,
        channel=channel,
        event_id=event_id,
    )
    envelope.created_at.FromDatetime(at)
    return envelope


def customer_message(
    conversation_id: str,
    text: str,
    *,
    tenant_id: str = "demo",
    customer_id: str = "",
    channel: int = Channel.CHANNEL_WEB,
) -> MessageReceived:
    envelope = new_envelope(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        customer_id=customer_id or f"cust-{conversation_id}",
        channel=channel,
    )
    return MessageReceived(
        envelope=envelope,
        text=text,
        channel_ids=ChannelIds(message_id=uuid.uuid4().hex, user_id=f"user-{conversation_id}"),
    )


def understood(
    message: MessageReceived,
    *,
    intent: str = "complaint",
    emotion: str = "ANGRY",
    score: float = 0.9,
    entities: dict[str, str] | None = None,
) -> MessageUnderstood:
    understanding = reading(
        message.text, intent, confidence=0.9, entities=entities, emotion=emotion, emotion_score=score
    )
    return MessageUnderstood(
        envelope=caused_envelope(message.envelope, "nlu"), message=message, understanding=understanding
    )


def handoff_decision(
    conversation_id: str,
    *,
    reasons: list[str],
    topic: str = "",
    tenant_id: str = "demo",
    customer_id: str = "",
    channel: int = Channel.CHANNEL_WEB,
    language: int = Language.LANGUAGE_ZH,
    text: str = "我要找人工",
    summary: str = "",
) -> ReplyDecided:
    """The dialogue service's handoff decision answering a fresh customer message."""
    message = customer_message(conversation_id, text, tenant_id=tenant_id, customer_id=customer_id, channel=channel)
    decision = HandoffDecision(
        reasons=[HandoffReason.Value(f"HANDOFF_REASON_{r}") for r in reasons],
        topic=topic,
        language=language,
        summary=summary,
    )
    return ReplyDecided(
        envelope=caused_envelope(message.envelope, "decided"), handoff=decision, language=language, message=message
    )


def tenants_copy(repo: Path, target: Path, *, extra_tenant: str = "") -> Path:
    """A tenants folder with the demo tenant and, if asked, a second tenant with the same agents."""
    shutil.copytree(
        repo / "tenants" / "demo",
        target / "demo",
        ignore=shutil.ignore_patterns("actions", "knowledge", "data"),
    )
    if extra_tenant:
        other = target / extra_tenant
        shutil.copytree(target / "demo", other)
        text = (other / "tenant.yaml").read_text(encoding="utf-8").replace("id: demo", f"id: {extra_tenant}")
        (other / "tenant.yaml").write_text(text, encoding="utf-8")
    return target


@dataclass
class HandoffNode:
    """One handoff service instance; ``stop`` drains it like SIGTERM, ``start`` again restarts it."""

    kafka: KafkaSettings
    mongo: MongoSettings
    tenants_dir: Path
    topics: ConversationTopics
    clock: Callable[[], datetime] = field(default_factory=Clock)
    port: int = 0
    presence_timeout_s: float = 30.0
    generator_address: str = "127.0.0.1:1"
    floor_standby_replicas: int = 0

    async def start(self) -> HandoffNode:
        self.port = self.port or free_port()
        self.settings = Settings(
            kafka=self.kafka,
            mongo=self.mongo,
            http=HttpSettings(port=self.port),
            tenants_dir=str(self.tenants_dir),
            console=ConsoleSettings(
                session_secret=SecretStr("test-secret"),
                presence_timeout_s=self.presence_timeout_s,
                sweep_interval_s=3600,
            ),
            assist=AssistSettings(generator_address=self.generator_address, timeout_s=2.0),
            drain_timeout_s=5,
            # The floor stream's group and topics are private to these topics, and kept across restarts.
            floor=FloorSettings(
                app_id=f"floor.{self.topics.inbound.name}",
                partitions=2,
                standby_replicas=self.floor_standby_replicas,
                advertised_host="127.0.0.1",
            ),
        )
        self.runtime = ServiceRuntime("handoff", self.settings)
        wired = await build(self.runtime, self.settings, self.topics)
        self.service: HandoffService = wired.service
        self.floor: FloorStream = wired.floor
        self.service.clock = self.clock
        self.task = asyncio.create_task(self.runtime.run())
        await _wait_ready(self.base_url, self.task)
        return self

    async def stop(self) -> None:
        self.runtime.request_stop()
        await asyncio.wait_for(self.task, timeout=30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _wait_ready(url: str, task: asyncio.Task, timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if task.done():
                task.result()
                raise AssertionError("the handoff service stopped before it was ready")
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the handoff service did not become ready")


async def console_login(node: HandoffNode, agent_id: str, tenant: str = "demo") -> aiohttp.ClientSession:
    """A console session of a demo agent (close it when done); its writes carry the ``X-Console`` header."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"X-Console": "1"})
    async with session.post(
        f"{node.base_url}/console/api/login",
        json={"tenant": tenant, "agent_id": agent_id, "password": DEMO_PASSWORDS[agent_id]},
    ) as r:
        if r.status != 200:
            await session.close()
            raise AssertionError(f"login of {agent_id} failed: {r.status} {await r.text()}")
    return session


def sorted_events(events: list[Any]) -> dict[str, list[Any]]:
    """Handoff events grouped by kind, in arrival order."""
    kinds: dict[str, list[Any]] = {}
    for event in events:
        kinds.setdefault(event.WhichOneof("event"), []).append(event)
    return kinds
