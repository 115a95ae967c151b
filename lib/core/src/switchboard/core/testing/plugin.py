"""pytest plugin: the real Kafka and MongoDB-wire database for integration and system tests.

Addresses come from ``SWITCHBOARD_TEST_KAFKA_BOOTSTRAP`` and ``SWITCHBOARD_TEST_MONGO_URI``
(``make test`` sets them after starting the test stack). Without them, the plugin starts the
test stack itself with the project's devstack tool and stops it at the end of the session.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.core.kafka import ensure_topics
from switchboard.core.settings import KafkaSettings, MongoSettings
from switchboard.core.testing.harness import TopicHarness
from switchboard.core.topics import ConversationTopics, Topic

KAFKA_ENV = "SWITCHBOARD_TEST_KAFKA_BOOTSTRAP"
MONGO_ENV = "SWITCHBOARD_TEST_MONGO_URI"


def repo_root() -> Path:
    """The checkout this test run belongs to (the folder holding ``proto/`` and ``tools/``)."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "proto").is_dir() and (folder / "tools" / "devstack").is_dir():
            return folder
    raise RuntimeError(f"run the tests from inside the Switchboard checkout (cwd is {here})")


@pytest.fixture(scope="session")
def infra() -> Iterator[dict[str, str]]:
    """Addresses of the test stack, starting it when nobody else did."""
    if os.environ.get(KAFKA_ENV) and os.environ.get(MONGO_ENV):
        yield {"kafka": os.environ[KAFKA_ENV], "mongo": os.environ[MONGO_ENV]}
        return
    root = repo_root()
    env = {**os.environ, "PYTHONPATH": str(root / "tools")}
    devstack = [sys.executable, "-m", "devstack"]
    subprocess.run([*devstack, "infra-up", "--profile", "test"], cwd=root, env=env, check=True)
    try:
        out = subprocess.run(
            [*devstack, "infra-env", "--profile", "test"], cwd=root, env=env, check=True, capture_output=True, text=True
        ).stdout
        addresses = dict(line.split("=", 1) for line in out.split())
        yield {"kafka": addresses[KAFKA_ENV], "mongo": addresses[MONGO_ENV]}
    finally:
        subprocess.run([*devstack, "infra-down", "--profile", "test"], cwd=root, env=env, check=False)


@pytest.fixture(scope="session")
def kafka_settings(infra: dict[str, str]) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=infra["kafka"], retry_backoff_ms=20)


@pytest.fixture()
def mongo_settings(infra: dict[str, str]) -> Iterator[MongoSettings]:
    """A database of its own for each test, dropped afterwards."""
    settings = MongoSettings(uri=infra["mongo"], database=f"test_{uuid.uuid4().hex[:12]}")
    yield settings
    from pymongo import MongoClient

    with MongoClient(settings.uri, serverSelectionTimeoutMS=settings.timeout_ms) as client:
        client.drop_database(settings.database)


@pytest.fixture()
async def kafka_harness(kafka_settings: KafkaSettings) -> AsyncIterator[TopicHarness]:
    async with TopicHarness(kafka_settings) as harness:
        yield harness


@pytest.fixture()
async def private_topic(kafka_settings: KafkaSettings) -> AsyncIterator[Callable[[Topic[Any]], Any]]:
    """Makes test-private copies of declared topics (created with their DLQs), so tests never meet."""
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    made: dict[str, Topic[Any]] = {}

    async def make(topic: Topic[Any]) -> Topic[Any]:
        if topic.name not in made:
            private = topic.renamed(prefix + topic.name)
            await ensure_topics(kafka_settings, [private])
            made[topic.name] = private
        return made[topic.name]

    yield make


@pytest.fixture()
async def conversation_topics(private_topic: Callable[[Topic[Any]], Any]) -> ConversationTopics:
    """Private copies of every conversation topic: the same copies ``private_topic`` hands out in this test."""
    declared = ConversationTopics()
    return ConversationTopics(
        **{field.name: await private_topic(getattr(declared, field.name)) for field in dataclasses.fields(declared)}
    )
