"""Runs the five services and the demo tenant's action server as real processes against the test stack,
the way `make up` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from devstack.services import PLATFORM_SERVICES, TENANTS_DIR_VARIABLES, tenant_action_servers

from switchboard.core.testing import free_port
from switchboard.core.testing.plugin import repo_root
from switchboard.ingest.channel_clients import (
    PhoneCaller,
    RestCustomer,
    StandInWeChat,
    WebChatCustomer,
    WeChatCustomer,
    tenant_channels,
)

# Callers from +86 hear Chinese first, others English (each tenant's voice.chinese_prefixes).
PHONE_NUMBERS = {"zh": "+8613912345678", "en": "+14155550100"}


def python_of(environment: str) -> str:
    """The interpreter of a project environment (``SWITCHBOARD_<ENV>_PYTHON`` overrides)."""
    override = os.environ.get(f"SWITCHBOARD_{environment.upper()}_PYTHON")
    if override:
        return override
    if environment == "services" and sys.version_info[:2] == (3, 11):
        return sys.executable
    return str(repo_root() / ".venvs" / environment / "bin" / "python")


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen
    http_port: int
    log_path: Path
    ready_path: str = "/readyz"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Stack:
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    spans_path: Path = Path()
    database: str = ""
    tenants_dir: Path = Path()
    # Where the ingest service sends WeChat customer-service messages (a ``StandInWeChat`` listens there).
    wechat_api_port: int = 0

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.services['ingest'].http_port}"

    def readyz(self, name: str) -> int:
        service = self.services[name]
        url = f"http://127.0.0.1:{service.http_port}{service.ready_path}"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def wait_ready(self, timeout_s: float = 300.0) -> None:
        # Bounded, not a timing assertion: a first start trains the NLU and dialogue models.
        deadline = time.monotonic() + timeout_s
        pending = set(self.services)
        while pending:
            for name in list(pending):
                service = self.services[name]
                if service.process.poll() is not None:
                    raise AssertionError(f"{name} exited with {service.process.returncode}:\n{service.log_tail()}")
                if self.readyz(name) == 200:
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                tails = "\n".join(f"--- {n}\n{self.services[n].log_tail()}" for n in pending)
                raise AssertionError(f"not ready after {timeout_s}s: {sorted(pending)}\n{tails}")
            time.sleep(0.3)

    def terminate(self, timeout_s: float = 30.0) -> dict[str, int | None]:
        for service in self.services.values():
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, service in self.services.items():
            try:
                codes[name] = service.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                service.process.kill()
                codes[name] = None
        return codes


@pytest.fixture()
def stack(infra: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    """All five services for one test (a test that stops or restarts them needs its own)."""
    with running_stack(infra, tmp_path) as result:
        yield result


@pytest.fixture(scope="module")
def dialogue_python() -> str:
    """The interpreter of the dialogue environment (Rasa)."""
    return python_of("dialogue")


@pytest.fixture(scope="module")
def tenants_dir() -> Path:
    """The tenants a module's shared stack serves: the repository's (a module overrides this fixture)."""
    return repo_root() / "tenants"


@pytest.fixture(scope="module")
def shared_stack(infra: dict[str, str], tmp_path_factory: pytest.TempPathFactory, tenants_dir: Path) -> Iterator[Stack]:
    """All five services shared by the tests of one module that only talk to them as customers do."""
    with running_stack(infra, tmp_path_factory.mktemp("stack"), tenants_dir) as result:
        result.wait_ready()
        yield result


@contextmanager
def running_stack(infra: dict[str, str], tmp_path: Path, tenants_dir: Path | None = None) -> Iterator[Stack]:
    """The five services and the action servers of ``tenants_dir`` (default: the repository's tenants)."""
    root = repo_root()
    tenants_dir = (tenants_dir or root / "tenants").resolve()
    result = Stack(
        spans_path=tmp_path / "spans.jsonl",
        database=f"system_{os.getpid()}_{int(time.time() * 1000) % 10**9}",
        tenants_dir=tenants_dir,
        wechat_api_port=free_port(),
    )
    specs = PLATFORM_SERVICES + tenant_action_servers(tenants_dir)
    ports = {spec.name: free_port() for spec in specs}
    for spec in specs:
        name, prefix = spec.name, spec.prefix
        http_port = ports[name]
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            f"{prefix}KAFKA__BOOTSTRAP_SERVERS": infra["kafka"],
            f"{prefix}MONGO__URI": infra["mongo"],
            f"{prefix}MONGO__DATABASE": result.database,
            f"{prefix}HTTP__PORT": str(http_port),
            f"{prefix}TELEMETRY__EXPORTER": "jsonl",
            f"{prefix}TELEMETRY__JSONL_PATH": str(result.spans_path),
        }
        if name in TENANTS_DIR_VARIABLES:
            env[TENANTS_DIR_VARIABLES[name]] = str(tenants_dir)
        if spec.grpc_port:
            env[f"{prefix}GRPC__PORT"] = str(free_port())
        if name == "ingest":
            # Twilio signs the URL it calls; WeChat's API is a stand-in on this machine.
            env["INGEST_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{http_port}"
            env["INGEST_WECHAT_API_BASE"] = f"http://127.0.0.1:{result.wechat_api_port}"
        if name == "generator":
            # Milvus Lite holds its file exclusively: one per run. The model's own tests cover it;
            # here the generator answers from the knowledge base, which needs no model start-up.
            env["GENERATOR_KNOWLEDGE__MILVUS_URI"] = str(tmp_path / "milvus.db")
            env["GENERATOR_USE_MODEL"] = "false"
        if name == "dialogue":
            env["DIALOGUE_ASSISTANT__PRELOAD"] = "*"  # as `make up` does: ready once every assistant is loaded
            for server in specs:
                if server.module_args:  # each tenant's action server, on this run's port
                    env[f"{server.prefix}ACTIONS_URL"] = f"http://127.0.0.1:{ports[server.name]}/webhook"
        if spec.module_args:
            env.update({f"{prefix}MONGO_URI": infra["mongo"], f"{prefix}MONGO_DATABASE": result.database})
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                spec.argv(python_of(spec.environment), http_port),
                cwd=(tenants_dir.parent if spec.module_args else root) / spec.cwd,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        result.services[name] = ServiceProcess(name, process, http_port, log_path, spec.ready_path)
    try:
        yield result
    finally:
        result.terminate()
        from pymongo import MongoClient

        with MongoClient(infra["mongo"], serverSelectionTimeoutMS=3000) as client:
            client.drop_database(result.database)


Customer = RestCustomer | WebChatCustomer | WeChatCustomer | PhoneCaller


@pytest.fixture()
async def channel_customers(shared_stack: Stack) -> AsyncIterator[Callable[..., Customer]]:
    """New customers of the module's stack: ``channel_customers("wechat", "broadband")``, each with its own
    identity; a phone caller's ``language`` picks the number it calls from."""
    wechat = await StandInWeChat().start(shared_stack.wechat_api_port)
    made: list[Customer] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:

        def customer(channel: str, tenant: str, language: str = "zh") -> Customer:
            config = tenant_channels(shared_stack.tenants_dir, tenant)
            identity = f"system-{tenant}-{uuid.uuid4().hex[:10]}"
            base = shared_stack.ingest_url
            made.append(
                RestCustomer(http, base, config, identity)
                if channel == "rest"
                else WebChatCustomer(http, base, config, timeout_s=60)
                if channel == "webchat"
                else WeChatCustomer(http, base, config, wechat, openid=identity, timeout_s=60)
                if channel == "wechat"
                else PhoneCaller(http, base, config, PHONE_NUMBERS[language], timeout_s=60)
            )
            return made[-1]

        yield customer
        for person in made:
            if isinstance(person, WebChatCustomer):
                await person.close()
    await wechat.stop()
