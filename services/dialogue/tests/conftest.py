"""Fixtures of the dialogue tests: the trained demo model (cached) and an assistant on the real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from switchboard.core.settings import MongoSettings
from switchboard.core.tenants import load_tenant
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.action_runner import InProcessActionEndpoint
from switchboard.dialogue.actions import build_actions
from switchboard.dialogue.assistant import Assistant, quiet_rasa
from switchboard.dialogue.decisions import Output
from switchboard.dialogue.model import ensure_model
from switchboard.dialogue.shop import Shop, load_shop_data
from switchboard.dialogue.testing import Decisions, understood
from switchboard.dialogue.tracker_store import ConversationTrackerStore


@pytest.fixture(scope="session")
def assistant_dir() -> Path:
    return repo_root() / "tenants" / "demo"


@pytest.fixture(scope="session")
def trained_model(assistant_dir: Path) -> Path:
    quiet_rasa(own_logging=False)
    return ensure_model(assistant_dir, repo_root() / ".run" / "models", show_progress=False)


@pytest.fixture()
def database(mongo_settings: MongoSettings) -> Iterator[object]:
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=mongo_settings.timeout_ms) as client:
        yield client[mongo_settings.database]


@pytest.fixture()
def shop(database: object) -> Shop:
    tenant = load_tenant(repo_root() / "tenants" / "demo" / "tenant.yaml")
    database.tenants.replace_one({"_id": tenant.id}, tenant.document(), upsert=True)
    shop = Shop(database, tenant.id, tenant.timezone)
    shop.seed(load_shop_data(repo_root() / "tenants" / "demo" / "actions" / "data"))
    return shop


@pytest.fixture()
async def assistant(trained_model: Path, database: object, shop: Shop) -> AsyncIterator[Assistant]:
    store = ConversationTrackerStore(None, database)  # the agent gives it the domain
    yield Assistant.load(trained_model, store, InProcessActionEndpoint(build_actions(shop), timeout_s=2.0))


class Chat:
    """One conversation with the assistant: ``say`` returns that turn's decisions."""

    def __init__(self, assistant: Assistant, conversation_id: str) -> None:
        self.assistant = assistant
        self.conversation_id = conversation_id

    async def say(self, text: str, intent: str, **kwargs: object) -> Decisions:
        outputs: list[Output] = await self.assistant.handle(understood(self.conversation_id, text, intent, **kwargs))
        return Decisions.of(o.message for o in outputs)


@pytest.fixture()
def chat(assistant: Assistant, request: pytest.FixtureRequest) -> Chat:
    return Chat(assistant, f"chat-{request.node.name}")
