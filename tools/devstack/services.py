"""The five Switchboard services and each tenant's action server as local processes: start, wait
until ready, stop."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from devstack import paths, procs, pyenvs
from devstack.errors import DevstackError
from devstack.profiles import Profile
from devstack.progress import format_tails, say


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """How to run one service locally."""

    name: str
    environment: str
    prefix: str
    http_port: int
    grpc_port: int | None = None
    # What runs after ``python -m`` (``switchboard.<name>`` when empty), from ``cwd`` under the repository.
    module_args: tuple[str, ...] = ()
    cwd: str = ""
    ready_path: str = "/readyz"

    @property
    def readyz(self) -> str:
        return f"http://127.0.0.1:{self.http_port}{self.ready_path}"

    def argv(self, python: str, http_port: int | None = None) -> list[str]:
        """The command line; a rasa_sdk action server takes its port as an argument."""
        if not self.module_args:
            return [python, "-m", f"switchboard.{self.name}"]
        return [python, "-m", *self.module_args, "--port", str(http_port or self.http_port)]


# A tenant's endpoints.yml names its action server as ${<ID>_ACTIONS_URL:-http://127.0.0.1:<port>/webhook}.
_ACTION_URL = re.compile(r"url:\s*[\"']?\$\{(?P<variable>[A-Z0-9_]+)_ACTIONS_URL:-http://127\.0\.0\.1:(?P<port>\d+)/")


def tenant_action_servers(tenants_dir: Path | None = None) -> tuple[ServiceSpec, ...]:
    """One rasa_sdk action server per tenant with an ``actions/`` package and an ``endpoints.yml`` naming
    its local port. Each reads its own variables, prefixed with the tenant id (``DEMO_MONGO_URI``); the
    dialogue service is pointed at another address with ``<ID>_ACTIONS_URL``."""
    tenants_dir = tenants_dir or paths.REPO_ROOT / "tenants"
    found = []
    for endpoints in sorted(tenants_dir.glob("*/endpoints.yml")):
        folder = endpoints.parent
        match = _ACTION_URL.search(endpoints.read_text(encoding="utf-8"))
        if match is None or not (folder / "actions" / "__init__.py").is_file():
            continue
        found.append(
            ServiceSpec(
                f"actions-{folder.name}",
                "dialogue",
                f"{match['variable']}_",
                int(match["port"]),
                module_args=("rasa_sdk", "--actions", "actions"),
                cwd=folder.relative_to(tenants_dir.parent).as_posix(),  # from the tree that holds tenants/
                ready_path="/health",
            )
        )
    return tuple(found)


# Default ports of the architecture; services read them from their own settings too.
PLATFORM_SERVICES = (
    ServiceSpec("ingest", "services", "INGEST_", 8080),
    ServiceSpec("nlu", "services", "NLU_", 8082, 50051),
    ServiceSpec("dialogue", "dialogue", "DIALOGUE_", 8084),
    ServiceSpec("generator", "services", "GENERATOR_", 8083, 50052),
    ServiceSpec("handoff", "services", "HANDOFF_", 8081),
)
SERVICES = PLATFORM_SERVICES + tenant_action_servers()
# The setting of each platform service that names the tenants folder (default: tenants/ of its working folder).
TENANTS_DIR_VARIABLES = {
    "ingest": "INGEST_TENANTS_DIR",
    "nlu": "NLU_TENANTS_DIR",
    "dialogue": "DIALOGUE_ASSISTANT__TENANTS_DIR",
    "generator": "GENERATOR_KNOWLEDGE__TENANTS_DIR",
    "handoff": "HANDOFF_TENANTS_DIR",
}
READY_TIMEOUT_S = 300.0  # the generator fetches and converts its model on a machine's first start

# Per-service settings that depend on the profile: state files live under .run/<profile>/.
SERVICE_EXTRAS = {
    "generator": lambda profile: {
        "GENERATOR_KNOWLEDGE__MILVUS_URI": str(profile.state_dir / "generator" / "milvus.db")
    },
    # Every tenant's assistant is loaded before dialogue reports ready: a first customer never waits for a
    # model load (a REST or WeChat reply has a few seconds).
    "dialogue": lambda profile: {"DIALOGUE_ASSISTANT__PRELOAD": "*"},
}


def service_env(spec: ServiceSpec, profile: Profile) -> dict[str, str]:
    """The environment one service runs with on ``profile``'s infrastructure."""
    if spec.module_args:
        # An action server reads its own variables: its tenant's database.
        return {**os.environ, "PYTHONUNBUFFERED": "1", f"{spec.prefix}MONGO_URI": profile.mongo_uri}
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        f"{spec.prefix}KAFKA__BOOTSTRAP_SERVERS": profile.kafka_bootstrap,
        f"{spec.prefix}MONGO__URI": profile.mongo_uri,
        f"{spec.prefix}LOG__FORMAT": "json",
        f"{spec.prefix}TELEMETRY__EXPORTER": "jsonl",
        f"{spec.prefix}TELEMETRY__JSONL_PATH": str(profile.state_dir / "traces.jsonl"),
        **SERVICE_EXTRAS.get(spec.name, lambda _: {})(profile),
    }


def up(profile: Profile) -> None:
    """Starts every service that is not running, then waits until each ``/readyz`` answers 200."""
    interpreters = pyenvs.ensure_all()
    for spec in SERVICES:
        pid = procs.running(spec.name, profile.name)
        if pid is not None:
            say(f"    {spec.name:9} already running (pid {pid})")
            continue
        argv = spec.argv(str(interpreters[spec.environment]))
        env = service_env(spec, profile)
        pid = procs.start(spec.name, argv, env=env, profile=profile.name, cwd=paths.REPO_ROOT / spec.cwd)
        say(f"    {spec.name:9} started (pid {pid})")
    for spec in SERVICES:
        seconds = wait_ready(spec, profile)
        say(f"    {spec.name:9} ready at {spec.readyz} ({seconds:.1f}s)")


def wait_ready(spec: ServiceSpec, profile: Profile, timeout_s: float = READY_TIMEOUT_S) -> float:
    started = time.monotonic()
    last = "no answer yet"
    while time.monotonic() - started < timeout_s:
        if procs.running(spec.name, profile.name) is None:
            raise DevstackError(
                f"{spec.name} exited during start-up\n{format_tails(procs.log_path(spec.name, profile.name))}"
            )
        status, last = probe(spec)
        if status == 200:
            return time.monotonic() - started
        time.sleep(0.5)
    raise DevstackError(
        f"{spec.name} not ready after {timeout_s:.0f}s ({last})\n"
        f"{format_tails(procs.log_path(spec.name, profile.name))}"
    )


def probe(spec: ServiceSpec) -> tuple[int, str]:
    """``/readyz``'s status and a one-line reason."""
    try:
        with urllib.request.urlopen(spec.readyz, timeout=5) as response:
            return response.status, "ready"
    except urllib.error.HTTPError as error:
        try:
            checks = json.loads(error.read()).get("checks", {})
        except ValueError:
            checks = {}
        failing = ", ".join(f"{name}: {detail}" for name, detail in checks.items() if detail != "ok")
        return error.code, failing or f"HTTP {error.code}"
    except OSError as error:
        return 0, f"{type(error).__name__}"


def down(profile: Profile) -> None:
    for spec in reversed(SERVICES):
        pid = procs.stop(spec.name, profile.name, timeout=30.0)
        say(f"    {spec.name:9} {'stopped pid ' + str(pid) if pid else 'was not running'}")
