"""Pid files: start/running/stop against real short-lived processes, stale and reused pids."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from devstack import paths, procs
from devstack.errors import DevstackError

PROFILE = "unit"


@pytest.fixture(autouse=True)
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(paths, "RUN_DIR", tmp_path / ".run")
    return tmp_path / ".run"


def sleeper(seconds: int = 30) -> list[str]:
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


def test_start_running_stop(run_dir: Path) -> None:
    pid = procs.start("sleeper", sleeper(), profile=PROFILE)
    try:
        assert procs.running("sleeper", PROFILE) == pid
        record = json.loads((run_dir / PROFILE / "sleeper.pid").read_text())
        assert record["pid"] == pid
        assert record["argv"] == sleeper()
        assert os.getpgid(pid) == pid  # own session, detached from ours
    finally:
        assert procs.stop("sleeper", PROFILE, timeout=5) == pid
    assert procs.running("sleeper", PROFILE) is None
    assert not (run_dir / PROFILE / "sleeper.pid").exists()


def test_output_goes_to_the_log_and_env_cwd_apply(tmp_path: Path) -> None:
    script = "import os; print(os.environ['GREETING'], os.getcwd(), flush=True)"
    env = {**os.environ, "GREETING": "hello"}
    procs.start("echo", [sys.executable, "-c", script], env=env, cwd=tmp_path, profile=PROFILE)
    log = procs.log_path("echo", PROFILE)
    deadline = time.monotonic() + 10
    while f"hello {tmp_path}" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    assert log.read_text().startswith("--- ")


def test_start_refuses_a_second_copy() -> None:
    procs.start("sleeper", sleeper(), profile=PROFILE)
    try:
        with pytest.raises(DevstackError, match="already running"):
            procs.start("sleeper", sleeper(), profile=PROFILE)
    finally:
        procs.stop("sleeper", PROFILE, timeout=5)


def test_start_reports_a_missing_executable() -> None:
    with pytest.raises(DevstackError, match="not found"):
        procs.start("ghost", ["definitely-not-a-real-binary-xyz"], profile=PROFILE)


def test_start_reports_exec_failure(tmp_path: Path) -> None:
    not_executable = tmp_path / "script"
    not_executable.write_text("#!/nonexistent/interpreter\n")
    not_executable.chmod(0o755)
    with pytest.raises(DevstackError, match="could not start"):
        procs.start("broken", [str(not_executable)], profile=PROFILE)


def write_pid_file(run_dir: Path, name: str, pid: int, start_ticks: int | None) -> None:
    (run_dir / PROFILE).mkdir(parents=True, exist_ok=True)
    record = {"pid": pid, "start_ticks": start_ticks, "argv": ["x"], "log": ""}
    (run_dir / PROFILE / f"{name}.pid").write_text(json.dumps(record))


def test_a_reused_pid_is_not_ours(run_dir: Path) -> None:
    # Our own pid is alive, but its start time differs from the recorded one: someone else's process.
    _state, ticks = procs._stat(os.getpid())
    write_pid_file(run_dir, "reused", os.getpid(), (ticks or 0) + 1)
    assert procs.running("reused", PROFILE) is None
    assert procs.stop("reused", PROFILE) is None  # and it is never signalled
    assert not (run_dir / PROFILE / "reused.pid").exists()


def test_the_matching_start_time_is_ours(run_dir: Path) -> None:
    write_pid_file(run_dir, "me", os.getpid(), procs._stat(os.getpid())[1])
    assert procs.running("me", PROFILE) == os.getpid()


def test_stale_and_garbled_pid_files(run_dir: Path) -> None:
    write_pid_file(run_dir, "stale", 2**22 + 12345, 1)  # above pid_max: never alive
    assert procs.running("stale", PROFILE) is None
    (run_dir / PROFILE / "garbled.pid").write_text("not json")
    assert procs.running("garbled", PROFILE) is None
    assert procs.stop("nothing", PROFILE) is None


def test_stop_escalates_to_sigkill() -> None:
    ignore_term = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(30)"
    stubborn = [sys.executable, "-c", ignore_term]
    pid = procs.start("stubborn", stubborn, profile=PROFILE)
    time.sleep(0.3)  # let the interpreter install its handler
    started = time.monotonic()
    assert procs.stop("stubborn", PROFILE, timeout=0.5) == pid
    assert time.monotonic() - started < 5
    assert procs.running("stubborn", PROFILE) is None


def test_stop_reaches_the_whole_process_group(tmp_path: Path) -> None:
    child_pid_file = tmp_path / "child.pid"
    parent = (
        "import subprocess, sys, time;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
        f"open({str(child_pid_file)!r}, 'w').write(str(child.pid));"
        "time.sleep(30)"
    )
    procs.start("family", [sys.executable, "-c", parent], profile=PROFILE)
    deadline = time.monotonic() + 10
    while not child_pid_file.exists() or not child_pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(child_pid_file.read_text())
    procs.stop("family", PROFILE, timeout=5)
    deadline = time.monotonic() + 5
    while procs._stat(child)[0] not in ("", "Z", "X"):
        assert time.monotonic() < deadline, "child of the stopped process survived"
        time.sleep(0.05)
