"""Fixtures of the handoff tests: a tenants folder with a second tenant, and running handoff nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard.core.testing.plugin import repo_root
from switchboard.core.topics import (
    HANDOFF_EVENTS,
    MESSAGE_RECEIVED,
    MESSAGE_UNDERSTOOD,
    REPLY_DECIDED,
    REPLY_READY,
    ConversationTopics,
)
from switchboard.handoff.testing import HandoffNode, tenants_copy


@pytest.fixture()
def tenants_dir(tmp_path: Path) -> Path:
    """The demo tenant as shipped, plus tenant ``acme`` with the same agents (for isolation tests)."""
    return tenants_copy(repo_root(), tmp_path / "tenants", extra_tenant="acme")


@pytest.fixture()
async def handoff_topics(private_topic) -> ConversationTopics:
    return ConversationTopics(
        decided=await private_topic(REPLY_DECIDED),
        inbound=await private_topic(MESSAGE_RECEIVED),
        understood=await private_topic(MESSAGE_UNDERSTOOD),
        outbound=await private_topic(REPLY_READY),
        handoff=await private_topic(HANDOFF_EVENTS),
    )


@pytest.fixture()
async def make_node(kafka_settings, mongo_settings, tenants_dir, handoff_topics) -> AsyncIterator[Callable[..., Any]]:
    """Starts handoff nodes on the same topics and database; stops those still running at the end."""
    nodes: list[HandoffNode] = []

    async def make(**overrides: Any) -> HandoffNode:
        node = HandoffNode(kafka=kafka_settings, mongo=mongo_settings, tenants_dir=tenants_dir, topics=handoff_topics,
                           **overrides)
        nodes.append(await node.start())
        return node

    yield make
    for node in nodes:
        if not node.task.done():
            await node.stop()
