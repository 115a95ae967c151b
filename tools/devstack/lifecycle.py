"""What every infrastructure server of a profile goes through: reuse the one that runs, start it
otherwise, wait until its readiness probe answers, stop it, report its state.

Kafka and FerretDB differ only in how they are installed, laid out, started and probed; a
``Server`` names those differences so the start/wait/stop steps are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack import procs, progress
from devstack.profiles import Profile

Probe = Callable[[str, int, float], bool]
"""``probe(host, port, timeout)``: True once the server serves; may raise OSError or ValueError before."""


@dataclass(frozen=True, slots=True)
class Server:
    """One server of one profile: its name, where clients reach it, how to tell it is ready."""

    name: str
    profile: Profile
    address: str
    port: int
    probe: Probe
    ready_timeout_s: float
    stop_timeout_s: float
    logs: Sequence[Path] = ()


def up(server: Server, *, install: Callable[[], object], start: Callable[[Profile], int]) -> str:
    """Install if needed; wait for the running server, or ``start`` one (it returns the new pid) and wait
    for that. Returns the server's address.
    """
    install()
    pid = procs.running(server.name, server.profile.name)
    if pid is not None:
        progress.say(f"{server.name} ({server.profile.name}) already running (pid {pid}) at {server.address}")
        wait_ready(server)
        return server.address
    pid = start(server.profile)
    elapsed = wait_ready(server)
    progress.say(f"{server.name} ({server.profile.name}) ready at {server.address} in {elapsed:.1f}s (pid {pid})")
    return server.address


def down(server: Server) -> int | None:
    """Stop the server we started (SIGTERM, then SIGKILL after its stop timeout); return its pid or None."""
    return procs.stop(server.name, server.profile.name, timeout=server.stop_timeout_s)


def status(server: Server) -> procs.Status:
    """Whether the server runs and answers its probe within a second."""
    pid = procs.running(server.name, server.profile.name)
    return procs.Status(server.name, server.address, pid, pid is not None and _probe_quietly(server))


def wait_ready(server: Server) -> float:
    """Seconds until the probe answers; fails fast, with the logs' tails, if the process dies."""
    return progress.wait_until(
        f"{server.name} on 127.0.0.1:{server.port}",
        lambda: server.probe("127.0.0.1", server.port, 2.0),
        timeout=server.ready_timeout_s,
        alive=lambda: procs.running(server.name, server.profile.name) is not None,
        logs=server.logs,
    )


def _probe_quietly(server: Server) -> bool:
    try:
        return server.probe("127.0.0.1", server.port, 1.0)
    except (OSError, ValueError):
        return False
