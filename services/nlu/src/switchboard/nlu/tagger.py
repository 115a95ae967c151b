"""A trained tagger for annotated free-text entities (``return_reason``, ``address`` ...).

Token-level BIO labels learned by a logistic regression over the token, its neighbours and its
shape; jieba tokens, so Chinese and English share one model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from switchboard.nlu.entities import Found
from switchboard.nlu.pickling import RebuiltOnLoad
from switchboard.nlu.tokens import is_cjk, normalise, tokenize
from switchboard.nlu.trainingdata import Example

_OUTSIDE = "O"


def _shape(token: str) -> str:
    if token.isdigit():
        return "digit"
    if all(is_cjk(char) for char in token):
        return "cjk"
    if token.isascii() and token.isalpha():
        return "latin"
    return "other"


def _features(tokens: Sequence[str], i: int) -> dict[str, float]:
    token = tokens[i]
    features = {
        "bias": 1.0,
        f"w={token}": 1.0,
        f"shape={_shape(token)}": 1.0,
        f"first={token[0]}": 1.0,
        f"last={token[-1]}": 1.0,
        f"len={min(len(token), 5)}": 1.0,
        "pos": i / max(len(tokens) - 1, 1),
    }
    for offset in (-2, -1, 1, 2):
        j = i + offset
        neighbour = tokens[j] if 0 <= j < len(tokens) else ("<s>" if j < 0 else "</s>")
        features[f"w{offset:+d}={neighbour}"] = 1.0
        if 0 <= j < len(tokens):
            features[f"shape{offset:+d}={_shape(neighbour)}"] = 1.0
    return features


def _labels(example: Example, spans: list[tuple[str, int, int]], entities: frozenset[str]) -> list[str]:
    labels = []
    for _, start, end in spans:
        label = _OUTSIDE
        for annotated in example.entities:
            if annotated.entity in entities and start < annotated.end and annotated.start < end:
                label = ("B-" if start <= annotated.start else "I-") + annotated.entity
        labels.append(label)
    return labels


class EntityTagger(RebuiltOnLoad):
    """Learns the given entity types from annotated examples; untrained (no such entities) finds nothing."""

    def __init__(self, entities: frozenset[str]) -> None:
        self.entities = entities
        self._vectorizer = DictVectorizer()
        self._model: LogisticRegression | None = None

    def fit(self, examples: Sequence[Example]) -> EntityTagger:
        rows: list[dict[str, float]] = []
        labels: list[str] = []
        for example in examples:
            spans = tokenize(normalise(example.text))
            tokens = [token for token, _, _ in spans]
            rows.extend(_features(tokens, i) for i in range(len(tokens)))
            labels.extend(_labels(example, spans, self.entities))
        if len(set(labels)) < 2:
            self._model = None
            return self
        self._model = LogisticRegression(C=5.0, max_iter=2000, class_weight="balanced")
        self._model.fit(self._vectorizer.fit_transform(rows), labels)
        self._rebuild()
        return self

    # Rebuilt on load; ``_columns`` is the layout of older stored models, dropped when stored again.
    _derived = ("_columns", "_weights", "_intercept")

    def _rebuild(self) -> None:
        """Per-token scoring by table lookup; scikit-learn's per-call checks would cost milliseconds."""
        if self._model is None:
            return
        self._weights = np.ascontiguousarray(self._model.coef_.T, dtype=np.float64)  # one row per feature
        self._intercept = np.asarray(self._model.intercept_, dtype=np.float64)

    def _probabilities(self, rows: list[dict[str, float]]) -> np.ndarray:
        scores = np.tile(self._intercept, (len(rows), 1))
        vocabulary = self._vectorizer.vocabulary_
        for i, row in enumerate(rows):
            known = [(vocabulary[name], value) for name, value in row.items() if name in vocabulary]
            if known:
                columns = np.fromiter((column for column, _ in known), dtype=np.intp, count=len(known))
                values = np.fromiter((value for _, value in known), dtype=np.float64, count=len(known))
                scores[i] += values @ self._weights[columns]
        if scores.shape[1] == 1:  # two labels: one logit, for the second
            scores = np.hstack([-scores, scores]) / 2
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def extract(self, text: str) -> list[Found]:
        if self._model is None or not text.strip():
            return []
        spans = tokenize(normalise(text))
        if not spans:
            return []
        tokens = [token for token, _, _ in spans]
        probabilities = self._probabilities([_features(tokens, i) for i in range(len(tokens))])
        classes = self._model.classes_
        best = np.argmax(probabilities, axis=1)
        found: list[Found] = []
        current: list[int] = []
        current_entity = ""

        def close() -> None:
            if current:
                start, end = spans[current[0]][1], spans[current[-1]][2]
                confidence = float(np.mean([probabilities[k, best[k]] for k in current]))
                found.append(Found(current_entity, text[start:end], start, end, confidence, "EntityTagger"))

        for i, label_index in enumerate(best):
            label = str(classes[label_index])
            if label == _OUTSIDE:
                close()
                current, current_entity = [], ""
                continue
            prefix, entity = label.split("-", 1)
            if prefix == "I" and entity == current_entity:
                current.append(i)
            else:
                close()
                current, current_entity = [i], entity
        close()
        return found
