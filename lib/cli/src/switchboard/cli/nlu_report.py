"""``switchboard test --nlu``: k-fold cross-validation of the tenant's NLU data, per-intent precision,
recall and F1.

Every example is classified by a model trained on the other folds with the NLU service's own
``held_out`` (the predictions its fallback threshold is calibrated on); the report is the top
intent's, before any fallback threshold, so it measures what the data teaches.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class NluReport:
    folds: int
    accuracy: float
    intents: tuple[IntentScore, ...]
    confusions: tuple[tuple[str, str, int], ...]  # (true, predicted, count), most frequent first

    def lines(self) -> list[str]:
        width = max([len("intent"), *(len(score.intent) for score in self.intents)])
        out = [f"{'intent':<{width}}  precision  recall  f1     support"]
        for s in self.intents:
            out.append(f"{s.intent:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {s.support:7d}")
        out.append(
            f"accuracy {self.accuracy:.3f} over {sum(s.support for s in self.intents)} examples, {self.folds} folds"
        )
        out += [f"confused: {true} -> {predicted} ({count})" for true, predicted, count in self.confusions[:5]]
        return out


def score(truth: list[str], predicted: list[str], folds: int) -> NluReport:
    """Per-intent precision, recall and F1 of ``predicted`` against ``truth``."""
    intents = sorted(set(truth))
    scores = []
    for intent in intents:
        true_positive = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == intent)
        guessed = sum(1 for p in predicted if p == intent)
        actual = sum(1 for t in truth if t == intent)
        precision = true_positive / guessed if guessed else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(IntentScore(intent, precision, recall, f1, actual))
    confusions = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    accuracy = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / len(truth) if truth else 0.0
    ordered = tuple((t, p, n) for (t, p), n in confusions.most_common())
    return NluReport(folds, accuracy, tuple(scores), ordered)


def cross_validate(tenants_dir: Path, tenant: str, folds: int = 5, encoder: str = "none") -> NluReport:
    import numpy as np

    from switchboard.nlu.calibration import held_out
    from switchboard.nlu.tenant_files import load_tenant_nlu

    data = load_tenant_nlu(tenants_dir, tenant).data
    texts = [example.text for example in data.examples]
    truth = [example.intent for example in data.examples]
    held = held_out(texts, truth, folds, seed=13, encoder=encoder)
    predicted = [held.classes[index] for index in np.argmax(held.margins, axis=1)]
    smallest = min(Counter(truth).values())
    return score(truth, predicted, max(2, min(folds, smallest)))
