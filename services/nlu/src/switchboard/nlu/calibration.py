"""Calibrates the ``nlu_fallback`` threshold on held-out predictions.

In-scope margins come from stratified cross-validation over the training examples (every
example scored by a model that never saw it); they fit the softmax temperature and give the
in-scope confidences. Out-of-scope confidences come from the tenant's ``calibration.yml`` texts
scored by the full model. The threshold maximises the expected accuracy of "keep the right
intent" on in-scope text and "fall back" on out-of-scope text, weighted by how common each is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from switchboard.nlu.intents import IntentClassifier, softmax

_CANDIDATES = np.round(np.arange(0.05, 0.96, 0.01), 2)
# Share of customer messages that fit none of a shop's intents, as the threshold's working assumption.
OUT_OF_SCOPE_SHARE = 0.15


@dataclass(frozen=True)
class Calibration:
    threshold: float
    held_out_accuracy: float  # in-scope, fallback counted as an error
    out_of_scope_rejected: float  # share of out-of-scope texts that fall back


@dataclass(frozen=True)
class HeldOut:
    """Margins of every example from a model that never saw it, with the true intents."""

    margins: np.ndarray
    labels: np.ndarray
    classes: list[str]

    def confidences(self, temperature: float) -> tuple[np.ndarray, np.ndarray]:
        """Top confidence and whether the top intent was right, per example."""
        probabilities = softmax(self.margins, temperature)
        top = np.argmax(probabilities, axis=1)
        predicted = np.asarray(self.classes)[top]
        return probabilities[np.arange(len(top)), top], predicted == self.labels


def held_out(
    texts: Sequence[str],
    intents: Sequence[str],
    folds: int,
    seed: int,
    step: Callable[[], None] = lambda: None,
    encoder: str = "none",
) -> HeldOut:
    """Stratified ``folds``-fold predictions over the training examples."""
    labels = np.asarray(intents)
    classes = sorted(set(intents))
    smallest = min(np.unique(labels, return_counts=True)[1])
    splitter = StratifiedKFold(n_splits=max(2, min(folds, int(smallest))), shuffle=True, random_state=seed)
    margins = np.zeros((len(texts), len(classes)))
    text_array = np.asarray(texts, dtype=object)
    for train_index, test_index in splitter.split(text_array, labels):
        classifier = IntentClassifier(encoder=encoder).fit(text_array[train_index], labels[train_index])
        columns = [classes.index(name) for name in classifier.intents]
        # An intent absent from a fold's training part gets a margin far below every other.
        fold = np.full((len(test_index), len(classes)), -10.0)
        fold[:, columns] = classifier.margins(text_array[test_index])
        margins[test_index] = fold
        step()
    return HeldOut(margins, labels, classes)


def choose_threshold(
    confidence: np.ndarray,
    correct: np.ndarray,
    out_of_scope: np.ndarray,
    out_of_scope_share: float = OUT_OF_SCOPE_SHARE,
) -> Calibration:
    """The threshold with the best expected accuracy on traffic where ``out_of_scope_share`` of the
    messages fit no intent: in-scope messages count when their right intent is kept, out-of-scope
    ones when they fall back (ties: the lowest threshold). Without out-of-scope texts, in-scope
    messages the model gets wrong stand in for them."""
    wrong = ~correct
    best: Calibration | None = None
    best_score = -1.0
    for threshold in _CANDIDATES:
        kept = float(np.mean(correct & (confidence >= threshold)))
        if len(out_of_scope):
            rejected = float(np.mean(out_of_scope < threshold))
        else:
            rejected = float(np.mean(confidence[wrong] < threshold)) if wrong.any() else 0.0
        score = (1 - out_of_scope_share) * kept + out_of_scope_share * rejected
        if score > best_score + 1e-9:
            best_score = score
            best = Calibration(float(threshold), kept, rejected)
    assert best is not None
    return best
