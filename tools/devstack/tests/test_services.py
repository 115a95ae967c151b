"""The processes `make up` starts: the demo tenant's action server runs from its project and answers /health."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

import pytest
from devstack import paths, pyenvs, services
from devstack.profiles import get


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_demo_action_server_is_one_of_the_processes() -> None:
    spec = next(spec for spec in services.SERVICES if spec.name == "actions-demo")
    assert spec.readyz == "http://127.0.0.1:5055/health"
    assert spec.argv("python") == ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
    assert (paths.REPO_ROOT / spec.cwd / "endpoints.yml").is_file()
    assert services.service_env(spec, get("dev"))["DEMO_MONGO_URI"] == get("dev").mongo_uri


def test_every_tenant_with_actions_gets_its_own_action_server() -> None:
    servers = {spec.name: spec for spec in services.tenant_action_servers()}
    assert set(servers) == {"actions-demo", "actions-broadband"}
    assert servers["actions-broadband"].cwd == "tenants/broadband" and servers["actions-broadband"].http_port == 5056
    assert servers["actions-broadband"].prefix == "BROADBAND_"


def test_the_other_services_keep_their_entry_points() -> None:
    spec = next(spec for spec in services.SERVICES if spec.name == "dialogue")
    assert spec.argv("python") == ["python", "-m", "switchboard.dialogue"] and spec.readyz.endswith("/readyz")


@pytest.mark.slow
def test_the_action_server_started_as_make_up_starts_it_answers_health() -> None:
    python = os.environ.get("SWITCHBOARD_DIALOGUE_PYTHON") or str(pyenvs.ENVIRONMENTS["dialogue"].interpreter)
    if not os.path.exists(python):
        pytest.skip("the dialogue environment is not installed")
    spec = next(spec for spec in services.SERVICES if spec.name == "actions-demo")
    port = _free_port()
    process = subprocess.Popen(
        spec.argv(python, port), cwd=paths.REPO_ROOT / spec.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the action server exited during start-up"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{spec.ready_path}", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the action server did not answer /health in 60 s"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
