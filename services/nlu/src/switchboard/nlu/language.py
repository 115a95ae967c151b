"""Language of one message: Chinese, English or mixed, from the scripts its words are written in."""

from __future__ import annotations

import re

from switchboard.core.contracts import Language

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Latin words of two letters or more; codes like "SB1003" or "5G" carry digits and say nothing of language.
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z']+(?![A-Za-z0-9])")
# One English word among many Chinese characters (a brand, "ok") does not make a message mixed.
_MIXED_MIN_LATIN_WORDS = 1
_MIXED_MIN_SHARE = 0.1


def detect(text: str, hint: str = "") -> Language:
    """``LANGUAGE_ZH``, ``LANGUAGE_EN`` or ``LANGUAGE_MIXED``; the hint (a BCP 47 tag) decides text without words."""
    cjk = len(_CJK_CHAR.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk == 0 and latin == 0:
        return _from_hint(hint)
    if cjk == 0:
        return Language.LANGUAGE_EN
    if latin == 0:
        return Language.LANGUAGE_ZH
    # Chinese characters are about one morpheme each, English words one each: compare those units.
    share = latin / (latin + cjk / 1.5)
    if latin >= _MIXED_MIN_LATIN_WORDS and _MIXED_MIN_SHARE <= share <= 1 - _MIXED_MIN_SHARE:
        return Language.LANGUAGE_MIXED
    return Language.LANGUAGE_EN if share > 0.5 else Language.LANGUAGE_ZH


def _from_hint(hint: str) -> Language:
    primary = hint.lower().split("-")[0]
    if primary == "zh":
        return Language.LANGUAGE_ZH
    if primary == "en":
        return Language.LANGUAGE_EN
    return Language.LANGUAGE_UNSPECIFIED


def code(language: Language) -> str:
    """The short name used in JSON answers: ``zh``, ``en``, ``mixed`` (empty when unknown)."""
    return {
        Language.LANGUAGE_ZH: "zh",
        Language.LANGUAGE_EN: "en",
        Language.LANGUAGE_MIXED: "mixed",
    }.get(language, "")
