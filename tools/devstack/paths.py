"""Where devstack reads and writes: the repo, the download/build cache (outside the repo) and per-profile state."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.errors import DevstackError

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
RUN_DIR = REPO_ROOT / ".run"


def cache_dir() -> Path:
    """Downloaded jars and built binaries: ``$SWITCHBOARD_CACHE_DIR`` or ``${XDG_CACHE_HOME:-~/.cache}/switchboard``.

    The cache must live outside the repository so that ``git clean`` and copies of the
    work tree never carry hundreds of megabytes of jars.
    """
    explicit = os.environ.get("SWITCHBOARD_CACHE_DIR")
    if explicit:
        path = Path(explicit).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(xdg).expanduser() / "switchboard"
    path = path.resolve()
    if path == REPO_ROOT or REPO_ROOT in path.parents:
        raise DevstackError(f"cache dir {path} is inside the repository; set SWITCHBOARD_CACHE_DIR elsewhere")
    return path


def state_dir(profile: str) -> Path:
    """Runtime state of one profile (pid files, logs, data): ``<repo>/.run/<profile>/``, gitignored."""
    return RUN_DIR / profile


def logs_dir(profile: str) -> Path:
    """Log files of one profile's processes."""
    return state_dir(profile) / "logs"
