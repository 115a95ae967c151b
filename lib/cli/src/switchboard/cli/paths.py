"""Where the command finds things: the repository it runs from, its tenants, models and environments.

Defaults are absolute paths in the repository (the services run from its root), so the command
works from any folder; environment variables override them.
"""

from __future__ import annotations

import os
from pathlib import Path

# lib/cli/src/switchboard/cli/paths.py -> the repository root.
REPO_ROOT = Path(__file__).resolve().parents[5]


def tenants_dir() -> Path:
    return Path(os.environ.get("SWITCHBOARD_TENANTS_DIR") or REPO_ROOT / "tenants")


def nlu_models_dir() -> Path:
    return Path(os.environ.get("NLU_MODELS_DIR") or REPO_ROOT / ".run" / "models" / "nlu")


def dialogue_cache_dir() -> Path:
    return Path(os.environ.get("DIALOGUE_ASSISTANT__CACHE_DIR") or REPO_ROOT / ".run" / "models")


def dialogue_python() -> Path:
    """The dialogue environment's interpreter (Rasa 3.6 needs Python 3.10, apart from the services')."""
    return Path(os.environ.get("SWITCHBOARD_DIALOGUE_PYTHON") or REPO_ROOT / ".venvs" / "dialogue" / "bin" / "python")
