"""The evaluation set stays held out: no text of it is training data, and it has the promised size.

The development split (bench/quality/data/dev/) is checked the same way, and none of its texts is a held-out
text either: tuning on it must not be tuning on the held-out set.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bench.quality import scoring
from bench.quality.evalset import (
    DATA,
    customer_texts,
    data_dir,
    dev_customer_texts,
    load_conversations,
    load_emotions,
    load_items,
)

REPO = Path(__file__).resolve().parents[3]
KNOWLEDGE = REPO / "tenants" / "demo" / "knowledge"
# The knowledge file each `doc` of the single-turn items is answered from.
DOC_FILES = {
    "shipping": "shipping",
    "dispatch": "shipping",
    "returns": "returns",
    "return_shipping": "returns",
    "refunds": "refunds",
    "invoices": "invoices",
    "address": "address",
    "agents": "agents",
    "price_protection": "price-protection",
    "warranty": "warranty",
}
DEV_FIRST_LINE = (
    "# DEVELOPMENT split of the demo tenant's quality set: tune on this, never on the held-out files;"
    " never copy its texts into training data."
)


ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def canonical(text: str) -> str:
    """An example as written, entity annotations (``[SB1001](order_id)``) reduced to their text."""
    plain = ANNOTATION.sub(lambda match: match.group(1) or match.group(2) or "", text)
    return " ".join(scoring.normalized(plain).strip().strip("\"'").split())


def training_examples() -> set[str]:
    """Every line of the tenants' NLU and dialogue training files, as a list entry or a value."""
    files = sorted(REPO.glob("tenants/*/data/**/*.yml")) + sorted(REPO.glob("tenants/*/calibration.yml"))
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


def test_dev_split_loads_from_its_own_folder() -> None:
    assert data_dir() == DATA and data_dir("heldout") == DATA and data_dir("dev") == DATA / "dev"
    for name in ("single_turn.yaml", "conversations.yaml"):
        assert (DATA / "dev" / name).read_text(encoding="utf-8").splitlines()[0] == DEV_FIRST_LINE
    assert load_items() != load_items(split="dev")
    assert load_emotions(split="dev") is None


def test_dev_split_size_kinds_and_language_balance() -> None:
    items, conversations = load_items(split="dev"), load_conversations(split="dev")
    assert len(items) >= 160 and len(conversations) >= 30
    kinds = Counter(item.kind for item in items)
    assert kinds["kb"] >= 85 and kinds["oos"] >= 28 and kinds["task"] >= 24 and kinds["chitchat"] >= 14, kinds
    assert set(kinds) == {"kb", "oos", "task", "chitchat"}
    for language_count in (Counter(item.lang for item in items), Counter(c.lang for c in conversations)):
        assert set(language_count) == {"zh", "en"}
        assert abs(language_count["zh"] - language_count["en"]) <= 0.1 * sum(language_count.values())
    assert {item.doc for item in items if item.kind == "kb"} == set(DOC_FILES)
    assert any(item.and_facts for item in items if item.lang == "zh")
    assert any(item.and_facts for item in items if item.lang == "en")


def test_dev_ids_are_unique_and_name_their_language() -> None:
    ids = [item.id for item in load_items(split="dev")] + [c.id for c in load_conversations(split="dev")]
    assert len(set(ids)) == len(ids)
    held_out = {item.id for item in load_items()} | {c.id for c in load_conversations()}
    assert held_out.isdisjoint(ids)
    for item in load_items(split="dev"):
        assert item.id.startswith(f"{item.lang}-dev-"), item.id
    for conversation in load_conversations(split="dev"):
        assert conversation.id.startswith(f"{conversation.lang}-dev-conv-"), conversation.id


def test_every_dev_expectation_can_be_scored() -> None:
    for item in load_items(split="dev"):
        assert item.kind != "kb" or (item.facts and item.intent), item.id
        assert item.kind not in ("task", "chitchat") or item.intent, item.id
    for conversation in load_conversations(split="dev"):
        assert conversation.outcome in scoring.OUTCOME_MARKERS, conversation.id
        assert all(not turn.asks or turn.asks in scoring.ASK_MARKERS for turn in conversation.turns)


def test_dev_kb_facts_are_in_the_knowledge_base() -> None:
    """A kb item's facts are in its document's text; a second question's are in some document of that language."""
    texts = {path.name: scoring.normalized(path.read_text(encoding="utf-8")) for path in KNOWLEDGE.glob("*.md")}
    for item in load_items(split="dev"):
        if item.kind != "kb":
            continue
        document = texts[f"{DOC_FILES[item.doc]}.{item.lang}.md"]
        assert all(scoring.normalized(fact) in document for fact in item.facts), item.id
        in_language = [text for name, text in texts.items() if name.endswith(f".{item.lang}.md")]
        for fact in item.and_facts:
            assert any(scoring.normalized(fact) in text for text in in_language), (item.id, fact)


def test_no_dev_text_is_in_the_training_data() -> None:
    training = training_examples()
    leaked = [text for text in dev_customer_texts() if canonical(text) in training]
    assert leaked == []


def test_no_dev_text_is_a_held_out_text() -> None:
    held_out = {canonical(text) for text in customer_texts()}
    copied = [text for text in dev_customer_texts() if canonical(text) in held_out]
    assert copied == []
    dev = [canonical(text) for text in dev_customer_texts()]
    repeated = [text for text, count in Counter(dev).items() if count > 1]
    assert repeated == []
