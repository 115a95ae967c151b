"""Builders of the events services read from NLU, so every service's tests feed the same shape.

``reading`` is what the NLU service attaches to a customer message; each service's own ``testing``
module wraps it in the envelope and message that service's tests need.
"""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.core.contracts import Emotion, EmotionLabel, Entity, IntentScore, Understanding
from switchboard.core.language import to_wire


def reading(
    text: str,
    intent: str,
    *,
    confidence: float = 0.9,
    entities: Mapping[str, str] | None = None,
    emotion: str = "NEUTRAL",
    emotion_score: float = 0.5,
    language: str = "",
) -> Understanding:
    """NLU's reading of ``text``: ``intent`` (also the ranking's only entry), the entities located in the
    text where they occur, an ``EMOTION_LABEL_<emotion>`` and the language (``zh``, ``en``, ``mixed``;
    empty leaves it unspecified)."""
    found = []
    for name, value in (entities or {}).items():
        start = text.find(value)
        end = start + len(value) if start >= 0 else 0
        found.append(Entity(entity=name, value=value, start=max(start, 0), end=end, confidence=0.9, extractor="test"))
    return Understanding(
        intent=IntentScore(name=intent, confidence=confidence),
        intent_ranking=[IntentScore(name=intent, confidence=confidence)],
        entities=found,
        emotion=Emotion(label=EmotionLabel.Value(f"EMOTION_LABEL_{emotion}"), score=emotion_score),
        language=to_wire(language),
    )
