"""Debian's ``chromium`` for the browser tests: installed with apt when missing (idempotent).

The tests drive it with the Python ``playwright`` package (``executable_path=/usr/bin/chromium``);
``playwright install`` is never used, since it downloads its own browser build.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.errors import DevstackError
from devstack.progress import run_checked, say

NAME = "chromium"
BINARY = Path("/usr/bin/chromium")
# A CJK font, so Chinese text renders (and screenshots of the widget and console are readable).
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PACKAGES = ("chromium", "fonts-wqy-microhei")
# Flags every browser test launches Chromium with (no sandbox as root in containers; no network
# chatter of its own, so tests only see their own traffic).
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

Runner = Callable[[Sequence[str], str], object]


def apt_prefix(euid: int | None = None, which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """How to run apt-get here: directly as root, else through passwordless sudo."""
    if (os.geteuid() if euid is None else euid) == 0:
        return []
    if which("sudo"):
        return ["sudo", "-n"]
    raise DevstackError("Chromium is missing and apt-get needs root: run `apt-get install -y chromium` as root")


def ensure(
    binary: Path = BINARY, runner: Runner | None = None, prefix: list[str] | None = None, font: Path = CJK_FONT
) -> float | None:
    """Installs Debian's chromium and a CJK font unless both exist; seconds taken, or None when they were there."""
    if binary.exists() and font.exists():
        return None
    run = runner or (
        lambda argv, what: run_checked(argv, what, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)
    )
    apt = apt_prefix() if prefix is None else prefix
    started = time.monotonic()
    say("==> installing Debian's chromium for the browser tests (apt-get)")
    run([*apt, "apt-get", "update"], "apt-get update")
    run([*apt, "apt-get", "install", "-y", "--no-install-recommends", *PACKAGES], "apt-get install chromium")
    return time.monotonic() - started
