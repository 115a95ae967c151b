"""The shared server steps against a real short-lived process: start once, reuse, report, stop."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from devstack import lifecycle, paths, procs, profiles
from devstack.errors import DevstackError


@pytest.fixture(autouse=True)
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(paths, "RUN_DIR", tmp_path / ".run")
    return tmp_path / ".run"


def sleeper_server(probe: lifecycle.Probe) -> lifecycle.Server:
    profile = profiles.get("test")
    return lifecycle.Server(
        name="sleeper",
        profile=profile,
        address="127.0.0.1:1",
        port=1,
        probe=probe,
        ready_timeout_s=1.0,
        stop_timeout_s=5.0,
        logs=(procs.log_path("sleeper", profile.name),),
    )


def start_sleeper(server: lifecycle.Server, starts: list[int]) -> int:
    pid = procs.start(server.name, [sys.executable, "-c", "import time; time.sleep(30)"], profile=server.profile.name)
    starts.append(pid)
    return pid


def test_install_then_start_once_then_reuse_the_running_server() -> None:
    server = sleeper_server(lambda _host, _port, _timeout: True)
    installs: list[bool] = []
    starts: list[int] = []

    def up() -> str:
        return lifecycle.up(
            server, install=lambda: installs.append(True), start=lambda _profile: start_sleeper(server, starts)
        )

    try:
        assert up() == server.address
        assert up() == server.address
        assert (len(installs), len(starts)) == (2, 1)
        assert lifecycle.status(server) == procs.Status("sleeper", server.address, starts[0], True)
    finally:
        assert lifecycle.down(server) == starts[0]
    assert lifecycle.status(server).pid is None


def test_a_probe_that_keeps_failing_is_not_ready() -> None:
    def refuse(_host: str, _port: int, _timeout: float) -> bool:
        raise ConnectionRefusedError("nobody listens")

    server = sleeper_server(refuse)
    starts: list[int] = []
    try:
        with pytest.raises(DevstackError, match="not ready"):
            lifecycle.up(server, install=lambda: None, start=lambda _profile: start_sleeper(server, starts))
        assert lifecycle.status(server).ready is False
    finally:
        lifecycle.down(server)
