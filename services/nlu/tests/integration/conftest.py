"""A running NLU service in this process: real Kafka (private topics), real HTTP and gRPC ports."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from switchboard.core.runtime import ServiceRuntime
from switchboard.core.settings import GrpcSettings, HttpSettings, KafkaSettings
from switchboard.core.testing import free_port
from switchboard.core.testing.harness import wait_until
from switchboard.core.topics import ConversationTopics, Topic
from switchboard.nlu.app import build
from switchboard.nlu.model_store import ModelStore
from switchboard.nlu.registry import ModelRegistry
from switchboard.nlu.settings import Settings


@dataclass
class RunningNlu:
    settings: Settings
    registry: ModelRegistry
    inbound: Topic[Any]
    outbound: Topic[Any]
    task: asyncio.Task

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http.port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.settings.grpc.port}"


async def wait_ready(url: str, task: asyncio.Task, timeout_s: float = 90.0) -> None:
    async with aiohttp.ClientSession() as session:

        async def ready() -> bool:
            if task.done():
                task.result()
                raise AssertionError("the service stopped before it was ready")
            try:
                async with session.get(f"{url}/readyz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await wait_until(ready, timeout_s=timeout_s, interval_s=0.2)


@pytest.fixture()
async def start_nlu(
    kafka_settings: KafkaSettings, mongo_settings, conversation_topics: ConversationTopics, tmp_path: Path
) -> AsyncIterator[Callable[..., Any]]:
    """Starts the service; ``models_from`` pre-fills its models folder, otherwise it trains at start."""
    started: list[tuple[ServiceRuntime, asyncio.Task]] = []

    async def start(models_from: ModelStore | None = None) -> RunningNlu:
        models_dir = tmp_path / "models"
        if models_from is not None:
            shutil.copytree(models_from.root, models_dir)
        settings = Settings(
            kafka=kafka_settings,
            mongo=mongo_settings,
            http=HttpSettings(port=free_port()),
            grpc=GrpcSettings(port=free_port(), shutdown_grace_s=0.5),
            models_dir=models_dir,
            reload_interval_s=0.3,
            drain_timeout_s=5,
        )
        runtime = ServiceRuntime("nlu", settings)
        parts = await build(runtime, settings, conversation_topics)
        task = asyncio.create_task(runtime.run())
        started.append((runtime, task))
        await wait_ready(f"http://127.0.0.1:{settings.http.port}", task)
        return RunningNlu(settings, parts.registry, conversation_topics.inbound, conversation_topics.understood, task)

    yield start
    for runtime, task in started:
        runtime.request_stop()
        await asyncio.wait_for(task, timeout=30)
