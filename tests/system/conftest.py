"""Runs the five services and the demo tenant's action server as real processes against the test stack,
the way `make up` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from devstack.services import SERVICES

from switchboard.core.testing import free_port
from switchboard.core.testing.plugin import repo_root


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
def shared_stack(infra: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """All five services shared by the tests of one module that only talk to them as customers do."""
    with running_stack(infra, tmp_path_factory.mktemp("stack")) as result:
        result.wait_ready()
        yield result


@contextmanager
def running_stack(infra: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    root = repo_root()
    result = Stack(
        spans_path=tmp_path / "spans.jsonl", database=f"system_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    )
    ports = {spec.name: free_port() for spec in SERVICES}
    for spec in SERVICES:
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
        if spec.grpc_port:
            env[f"{prefix}GRPC__PORT"] = str(free_port())
        if name == "generator":
            # Milvus Lite holds its file exclusively: one per run. The model's own tests cover it;
            # here the generator answers from the knowledge base, which needs no model start-up.
            env["GENERATOR_KNOWLEDGE__MILVUS_URI"] = str(tmp_path / "milvus.db")
            env["GENERATOR_USE_MODEL"] = "false"
        if name == "dialogue":
            for server in SERVICES:
                if server.module_args:  # each tenant's action server, on this run's port
                    env[f"{server.prefix}ACTIONS_URL"] = f"http://127.0.0.1:{ports[server.name]}/webhook"
        if spec.module_args:
            env.update({f"{prefix}MONGO_URI": infra["mongo"], f"{prefix}MONGO_DATABASE": result.database})
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                spec.argv(python_of(spec.environment), http_port),
                cwd=root / spec.cwd,
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
