"""Fixtures of the dialogue tests: the trained demo model (cached), the demo shop's real rasa_sdk action
server, and an assistant on the real database whose custom actions go to that server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymongo import MongoClient

from switchboard.core.projects.profile import load_profile
from switchboard.core.settings import MongoSettings
from switchboard.core.tenants import load_tenant
from switchboard.core.testing import free_port
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.action_endpoints import ActionServerAddress, routing_endpoint
from switchboard.dialogue.action_runner import ActionServerPolicy, RoutingActionEndpoint
from switchboard.dialogue.assistant import Assistant, quiet_rasa
from switchboard.dialogue.decisions import Output
from switchboard.dialogue.model import ensure_model
from switchboard.dialogue.testing import Decisions, understood
from switchboard.dialogue.tracker_store import ConversationTrackerStore

DEMO_DIR = repo_root() / "tenants" / "demo"
# What the demo project says of its tasks and order ids (arbitration reads every message with it).
DEMO_PROFILE = load_profile(DEMO_DIR)
# The demo shop's actions package (tenants/demo/actions), imported as the action server imports it.
sys.path.insert(0, str(DEMO_DIR))
from actions.shop import Shop, load_shop_data  # noqa: E402 - importable once its project folder is on the path


@dataclass(frozen=True)
class ActionServer:
    """A running rasa_sdk action server of the demo shop."""

    process: subprocess.Popen
    port: int
    mongo_uri: str
    database: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


@contextmanager
def running_action_server(mongo_uri: str, log_dir: Path, timeout_s: float = 60.0) -> Iterator[ActionServer]:
    """``python -m rasa_sdk --actions actions`` in tenants/demo, on a free port and a database of its own;
    ready once ``/health`` answers; stopped and its database dropped afterwards."""
    port = free_port()
    database = f"test_actions_{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DEMO_MONGO_URI": mongo_uri, "DEMO_MONGO_DATABASE": database, "DEMO_TENANT_ID": "demo"}
    log_path = log_dir / f"action-server-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=DEMO_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = ActionServer(process, port, mongo_uri, database, log_path)
    try:
        deadline = time.monotonic() + timeout_s
        while not server.healthy():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"action server not up (exit {process.poll()}):\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with MongoClient(mongo_uri, serverSelectionTimeoutMS=3000) as client:
            client.drop_database(database)


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


@pytest.fixture(scope="session")
def action_server(infra: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    """The demo shop's action server for the whole session, on a database of its own."""
    with running_action_server(infra["mongo"], tmp_path_factory.mktemp("actions")) as server:
        yield server


@pytest.fixture()
def shop(action_server: ActionServer) -> Iterator[Shop]:
    """The action server's shop records, reset for each test: fresh orders, no return cases or invoices."""
    tenant = load_tenant(DEMO_DIR / "tenant.yaml")
    with MongoClient(action_server.mongo_uri, serverSelectionTimeoutMS=3000) as client:
        database = client[action_server.database]
        for collection in ("return_cases", "invoice_requests"):
            database[collection].delete_many({"tenant_id": tenant.id})
        shop = Shop(database, tenant.id, tenant.timezone)
        shop.seed(load_shop_data(DEMO_DIR / "actions" / "data"))
        yield shop


def demo_endpoint(url: str, timeout_s: float = 2.0) -> RoutingActionEndpoint:
    """The demo tenant's action endpoint, its custom actions sent to ``url``."""
    tenant = load_tenant(DEMO_DIR / "tenant.yaml")
    return routing_endpoint(
        DEMO_DIR, tenant, ActionServerAddress(url, DEMO_DIR / "endpoints.yml"), ActionServerPolicy(timeout_s=timeout_s)
    )


@pytest.fixture()
def endpoint_to() -> Callable[..., RoutingActionEndpoint]:
    """Builds the demo tenant's action endpoint to another action server url (one that is down, or hangs)."""
    return demo_endpoint


@pytest.fixture()
async def action_endpoint(shop: Shop, action_server: ActionServer) -> AsyncIterator[RoutingActionEndpoint]:
    """The demo tenant's action endpoint on the session's action server, its shop records fresh."""
    endpoint = demo_endpoint(action_server.url)
    yield endpoint
    await endpoint.close()


@pytest.fixture()
async def assistant(
    trained_model: Path, database: object, action_endpoint: RoutingActionEndpoint
) -> AsyncIterator[Assistant]:
    store = ConversationTrackerStore(None, database)  # the agent gives it the domain
    yield Assistant.load(trained_model, store, action_endpoint, profile=DEMO_PROFILE)


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
