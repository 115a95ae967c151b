"""Rasa's ``/model/parse`` JSON shape, plus ``emotion``, ``language`` and ``model_version``."""

from __future__ import annotations

from typing import Any

from switchboard.core.contracts import Understanding
from switchboard.core.language import from_wire
from switchboard.nlu.emotion import PROTO_LABELS

_EMOTION_NAMES = {proto: name for name, proto in PROTO_LABELS.items()}


def _score(value: float) -> float:
    return round(float(value), 4)


def to_rasa(text: str, understanding: Understanding) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": understanding.intent.name, "confidence": _score(understanding.intent.confidence)},
        "intent_ranking": [{"name": s.name, "confidence": _score(s.confidence)} for s in understanding.intent_ranking],
        "entities": [
            {
                "entity": e.entity,
                "value": e.value,
                "start": e.start,
                "end": e.end,
                "confidence": _score(e.confidence),
                "extractor": e.extractor,
            }
            for e in understanding.entities
        ],
        "emotion": {
            "label": _EMOTION_NAMES.get(understanding.emotion.label, "neutral"),
            "score": _score(understanding.emotion.score),
        },
        "language": from_wire(understanding.language),
        "model_version": understanding.model_version,
    }
