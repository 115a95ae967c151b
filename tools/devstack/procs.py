"""Detached processes tracked by pid files: start, check, stop.

Generic on purpose: the infrastructure and the Python services are all run through
``start(name, argv, env, cwd, profile)``, ``running(name, profile)`` and ``stop(name, profile)``.
Each process gets ``.run/<profile>/<name>.pid`` and ``.run/<profile>/logs/<name>.log``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack import paths
from devstack.errors import DevstackError

_POLL_S = 0.1


@dataclass(frozen=True, slots=True)
class PidRecord:
    """What a pid file holds; ``start_ticks`` tells our process apart from a later one that reused the pid."""

    pid: int
    start_ticks: int | None
    argv: list[str]
    log: str


@dataclass(frozen=True, slots=True)
class Status:
    """One managed component as ``infra-status`` reports it."""

    name: str
    address: str
    pid: int | None
    ready: bool


def pid_path(name: str, profile: str) -> Path:
    return paths.state_dir(profile) / f"{name}.pid"


def log_path(name: str, profile: str) -> Path:
    return paths.logs_dir(profile) / f"{name}.log"


def start(
    name: str,
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    profile: str = "dev",
) -> int:
    """Start ``argv`` detached (own session, stdin from /dev/null, stdout and stderr appended to its log).

    Returns the pid. Raises DevstackError if it is already running or cannot be executed.
    """
    current = running(name, profile)
    if current is not None:
        raise DevstackError(f"{name} is already running (pid {current})")
    environ = dict(os.environ if env is None else env)
    executable = shutil.which(argv[0], path=environ.get("PATH"))
    if executable is None:
        raise DevstackError(f"{argv[0]!r} not found on PATH; cannot start {name}")
    log = log_path(name, profile)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as log_file:
        log_file.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {name}: {' '.join(argv)}\n".encode())
        log_file.flush()
        pid = _spawn_detached(executable, list(argv), environ, os.fspath(cwd or paths.REPO_ROOT), log_file.fileno())
    _write_record(pid_path(name, profile), PidRecord(pid, _stat(pid)[1], list(argv), str(log)))
    return pid


def running(name: str, profile: str) -> int | None:
    """The pid of ``name`` if its pid file names a live process that is still the one we started."""
    record = read_record(name, profile)
    if record is not None and _is_alive(record):
        return record.pid
    return None


def stop(name: str, profile: str, timeout: float = 20.0) -> int | None:
    """SIGTERM the process group, wait up to ``timeout`` seconds, then SIGKILL; remove the pid file.

    Returns the pid that was stopped, or None if nothing of ours was running.
    """
    record = read_record(name, profile)
    if record is None:
        return None
    stopped = None
    if _is_alive(record):
        _signal_group(record.pid, signal.SIGTERM)
        if not _wait_gone(record, timeout):
            _signal_group(record.pid, signal.SIGKILL)
            _wait_gone(record, 5.0)
        stopped = record.pid
    pid_path(name, profile).unlink(missing_ok=True)
    return stopped


def read_record(name: str, profile: str) -> PidRecord | None:
    """The parsed pid file, or None if it is missing or unreadable."""
    try:
        data = json.loads(pid_path(name, profile).read_text())
        return PidRecord(
            pid=int(data["pid"]),
            start_ticks=data.get("start_ticks"),
            argv=list(data.get("argv", [])),
            log=str(data.get("log", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def profile_lock(profile: str) -> Iterator[None]:
    """Serialise starts and stops of one profile, so two concurrent ``infra-up`` runs cannot race."""
    state = paths.state_dir(profile)
    state.mkdir(parents=True, exist_ok=True)
    with open(state / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_record(path: Path, record: PidRecord) -> None:
    tmp = path.with_suffix(".pid.tmp")
    tmp.write_text(json.dumps(asdict(record)) + "\n")
    os.replace(tmp, path)


def _stat(pid: int) -> tuple[str, int | None]:
    """(state letter, start time in clock ticks since boot) from /proc, or ("", None) if the pid is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", None
    # The command name (field 2) may contain spaces and parentheses; fields resume after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def _is_alive(record: PidRecord) -> bool:
    state, start_ticks = _stat(record.pid)
    # Z/X: exited but not reaped; our daemons are orphans and init may reap them late or never.
    return start_ticks is not None and start_ticks == record.start_ticks and state not in ("Z", "X")


def _wait_gone(record: PidRecord, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_alive(record):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_S)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        # Started with setsid, so the process leads its own group; signal its children too.
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _spawn_detached(executable: str, argv: list[str], env: dict[str, str], cwd: str, log_fd: int) -> int:
    """Fork twice so the process is re-parented away from us and survives this CLI; return its pid.

    A close-on-exec pipe reports back: the intermediate child writes the grandchild's pid, the
    grandchild writes an error only if exec fails; a successful exec closes the pipe.
    """
    read_fd, write_fd = os.pipe()
    intermediate = os.fork()
    if intermediate == 0:
        _run_intermediate(executable, argv, env, cwd, log_fd, read_fd, write_fd)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        report = dict(line.partition(" ")[::2] for line in pipe.read().decode(errors="replace").splitlines())
    os.waitpid(intermediate, 0)
    if "error" in report:
        raise DevstackError(f"could not start {argv[0]}: {report['error']}")
    if not report.get("pid", "").isdigit():
        raise DevstackError(f"could not start {argv[0]}: the launcher failed")
    return int(report["pid"])


def _run_intermediate(
    executable: str, argv: list[str], env: dict[str, str], cwd: str, log_fd: int, read_fd: int, write_fd: int
) -> None:
    """Runs in the first child: fork the real process, report its pid, exit so init adopts it."""
    try:
        os.close(read_fd)
        pid = os.fork()
        if pid == 0:
            _exec_child(executable, argv, env, cwd, log_fd, write_fd)
        os.write(write_fd, f"pid {pid}\n".encode())
    finally:
        os._exit(0)


def _exec_child(executable: str, argv: list[str], env: dict[str, str], cwd: str, log_fd: int, write_fd: int) -> None:
    """Runs in the grandchild: new session, stdio, exec; on failure report the error and exit."""
    try:
        # Session and group leader: a terminal's Ctrl-C never reaches it, and stop() can signal its group.
        os.setsid()
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        # Keep no descriptor the caller inherited (a pipe held open would block `make ... | tee`).
        max_fd = os.sysconf("SC_OPEN_MAX")
        os.closerange(3, write_fd)
        os.closerange(write_fd + 1, max_fd)
        # Python ignores these; exec would pass the ignored disposition on to the child.
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        os.execve(executable, argv, env)
    except OSError as exc:
        os.write(write_fd, f"error {exc.strerror or exc} ({executable})\n".encode())
    finally:
        os._exit(127)
