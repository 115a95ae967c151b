"""Benchmark metrics on hand-checked cases."""

import pytest
from metrics import entity_f1, intent_scores, latency_ms, restrict


def test_intent_accuracy_and_macro_f1() -> None:
    scores = intent_scores(["a", "a", "b", "b"], ["a", "b", "b", "nlu_fallback"])
    assert scores["accuracy"] == 0.5
    # a: P=1, R=.5, F1=.667; b: P=.5, R=.5, F1=.5; macro over gold labels only.
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 0.5) / 2, abs=1e-4)


def test_entity_f1_counts_exact_spans() -> None:
    gold = [[("order_id", 2, 8)], [("date", 0, 2), ("money", 3, 7)]]
    predicted = [[("order_id", 2, 8), ("product", 9, 11)], [("date", 0, 3)]]
    scores = entity_f1(gold, predicted)
    assert (scores["precision"], scores["recall"], scores["gold"]) == (
        pytest.approx(1 / 3, abs=1e-4),
        pytest.approx(1 / 3, abs=1e-4),
        3,
    )
    assert entity_f1([[]], [[]])["f1"] == 0.0


def test_latency_percentiles_in_milliseconds() -> None:
    assert latency_ms([0.001] * 98 + [0.1, 0.2])["p50_ms"] == 1.0
    assert latency_ms([0.001] * 98 + [0.1, 0.2])["p99_ms"] > 100
    assert latency_ms([]) == {"p50_ms": 0.0, "p99_ms": 0.0}


def test_restrict_keeps_only_annotated_types() -> None:
    assert restrict([("date", 0, 2), ("food", 3, 5)], {"food"}) == [("food", 3, 5)]
