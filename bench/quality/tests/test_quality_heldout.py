"""The evaluation set stays held out: no text of it is training data, and it has the promised size."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bench.quality import scoring
from bench.quality.evalset import DATA, customer_texts, load_conversations, load_items

REPO = Path(__file__).resolve().parents[3]


ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def canonical(text: str) -> str:
    """An example as written, entity annotations (``[SB1001](order_id)``) reduced to their text."""
    plain = ANNOTATION.sub(lambda match: match.group(1) or match.group(2) or "", text)
    return " ".join(scoring.normalized(plain).strip().strip("\"'").split())


def training_examples() -> set[str]:
    """Every line of the tenants' NLU and dialogue training files, as a list entry or a value."""
    files = sorted(REPO.glob("tenants/*/nlu/*.yml")) + sorted(REPO.glob("tenants/*/assistant/data/*.yml"))
    assert files, "no training data found"
    examples = set()
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = line.strip().removeprefix("- ")
            examples.add(canonical(entry.split(": ", 1)[1] if entry.startswith(("text: ", "user: ")) else entry))
    return examples


def test_no_evaluated_text_is_in_the_training_data() -> None:
    training = training_examples()
    leaked = [text for text in customer_texts() if canonical(text) in training]
    assert leaked == []


def test_a_training_example_is_recognised_when_copied() -> None:
    training = training_examples()
    assert canonical(sorted(training, key=len)[-1]) in training
    assert canonical("[SB1001](order_id) 到了吗") == "sb1001 到了吗"


def test_the_files_say_they_are_held_out() -> None:
    for name in ("single_turn.yaml", "conversations.yaml"):
        assert "HELD-OUT" in (DATA / name).read_text(encoding="utf-8").splitlines()[0]


def test_size_and_language_balance() -> None:
    items, conversations = load_items(), load_conversations()
    assert len(items) >= 300 and len(conversations) >= 60
    assert {kind for kind in (item.kind for item in items)} == {"kb", "oos", "task", "chitchat"}
    languages = Counter(item.lang for item in items) + Counter(c.lang for c in conversations)
    assert abs(languages["zh"] - languages["en"]) <= 0.1 * sum(languages.values())
    assert len({item.id for item in items}) == len(items)


def test_every_expectation_can_be_scored() -> None:
    for item in load_items():
        assert item.kind != "kb" or (item.facts and item.intent), item.id
    for conversation in load_conversations():
        assert conversation.outcome in scoring.OUTCOME_MARKERS, conversation.id
        assert all(not turn.asks or turn.asks in scoring.ASK_MARKERS for turn in conversation.turns)
