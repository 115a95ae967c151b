"""The five services as processes of one source tree on free ports, with their own database."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack.services import PLATFORM_SERVICES, ServiceSpec, tenant_action_servers

from switchboard.core.testing import free_port

SOURCE_DIRS = ("lib/core/src", *(f"services/{spec.name}/src" for spec in PLATFORM_SERVICES))


@dataclass(frozen=True, slots=True)
class Infra:
    """Kafka and MongoDB the stack runs on, and the interpreters it runs with."""

    kafka: str
    mongo: str
    pythons: dict[str, str]


@dataclass
class Stack:
    """Services started from ``root`` (the current tree or a baseline worktree)."""

    root: Path
    infra: Infra
    state_dir: Path
    models_dir: Path
    use_model: bool = False
    database: str = field(default_factory=lambda: f"quality_{os.getpid()}_{int(time.time())}")
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def services(self) -> tuple[ServiceSpec, ...]:
        """The platform services and the action servers of this tree's tenants (a baseline may have none)."""
        return (*PLATFORM_SERVICES, *tenant_action_servers(self.root / "tenants"))

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def environment(self, name: str, prefix: str, grpc_ports: dict[str, int]) -> dict[str, str]:
        # The root's own sources come first, so a baseline worktree runs its own code on shared venvs.
        pythonpath = os.pathsep.join(str(self.root / source) for source in SOURCE_DIRS)
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": pythonpath,
            f"{prefix}KAFKA__BOOTSTRAP_SERVERS": self.infra.kafka,
            f"{prefix}MONGO__URI": self.infra.mongo,
            f"{prefix}MONGO__DATABASE": self.database,
            f"{prefix}HTTP__PORT": str(self.ports[name]),
            f"{prefix}LOG__FORMAT": "json",
        }
        if name in grpc_ports:
            env[f"{prefix}GRPC__PORT"] = str(grpc_ports[name])
        # Trained models are keyed by a hash of their training data, so every tree shares one cache.
        if name == "nlu":
            env["NLU_MODELS_DIR"] = str(self.models_dir / "nlu")
        if name == "dialogue":
            env[self.dialogue_cache_variable()] = str(self.models_dir)
            for spec in self.services:
                if spec.module_args:  # the tenant's endpoints.yml reads <ID>_ACTIONS_URL
                    env[f"{spec.prefix}ACTIONS_URL"] = self.url(spec.name, "/webhook")
        if name == "generator":
            env["GENERATOR_KNOWLEDGE__MILVUS_URI"] = str(self.state_dir / f"milvus-{self.database}.db")
            env["GENERATOR_USE_MODEL"] = "true" if self.use_model else "false"
        if name == "handoff":
            env["HANDOFF_ASSIST__GENERATOR_ADDRESS"] = f"127.0.0.1:{grpc_ports['generator']}"
        if name == "ingest":
            env["INGEST_LIMITS__CUSTOMER_PER_MINUTE"] = "100000"
            env["INGEST_LIMITS__TENANT_PER_MINUTE"] = "1000000"
        return env

    def dialogue_cache_variable(self) -> str:
        """The dialogue's model cache setting as this tree names it (a baseline may predate the nesting)."""
        source = (self.root / "services/dialogue/src/switchboard/dialogue/settings.py").read_text(encoding="utf-8")
        return "DIALOGUE_ASSISTANT__CACHE_DIR" if "assistant:" in source else "DIALOGUE_CACHE_DIR"

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                self.infra.pythons["services"],
                *("-m", "switchboard.core.tenants", "seed", "--dir", "tenants"),
                *("--mongo-uri", self.infra.mongo, "--database", self.database),
            ],
            cwd=self.root,
            env={**os.environ, "PYTHONPATH": str(self.root / "lib/core/src")},
            check=True,
            capture_output=True,
        )
        services = self.services
        grpc_ports = {spec.name: free_port() for spec in services if spec.grpc_port}
        self.ports = {spec.name: free_port() for spec in services}
        for spec in services:
            log = (self.state_dir / f"{spec.name}-{self.database}.log").open("wb")
            python = self.infra.pythons[spec.environment]
            if spec.module_args:
                # A tenant's action server: its own variables, its tenant's records in this run's database.
                env = {
                    **os.environ,
                    "PYTHONUNBUFFERED": "1",
                    f"{spec.prefix}MONGO_URI": self.infra.mongo,
                    f"{spec.prefix}MONGO_DATABASE": self.database,
                }
            else:
                env = self.environment(spec.name, spec.prefix, grpc_ports)
            self.processes[spec.name] = subprocess.Popen(
                spec.argv(python, self.ports[spec.name]),
                cwd=self.root / spec.cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout_s: float = 900.0) -> None:
        deadline = time.monotonic() + timeout_s
        ready_paths = {spec.name: spec.ready_path for spec in self.services}
        pending = set(ready_paths)
        while pending:
            for name in list(pending):
                if self.processes[name].poll() is not None:
                    raise RuntimeError(f"{name} exited; log: {self.state_dir / f'{name}-{self.database}.log'}")
                if self._ready(name, ready_paths[name]):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout_s:.0f}s: {sorted(pending)}")
            time.sleep(0.5)

    def _ready(self, name: str, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url(name, path), timeout=3) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
