"""Languages Switchboard serves: detection from the scripts a message is written in, the mapping to
and from the wire enum, and the rule that picks the language a reply is written in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from switchboard.core.contracts import Language as WireLanguage

Code = Literal["zh", "en"]
"""A language a tenant can serve (ISO 639-1)."""

SUPPORTED: tuple[Code, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Code = "zh"
"""The tenant default when a tenant names none."""

MIXED = "mixed"
"""A reading, never a reply language: Chinese and English words in one message."""

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Latin words of two letters or more, full-width ones included; codes like "SB1003" or "5G" carry
# digits and say nothing of language.
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z']+(?![A-Za-z0-9])")
# One English word among many Chinese characters (a brand, "ok") does not make a message mixed.
_MIXED_MIN_SHARE = 0.1
# Chinese characters are about one morpheme each, English words one each: 1.5 characters per word.
_CHARS_PER_WORD = 1.5

_TO_WIRE = {"zh": WireLanguage.LANGUAGE_ZH, "en": WireLanguage.LANGUAGE_EN, MIXED: WireLanguage.LANGUAGE_MIXED}
_FROM_WIRE = {wire: code for code, wire in _TO_WIRE.items()}


@dataclass(frozen=True)
class Detection:
    """What one message is written in.

    ``language`` is ``zh``, ``en``, ``mixed`` or empty (nothing to tell by); ``dominant`` is the
    language most of its words are in (empty when none); ``confidence`` is that language's share of
    the words (1.0 for one script, 0.0 when nothing tells); ``reason`` is ``script``, ``hint`` or ``none``.
    """

    language: str
    dominant: str
    confidence: float
    reason: Literal["script", "hint", "none"]

    @property
    def wire(self) -> int:
        """The protobuf ``Language`` value of the reading."""
        return to_wire(self.language)


def detect(text: str, hint: str = "") -> Detection:
    """Read the language of ``text``; the hint (a BCP 47 tag such as ``zh-CN``) decides text without words."""
    folded = fold_full_width(text)
    cjk = len(_CJK_CHAR.findall(folded))
    latin = len(_LATIN_WORD.findall(folded))
    if cjk == 0 and latin == 0:
        hinted = hint.lower().split("-")[0]
        if hinted in SUPPORTED:
            return Detection(hinted, hinted, 1.0, "hint")
        return Detection("", "", 0.0, "none")
    english_share = latin / (latin + cjk / _CHARS_PER_WORD)
    dominant = "en" if english_share > 0.5 else "zh"
    confidence = max(english_share, 1 - english_share)
    mixed = _MIXED_MIN_SHARE <= english_share <= 1 - _MIXED_MIN_SHARE
    return Detection(MIXED if mixed else dominant, dominant, round(confidence, 3), "script")


def reply_language(language: str | None, default: str = DEFAULT_LANGUAGE, served: Iterable[str] = SUPPORTED) -> Code:
    """The language to answer in: ``language`` when the tenant serves it, Chinese for mixed text when
    served, otherwise the tenant's ``default`` (and Switchboard's default when that is not served either)."""
    languages = tuple(served)
    if language == MIXED:
        language = "zh"
    for code in SUPPORTED:
        if language == code and code in languages:
            return code
    return next((code for code in SUPPORTED if code == default), DEFAULT_LANGUAGE)


def to_wire(code: str | None) -> int:
    """The protobuf ``Language`` for ``zh``, ``en`` or ``mixed``; ``LANGUAGE_UNSPECIFIED`` for anything else."""
    return _TO_WIRE.get(code or "", WireLanguage.LANGUAGE_UNSPECIFIED)


def from_wire(value: int) -> str:
    """``zh``, ``en`` or ``mixed`` for a protobuf ``Language``; empty when unspecified."""
    return _FROM_WIRE.get(value, "")


def fold_full_width(text: str) -> str:
    """Full-width ASCII (U+FF01-U+FF5E, typed with a Chinese input method) as its ASCII letter, one character
    for one, so offsets into the text stay valid."""
    return text.translate(_FULL_WIDTH)


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
