"""The broadband assistant's dialogue model trains, and it predicts every step of the tenant's test stories."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core import test as rasa_test
from rasa.core.agent import Agent

from switchboard.dialogue.model import ensure_model

TENANT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_model_trains_and_passes_the_test_stories(tmp_path: Path) -> None:
    model = ensure_model(TENANT, tmp_path / "models", show_progress=False)
    assert model.is_file()
    # A second call finds the cached model instead of training again.
    assert ensure_model(TENANT, tmp_path / "models", show_progress=False) == model

    agent = Agent.load(str(model))
    (tmp_path / "results").mkdir()
    report = asyncio.run(
        rasa_test.test(
            str(TENANT / "tests" / "test_stories.yml"),
            agent,
            out_directory=str(tmp_path / "results"),
            disable_plotting=True,
            errors=True,
            warnings=False,
        )
    )
    failed = tmp_path / "results" / "failed_test_stories.yml"
    failures = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert "story:" not in failures, failures
    conversations = report["report"]["conversation_accuracy"]
    assert conversations["correct"] == conversations["total"] >= 8
