"""Visible progress for slow steps: a heartbeat line while a subprocess runs, its output kept in a log.

Everything the CLI shows goes through ``say`` so output stays in one place and is flushed at once.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from devstack.errors import DevstackError

HEARTBEAT_S = 5.0
TAIL_LINES = 40


def say(message: str) -> None:
    """One line of CLI output."""
    print(message, flush=True)  # noqa: T201 - this tool's output is for a person at a terminal


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a text file, or a note that it is missing."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 256 * 1024))
            text = handle.read().decode(errors="replace")
    except OSError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def format_tails(*logs: Path) -> str:
    """Tails of several logs, each under a header naming the file; empty logs are skipped."""
    parts = [f"--- last lines of {log} ---\n{tail(log)}" for log in logs if log.exists() and log.stat().st_size]
    return "\n".join(parts) or "(no log output)"


class _LastLine:
    """The most recent non-empty output line, shared between the reader thread and the heartbeat."""

    def __init__(self) -> None:
        self.text = ""


def _pump(stream: IO[str], log: IO[str], last: _LastLine) -> None:
    for line in stream:
        log.write(line)
        log.flush()
        if line.strip():
            last.text = line.strip()


def run_logged(
    title: str,
    argv: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> float:
    """Run ``argv`` with its output teed to ``log_path``, printing elapsed time and the latest output line.

    Returns the elapsed seconds. Raises DevstackError with the log's tail if the command fails.
    """
    say(f"==> {title}")
    say(f"    log: {log_path}")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        log.write(f"$ {shlex.join(argv)}\n")
        log.flush()
        returncode = _run_with_heartbeat(argv, log, env, cwd, started)
    elapsed = time.monotonic() - started
    if returncode != 0:
        raise DevstackError(f"{title} failed (exit {returncode}) after {elapsed:.0f}s\n{format_tails(log_path)}")
    say(f"    done in {elapsed:.1f}s")
    return elapsed


def _run_with_heartbeat(
    argv: Sequence[str], log: IO[str], env: Mapping[str, str] | None, cwd: Path | None, started: float
) -> int:
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            cwd=cwd,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise DevstackError(f"cannot run {argv[0]}: {exc}") from exc
    last = _LastLine()
    reader = threading.Thread(target=_pump, args=(proc.stdout, log, last), daemon=True)
    reader.start()
    try:
        while True:
            try:
                proc.wait(timeout=HEARTBEAT_S)
                break
            except subprocess.TimeoutExpired:
                say(f"    ... {time.monotonic() - started:4.0f}s  {_shorten(last.text)}")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reader.join()
    return proc.returncode


def _shorten(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def run_checked(argv: Sequence[str], what: str, env: Mapping[str, str] | None = None, timeout: float = 120.0) -> str:
    """Run a short command and return its stdout; on failure raise with its combined output."""
    try:
        result = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=None if env is None else dict(env),
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DevstackError(f"{what} failed: {exc}") from exc
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-TAIL_LINES:])
        raise DevstackError(f"{what} failed (exit {result.returncode}):\n{output}")
    return result.stdout


def wait_until(
    what: str,
    probe: Callable[[], bool],
    *,
    timeout: float,
    alive: Callable[[], bool],
    logs: Sequence[Path] = (),
    interval: float = 0.2,
) -> float:
    """Poll ``probe`` until it returns True; return the seconds waited.

    ``probe`` may raise OSError or ValueError while the server is still coming up. Fails fast
    if ``alive`` says the process died, and on timeout; both errors carry the logs' tails.
    """
    started = time.monotonic()
    next_note = started + HEARTBEAT_S
    last_error = "no answer yet"
    while True:
        if not alive():
            raise DevstackError(f"{what} exited during startup\n{format_tails(*logs)}")
        try:
            if probe():
                return time.monotonic() - started
            last_error = "answered but not ready yet"
        except (OSError, ValueError) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        now = time.monotonic()
        if now - started >= timeout:
            raise DevstackError(f"{what} not ready after {timeout:.0f}s ({last_error})\n{format_tails(*logs)}")
        if now >= next_note:
            say(f"    ... waiting for {what}: {now - started:.0f}s ({last_error})")
            next_note += HEARTBEAT_S
        time.sleep(interval)


def err(message: str) -> None:
    """An error line on stderr."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
