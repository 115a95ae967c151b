"""Benchmark metrics: intent accuracy and macro-F1, entity span F1, latency percentiles."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

EntityKey = tuple[str, int, int]


def intent_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the gold intents (a prediction outside them counts as wrong)."""
    labels = sorted(set(gold))
    return {
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)), 4),
    }


def entity_f1(gold: Sequence[Sequence[EntityKey]], predicted: Sequence[Sequence[EntityKey]]) -> dict[str, float]:
    """Micro precision, recall and F1 of exact (entity, start, end) matches, over every message."""
    true_positive = predicted_total = gold_total = 0
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        gold_set, predicted_set = set(map(tuple, gold_spans)), set(map(tuple, predicted_spans))
        true_positive += len(gold_set & predicted_set)
        predicted_total += len(predicted_set)
        gold_total += len(gold_set)
    precision = true_positive / predicted_total if predicted_total else 0.0
    recall = true_positive / gold_total if gold_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "gold": gold_total}


def latency_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p99 of per-message parse times, in milliseconds."""
    if not seconds:
        return {"p50_ms": 0.0, "p99_ms": 0.0}
    values = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 3), "p99_ms": round(float(np.percentile(values, 99)), 3)}


def restrict(spans: Sequence[EntityKey], entities: set[str]) -> list[EntityKey]:
    """Only the spans of the entity types the dataset annotates (rules find more than a dataset labels)."""
    return [span for span in spans if span[0] in entities]
