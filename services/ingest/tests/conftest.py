"""Fixtures of the ingest tests: an in-process ingest node on private topics, a stand-in WeChat API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from switchboard.core.testing.plugin import repo_root
from switchboard.core.topics import HANDOFF_EVENTS, MESSAGE_RECEIVED, REPLY_READY
from switchboard.ingest.channel_clients import StandInWeChat
from switchboard.ingest.testing import IngestNode, Responder


@pytest.fixture()
async def fake_wechat() -> AsyncIterator[StandInWeChat]:
    fake = await StandInWeChat().start()
    yield fake
    await fake.stop()


@pytest.fixture()
async def make_node(kafka_settings, mongo_settings, private_topic, fake_wechat) -> AsyncIterator[Callable[..., Any]]:
    """Starts ingest nodes sharing topics, database and delivery group (several = several replicas)."""
    topics = {
        "inbound": await private_topic(MESSAGE_RECEIVED),
        "outbound": await private_topic(REPLY_READY),
        "handoff": await private_topic(HANDOFF_EVENTS),
    }
    started: list[IngestNode] = []

    async def make(responder: Responder | None = None, **overrides: Any) -> IngestNode:
        node = IngestNode(
            kafka=kafka_settings,
            mongo=mongo_settings,
            responder=responder,
            settings_overrides={"wechat_api_base": fake_wechat.base_url, **overrides},
            repo=repo_root(),
            delivery_group=f"ingest-delivery-{id(topics)}",
            **topics,
        )
        started.append(await node.__aenter__())
        return node

    yield make
    for node in reversed(started):
        await node.__aexit__(None, None, None)
