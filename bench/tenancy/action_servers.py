"""The shipped tenants' rasa_sdk action servers for the benchmark, as the dev stack runs them.

A demo turn calls its action server even when it answers from a template (the custom slot mapping
``action_choose_task`` runs on every message), so the turns are measured with the servers running:
each on a free port, with its records in the run's database, the dialogue side pointed at it with
``<ID>_ACTIONS_URL``. The copies of a tenant share its server, as their ``endpoints.yml`` names it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from devstack.services import ServiceSpec, tenant_action_servers

READY_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def _server(spec: ServiceSpec, root: Path, mongo_uri: str, database: str, log: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        f"{spec.prefix}MONGO_URI": mongo_uri,
        f"{spec.prefix}MONGO_DATABASE": database,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            spec.argv(sys.executable, port), cwd=root / spec.cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _ready(f"http://127.0.0.1:{port}{spec.ready_path}"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"the action server {spec.name} did not start; its log ends:\n{tail}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def action_servers(root: Path, mongo_uri: str, database: str, log_dir: Path) -> Iterator[dict[str, str]]:
    """Starts the action server of every tenant under ``root/tenants`` that has one; yields the
    ``<ID>_ACTIONS_URL`` variables that point the dialogue side at them, and stops them on exit."""
    with ExitStack() as stack:
        urls = {}
        for spec in tenant_action_servers(root / "tenants"):
            url = stack.enter_context(_server(spec, root, mongo_uri, database, log_dir / f"{spec.name}.log"))
            urls[f"{spec.prefix}ACTIONS_URL"] = url
        yield urls
