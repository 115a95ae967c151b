"""Fixtures of the handoff tests: a tenants folder with a second tenant, and running handoff nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard.core.testing.plugin import repo_root
from switchboard.core.topics import ConversationTopics
from switchboard.handoff.testing import HandoffNode, tenants_copy


@pytest.fixture()
def tenants_dir(tmp_path: Path) -> Path:
    """The demo tenant as shipped, plus tenant ``acme`` with the same agents (for isolation tests)."""
    return tenants_copy(repo_root(), tmp_path / "tenants", extra_tenant="acme")


@pytest.fixture()
def handoff_topics(conversation_topics: ConversationTopics) -> ConversationTopics:
    """The handoff nodes' topics: private copies of every conversation topic."""
    return conversation_topics


@pytest.fixture()
async def make_node(kafka_settings, mongo_settings, tenants_dir, handoff_topics) -> AsyncIterator[Callable[..., Any]]:
    """Starts handoff nodes on the same topics and database; stops those still running at the end."""
    nodes: list[HandoffNode] = []

    async def make(**overrides: Any) -> HandoffNode:
        node = HandoffNode(
            kafka=kafka_settings, mongo=mongo_settings, tenants_dir=tenants_dir, topics=handoff_topics, **overrides
        )
        nodes.append(await node.start())
        return node

    yield make
    for node in nodes:
        if not node.task.done():
            await node.stop()
