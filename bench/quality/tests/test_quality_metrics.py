"""Figures per language: the intent NLU read and the intent the dialogue acted on are scored apart."""

from __future__ import annotations

from bench.quality import metrics
from bench.quality.evalset import Item
from bench.quality.runner import ItemResult, Reply


def result(item_id: str, expected: str, nlu: str, acted: str) -> ItemResult:
    item = Item(id=item_id, lang="en", kind="kb", text=item_id, facts=("7",), intent=expected)
    return ItemResult(item, Reply("within 7 days", 100.0), nlu, acted)


def test_the_acted_on_intent_is_scored_apart_from_the_nlu_reading() -> None:
    items = [
        result("a", "policy_question", "change_address", "policy_question"),
        result("b", "policy_question", "policy_question", "policy_question"),
    ]
    figures = metrics.figures("en", items, [], None, set())
    assert figures.intent_accuracy == 0.5
    assert figures.acted_intent_accuracy == 1.0
    assert figures.failures["intent_wrong"] == ["a (policy_question -> change_address)"]


def test_no_acted_on_intent_read_is_not_applicable_rather_than_wrong() -> None:
    figures = metrics.figures("en", [result("a", "policy_question", "policy_question", "")], [], None, set())
    assert figures.acted_intent_accuracy is None
