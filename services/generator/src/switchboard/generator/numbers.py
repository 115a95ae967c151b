"""Spelled-out English numbers as digits, for the cache's question signature and the grounding check."""

from __future__ import annotations

import re

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_TENS = {word: 20 + 10 * index for index, word in enumerate(_TENS_WORDS)}
_EN_NUMBER = re.compile(
    rf"\b(?:({'|'.join(_EN_TENS)})(?:[- ]({'|'.join(list(_EN_UNITS)[1:10])}))?|({'|'.join(_EN_UNITS)}))\b",
    re.IGNORECASE,
)


def english_numbers(text: str) -> str:
    """Spelled-out English numbers up to ninety-nine as digits: seven → 7, twenty-five → 25."""
    return _EN_NUMBER.sub(_english_number, text)


def _english_number(match: re.Match[str]) -> str:
    tens, unit, single = match.groups()
    if single:
        return str(_EN_UNITS[single.lower()])
    return str(_EN_TENS[tens.lower()] + (_EN_UNITS[unit.lower()] if unit else 0))
