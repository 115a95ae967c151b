"""Calibrates the ``nlu_fallback`` threshold on held-out predictions.

In-scope margins come from stratified cross-validation over the training examples (every
example scored by a model that never saw it); they fit the softmax temperature and give the
in-scope confidences. Out-of-scope confidences come from the tenant's ``calibration.yml`` texts
scored by the full model. The threshold maximises the expected accuracy of "keep the right
intent" on in-scope text and "fall back" on out-of-scope text, weighted by how common each is.

With the sentence encoder on, ``choose_accept`` picks from the same held-out predictions when the
n-gram model's answer stands alone (the cascade in ``model``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from switchboard.nlu.intents import IntentClassifier, softmax

_CANDIDATES = np.round(np.arange(0.05, 0.96, 0.01), 2)
# ``Acceptance.accept`` when no n-gram answer stands alone: every text goes to the joint model.
NEVER = float("inf")
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


@dataclass(frozen=True)
class Acceptance:
    """When the n-gram model's ranking stands without the sentence encoder, and what held-out data says of it."""

    accept: float  # the n-gram model's top confidence from which its ranking is kept; ``NEVER``: never
    fast_examples: int  # held-out examples the fast path takes at ``accept``
    examples: int  # held-out examples in all
    fast_accuracy: float  # n-gram model's held-out accuracy on the examples it takes (1.0 when none)
    joint_accuracy: float  # the joint model's held-out accuracy on those same examples (1.0 when none)

    @property
    def fast_share(self) -> float:
        return self.fast_examples / self.examples if self.examples else 0.0

    @property
    def shown_accept(self) -> float | None:
        """``accept`` as reports and logs show it: None when the fast path is never taken."""
        return None if self.accept == NEVER else self.accept

    def report(self) -> dict[str, float | int | None]:
        """What the stored model's metadata and the training log say of the cascade."""
        return {**asdict(self), "accept": self.shown_accept, "held_out_fast_share": round(self.fast_share, 4)}


def choose_accept(
    fast_confidence: np.ndarray,
    fast_correct: np.ndarray,
    joint_correct: np.ndarray,
    floor: float,
    out_of_scope_fast: Sequence[float] | np.ndarray = (),
    out_of_scope_joint_rejected: Sequence[bool] | np.ndarray = (),
) -> Acceptance:
    """The lowest threshold ``t >= floor`` (the fallback threshold) at which the cascade loses nothing on
    held-out data: on the in-scope examples whose n-gram confidence is ``>= t``, the n-gram model is right
    at least as often as the joint model (so the cascade's held-out accuracy is at least the joint
    model's), and no out-of-scope text the joint model sends to the fallback has an n-gram confidence
    ``>= t``. Candidates: the floor and every held-out n-gram confidence above it; ``NEVER`` when none
    qualifies. The arrays are aligned per example: both models' predictions come from the same
    cross-validation folds."""
    fast_correct = np.asarray(fast_correct, dtype=bool)
    joint_correct = np.asarray(joint_correct, dtype=bool)
    rejected_by_joint = np.asarray(out_of_scope_fast)[np.asarray(out_of_scope_joint_rejected, dtype=bool)]
    # The accepted set changes only at held-out confidences: they and the floor are the candidates.
    observed = np.asarray(fast_confidence, dtype=np.float64)
    candidates = np.unique(np.concatenate([[floor], observed[observed >= floor]]))
    for threshold in candidates:
        taken = fast_confidence >= threshold
        if int(fast_correct[taken].sum()) < int(joint_correct[taken].sum()):
            continue
        if (rejected_by_joint >= threshold).any():
            continue
        count = int(taken.sum())
        return Acceptance(
            float(threshold),
            count,
            len(fast_confidence),
            float(fast_correct[taken].mean()) if count else 1.0,
            float(joint_correct[taken].mean()) if count else 1.0,
        )
    return Acceptance(NEVER, 0, len(fast_confidence), 1.0, 1.0)
