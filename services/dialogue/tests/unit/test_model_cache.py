"""The model cache key: any change of the assistant project retrains, nothing else does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.errors import DialoguePermanentError
from switchboard.dialogue.model import assistant_digest, ensure_model, model_path


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(repo_root() / "tenants" / "demo", target, ignore=shutil.ignore_patterns("knowledge"))
    return target


def test_digest_is_stable_and_follows_every_file(project: Path) -> None:
    first = assistant_digest(project)
    assert assistant_digest(project) == first
    (project / "notes.txt").write_text("not part of the project")
    agents = project / "agents.yaml"
    agents.write_text(agents.read_text() + "\n# not a training input\n", encoding="utf-8")
    assert assistant_digest(project) == first
    rules = project / "data" / "rules.yml"
    rules.write_text(rules.read_text() + "\n# 改了一行\n", encoding="utf-8")
    assert assistant_digest(project) != first


def test_a_cached_model_is_reused_without_training(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    cache.mkdir()
    cached = model_path(project, cache)
    cached.write_bytes(b"model")
    assert ensure_model(project, cache, show_progress=False) == cached


def test_an_incomplete_project_is_refused(project: Path, tmp_path: Path) -> None:
    (project / "config.yml").unlink()
    with pytest.raises(DialoguePermanentError, match=r"config\.yml"):
        ensure_model(project, tmp_path / "models", show_progress=False)
