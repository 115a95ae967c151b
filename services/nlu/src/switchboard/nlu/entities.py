"""Rule and lookup entities: order ids (the tenant's regexes), phones, last-4 digits, CNY amounts, dates, products.

Values follow the shared vocabulary: ``order_id`` upper-cased, ``phone_number`` digits only,
``phone_last4`` four digits, ``money`` a decimal string in CNY, ``date`` ISO ``yyyy-mm-dd``,
``product`` the canonical name from the tenant's lookup table and synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from switchboard.core.language import fold_full_width
from switchboard.nlu.dates import find_dates
from switchboard.nlu.tokens import normalise
from switchboard.nlu.trainingdata import TrainingData

# Entities these rules own; annotated examples of them train nothing, every other annotated entity
# is learned by the tagger.
RULE_ENTITIES = frozenset({"order_id", "phone_number", "phone_last4", "money", "date", "product"})

_PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d{4}){2})(?!\d)")
_LAST4 = re.compile(
    r"(?:尾号|后四位|末四位|后4位|末4位|last\s+(?:4|four)(?:\s+digits?)?|ending\s+(?:in|with))"
    r"\s*(?:是|为|:|：|is|are)?\s*(\d{4})(?!\d)",
    re.I,
)
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?"
_MONEY = [
    re.compile(rf"(?:[¥￥]|rmb|cny)\s?{_AMOUNT}(?!\d)", re.I),
    re.compile(rf"(?<![\d.]){_AMOUNT}\s?(?:元|块钱|块|人民币|rmb|cny|yuan|kuai)(?![A-Za-z])", re.I),
]


@dataclass(frozen=True)
class Found:
    """One entity found in a text, with Rasa's fields."""

    entity: str
    value: str
    start: int
    end: int
    confidence: float
    extractor: str


def _money_value(integer: str, fraction: str | None) -> str | None:
    try:
        amount = Decimal(integer.replace(",", "") + (fraction or ""))
    except InvalidOperation:
        return None
    return f"{amount:.2f}"


class RuleExtractor:
    """Finds the rule-owned entities of one tenant's data; pure and thread-safe."""

    def __init__(self, data: TrainingData) -> None:
        self._regexes = [
            (entity, re.compile(pattern)) for entity, patterns in data.regexes.items() for pattern in patterns
        ]
        self._synonyms = dict(data.synonyms)
        canonical = {value.lower(): value for values in data.lookups.values() for value in values}
        self._lookup_entity = {value.lower(): entity for entity, values in data.lookups.items() for value in values}
        self._canonical = canonical
        surfaces = sorted(self._lookup_entity, key=len, reverse=True)
        # Latin surfaces must not match inside longer words ("pillow" in "pillowcase").
        self._lookup = (
            re.compile(
                "|".join(rf"(?<![a-z0-9]){re.escape(s)}(?![a-z0-9])" if s.isascii() else re.escape(s) for s in surfaces)
            )
            if surfaces
            else None
        )

    def extract(self, text: str, today: date) -> list[Found]:
        # Full-width letters and digits, typed with a Chinese input method ("SB1005" or "尾号3721" typed
        # full-width), are matched and given as their ASCII forms; folding keeps every offset.
        text = fold_full_width(text)
        found: list[Found] = []
        for entity, pattern in self._regexes:
            for match in pattern.finditer(text):
                found.append(Found(entity, match.group(0).upper(), *match.span(), 1.0, "RegexEntityExtractor"))
        for match in _PHONE.finditer(text):
            found.append(Found("phone_number", re.sub(r"\D", "", match[1]), *match.span(), 1.0, "rules"))
        for match in _LAST4.finditer(text):
            found.append(Found("phone_last4", match[1], *match.span(1), 1.0, "rules"))
        for pattern in _MONEY:
            for match in pattern.finditer(text):
                value = _money_value(match[1], match[2])
                if value is not None:
                    found.append(Found("money", value, *match.span(), 1.0, "rules"))
        for item in find_dates(text, today):
            found.append(Found("date", item.value.isoformat(), item.start, item.end, 1.0, "rules"))
        if self._lookup is not None:
            for match in self._lookup.finditer(normalise(text)):
                surface = match.group(0)
                value = self._synonyms.get(surface) or self._canonical.get(surface, surface)
                found.append(Found(self._lookup_entity[surface], value, *match.span(), 1.0, "lookup"))
        return found


# Identifiers matched by rule: they win over any overlapping span, even a longer free-text one the
# tagger found ("，尾号3721" tagged as an address).
IDENTIFIER_ENTITIES = frozenset({"order_id", "phone_number", "phone_last4"})


def resolve_overlaps(found: list[Found]) -> list[Found]:
    """Keeps identifiers, then the longest, most confident entity where spans overlap; in text order."""
    kept: list[Found] = []
    ranked = sorted(
        found, key=lambda f: (f.entity not in IDENTIFIER_ENTITIES, -(f.end - f.start), -f.confidence, f.start)
    )
    for item in ranked:
        if all(item.end <= other.start or other.end <= item.start for other in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: f.start)
