"""The emotion reader against the held-out evaluation set the quality benchmark ships."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from switchboard.nlu.emotion import LABELS, EmotionReader

EVAL_SET = Path(__file__).resolve().parents[4] / "bench" / "quality" / "data" / "emotion.yaml"
# Accuracy the reader reaches per language; a change that lowers it fails here.
MIN_ACCURACY = {"zh": 0.9, "en": 0.9}


@dataclass(frozen=True, slots=True)
class LabelledTurn:
    text: str
    language: str
    label: str
    negation: bool


def _turns() -> list[LabelledTurn]:
    cases = yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))["cases"]
    return [LabelledTurn(c["text"], c["language"], c["label"], bool(c.get("negation", False))) for c in cases]


TURNS = _turns()


@pytest.fixture(scope="module")
def reader() -> EmotionReader:
    return EmotionReader()


def test_the_set_is_bilingual_and_labelled_with_known_labels() -> None:
    per_language = {language: [t for t in TURNS if t.language == language] for language in MIN_ACCURACY}
    assert all(len(turns) >= 60 for turns in per_language.values())
    assert {turn.label for turn in TURNS} == set(LABELS)


@pytest.mark.parametrize("language", sorted(MIN_ACCURACY))
def test_accuracy_per_language(reader: EmotionReader, language: str) -> None:
    turns = [turn for turn in TURNS if turn.language == language]
    wrong = [
        (turn.text, turn.label, reader.read(turn.text).label)
        for turn in turns
        if reader.read(turn.text).label != turn.label
    ]
    accuracy = 1 - len(wrong) / len(turns)
    assert accuracy >= MIN_ACCURACY[language], wrong


@pytest.mark.parametrize("turn", [turn for turn in TURNS if turn.negation], ids=lambda turn: turn.text)
def test_every_negation_case(reader: EmotionReader, turn: LabelledTurn) -> None:
    assert reader.read(turn.text).label == turn.label
