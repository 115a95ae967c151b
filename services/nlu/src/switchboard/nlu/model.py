"""One tenant's trained NLU model: training, parsing a batch of texts, and its stored form.

With a sentence encoder, intents are a calibrated cascade: the n-gram model (about 0.5 ms) answers
first and its ranking is kept when its top confidence reaches ``Acceptance.accept``; the other
texts go to the joint n-gram + embedding model (about 1.5 ms) in one encoder call. ``accept`` is
chosen on held-out predictions only (``calibration.choose_accept``) and is never below the fallback
threshold, so an accepted answer never falls back and the threshold keeps applying to the joint
model's confidences, on which it was calibrated.

The tenant's out-of-scope texts (``calibration.yml``) also train a reject class under the fallback's
name: a question like the shop's ("how long does it take to boil an egg") is told apart by what it
asks about, not only by a low confidence. The reject class never shows in a ranking; when it wins, or
the best intent is below the threshold, ``nlu_fallback`` leads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np

from switchboard.core.contracts import Emotion, Entity, IntentScore, Understanding
from switchboard.core.language import detect
from switchboard.nlu.calibration import Acceptance, Calibration, choose_accept, choose_threshold, held_out
from switchboard.nlu.emotion import EmotionReader
from switchboard.nlu.encoders import get_encoder
from switchboard.nlu.entities import RULE_ENTITIES, Found, RuleExtractor, resolve_overlaps
from switchboard.nlu.intents import IntentClassifier, fit_temperature
from switchboard.nlu.pickling import RebuiltOnLoad
from switchboard.nlu.tagger import EntityTagger
from switchboard.nlu.trainingdata import TrainingData

FALLBACK_INTENT = "nlu_fallback"
RANKING_LENGTH = 10


@dataclass(frozen=True)
class ParseInput:
    text: str
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    language_hint: str = ""


@dataclass
class TrainOptions:
    folds: int = 5
    seed: int = 13
    encoder: str = "usem3"  # "none": character and word n-grams only
    cascade: bool = True  # with an encoder: the n-gram model answers alone when confident enough
    # The out-of-scope texts train a reject class (when there are at least ``folds`` of them).
    reject_class: bool = True


def data_fingerprint(data: TrainingData, out_of_scope: Sequence[str], timezone_name: str, encoder: str = "none") -> str:
    payload = json.dumps(
        [
            [(e.text, e.intent, [(s.entity, s.start, s.end, s.value) for s in e.entities]) for e in data.examples],
            sorted(data.synonyms.items()),
            sorted(data.regexes.items()),
            sorted(data.lookups.items()),
            list(out_of_scope),
            timezone_name,
            encoder,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


class NluModel(RebuiltOnLoad):
    """Intents, entities, emotion and language for one tenant. Thread-safe once trained."""

    def __init__(
        self,
        data: TrainingData,
        classifier: IntentClassifier,
        tagger: EntityTagger,
        calibration: Calibration,
        timezone_name: str,
        fingerprint: str,
        version: str = "",
        fast_classifier: IntentClassifier | None = None,
        acceptance: Acceptance | None = None,
    ) -> None:
        self.data = data
        self.classifier = classifier
        self.tagger = tagger
        self.calibration = calibration
        self.timezone_name = timezone_name
        self.fingerprint = fingerprint
        self.version = version
        # The cascade's n-gram model and its acceptance; None: ``classifier`` answers every text.
        self.fast_classifier = fast_classifier
        self.acceptance = acceptance
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._rules = RuleExtractor(self.data)
        self._emotion = EmotionReader()
        self._zone = ZoneInfo(self.timezone_name)

    _derived = ("_rules", "_emotion", "_zone")

    def _rebuild(self) -> None:
        # Versions stored before the cascade have neither attribute: they answer with ``classifier``.
        self.__dict__.setdefault("fast_classifier", None)
        self.__dict__.setdefault("acceptance", None)
        self._init_runtime()

    @classmethod
    def train(
        cls,
        data: TrainingData,
        *,
        out_of_scope: Sequence[str] = (),
        timezone_name: str = "UTC",
        options: TrainOptions | None = None,
        step: Callable[[str], None] = lambda _: None,
    ) -> NluModel:
        """Fits intents, calibrates the fallback threshold, fits the tagger; ``step`` reports progress."""
        options = options or TrainOptions()
        rejects = list(out_of_scope) if options.reject_class and len(out_of_scope) >= options.folds else []
        # In-scope examples first, then the reject class's texts: held-out rows [:n] are the intents'.
        n = len(data.examples)
        texts = [example.text for example in data.examples] + rejects
        intents = [example.intent for example in data.examples] + [FALLBACK_INTENT] * len(rejects)
        held = held_out(
            texts, intents, options.folds, options.seed, step=lambda: step("calibration fold"), encoder=options.encoder
        )
        temperature = fit_temperature(held.margins, held.labels, held.classes)
        confidence, correct = held.confidences(temperature)
        classifier = IntentClassifier(temperature=temperature, encoder=options.encoder).fit(texts, intents)
        step("intents")
        out_scores = _kept(confidence, correct, n) if rejects else _top_confidences(classifier, out_of_scope)
        calibration = choose_threshold(confidence[:n], correct[:n], out_scores)
        step("threshold")
        fast, acceptance = None, None
        if options.encoder != "none" and options.cascade:
            # Same seed, so the same folds: every example is scored by both models trained without it.
            fast_held = held_out(
                texts, intents, options.folds, options.seed, step=lambda: step("cascade fold"), encoder="none"
            )
            fast_temperature = fit_temperature(fast_held.margins, fast_held.labels, fast_held.classes)
            fast_confidence, fast_correct = fast_held.confidences(fast_temperature)
            fast = IntentClassifier(temperature=fast_temperature, encoder="none").fit(texts, intents)
            out_fast = _kept(fast_confidence, fast_correct, n) if rejects else _top_confidences(fast, out_of_scope)
            acceptance = choose_accept(
                fast_confidence[:n],
                fast_correct[:n],
                correct[:n],
                calibration.threshold,
                out_fast,
                out_scores < calibration.threshold,
            )
            step("cascade")
        learned = frozenset(span.entity for e in data.examples for span in e.entities) - RULE_ENTITIES
        tagger = EntityTagger(learned).fit(data.examples)
        step("entity tagger")
        return cls(
            data,
            classifier,
            tagger,
            calibration,
            timezone_name,
            data_fingerprint(data, out_of_scope, timezone_name, options.encoder),
            fast_classifier=fast,
            acceptance=acceptance,
        )

    @property
    def intents(self) -> list[str]:
        """The tenant's intents (the reject class, when trained, is not one)."""
        return [name for name in self.classifier.intents if name != FALLBACK_INTENT]

    @staticmethod
    def training_steps(data: TrainingData, options: TrainOptions | None = None) -> int:
        """How many times ``train`` calls ``step`` (for a progress bar)."""
        options = options or TrainOptions()
        smallest = min(sum(1 for e in data.examples if e.intent == name) for name in data.intents)
        folds = max(2, min(options.folds, smallest))
        if options.encoder != "none" and options.cascade:
            return 2 * folds + 4
        return folds + 3

    def parse_batch(self, inputs: Sequence[ParseInput]) -> list[Understanding]:
        """Reads every input; intent scores are computed for the whole batch at once."""
        if not inputs:
            return []
        rankings, _ = self.rank_intents([item.text for item in inputs])
        return [self._understand(item, ranking) for item, ranking in zip(inputs, rankings, strict=True)]

    def rank_intents(self, texts: Sequence[str]) -> tuple[list[list[tuple[str, float]]], list[bool]]:
        """Per text, every intent with its confidence (best first), and whether the fast path answered."""
        if self.fast_classifier is None or self.acceptance is None:
            return self.classifier.rank(texts), [False] * len(texts)
        rankings = self.fast_classifier.rank(texts)
        taken = [ranking[0][1] >= self.acceptance.accept for ranking in rankings]
        rest = [i for i, fast in enumerate(taken) if not fast]
        if rest:
            for i, ranking in zip(rest, self.classifier.rank([texts[i] for i in rest]), strict=True):
                rankings[i] = ranking
        return rankings, taken

    def parse(self, item: ParseInput) -> Understanding:
        return self.parse_batch([item])[0]

    def warm_up(self) -> None:
        """Readies the sentence encoder for the tenant's vocabulary (the pieces of its examples), so
        the first messages after a load cost what later ones do."""
        if self.classifier.encoder != "none":
            get_encoder(self.classifier.encoder).prime([example.text for example in self.data.examples])

    def _understand(self, item: ParseInput, ranking: list[tuple[str, float]]) -> Understanding:
        rejected = dict(ranking).get(FALLBACK_INTENT, 0.0)  # the reject class's confidence (0: none trained)
        ranking = [(name, confidence) for name, confidence in ranking if name != FALLBACK_INTENT]
        scores = [IntentScore(name=name, confidence=confidence) for name, confidence in ranking[:RANKING_LENGTH]]
        if ranking[0][1] < self.calibration.threshold or rejected > ranking[0][1]:
            # As Rasa's FallbackClassifier: the fallback leads, with the threshold as its confidence
            # (or the reject class's, when higher).
            confidence = max(self.calibration.threshold, rejected)
            scores.insert(0, IntentScore(name=FALLBACK_INTENT, confidence=confidence))
            scores = scores[:RANKING_LENGTH]
        reading = self._emotion.read(item.text)
        return Understanding(
            intent=scores[0],
            intent_ranking=scores,
            entities=[_entity(found) for found in self.entities(item)],
            emotion=Emotion(label=reading.proto_label, score=reading.score),
            language=detect(item.text, item.language_hint).wire,
            model_version=self.version,
        )

    def entities(self, item: ParseInput) -> list[Found]:
        today = item.received_at.astimezone(self._zone).date()
        found = self._rules.extract(item.text, today)
        for tagged in self.tagger.extract(item.text):
            value = self.data.synonyms.get(tagged.value.lower(), tagged.value)
            found.append(Found(tagged.entity, value, tagged.start, tagged.end, tagged.confidence, tagged.extractor))
        return resolve_overlaps(found)


def _top_confidences(classifier: IntentClassifier, texts: Sequence[str]) -> np.ndarray:
    """The best intent's confidence for each of ``texts``."""
    return np.array([ranking[0][1] for ranking in classifier.rank(list(texts))]) if texts else np.array([])


def _kept(confidence: np.ndarray, correct: np.ndarray, n: int) -> np.ndarray:
    """Held-out top confidences of the reject class's texts (rows from ``n`` on), 0 where the reject
    class won: ``choose_threshold`` and ``choose_accept`` count a text as rejected below the threshold."""
    return np.where(correct[n:], 0.0, confidence[n:])


def _entity(found: Found) -> Entity:
    return Entity(
        entity=found.entity,
        value=found.value,
        start=found.start,
        end=found.end,
        confidence=round(found.confidence, 4),
        extractor=found.extractor,
    )
