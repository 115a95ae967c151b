"""Tokens with character offsets for Chinese, English and mixed text (jieba keeps Latin words whole)."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalise(text: str) -> str:
    """NFKC (full-width to half-width) and lower case, character by character so offsets stay valid."""
    return "".join(_fold(char) for char in text)


@lru_cache(maxsize=65536)
def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).lower()
    return folded if len(folded) == 1 else char


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """``(token, start, end)`` of the non-blank tokens of ``text``."""
    return [(word, start, end) for word, start, end in jieba.tokenize(text) if word.strip()]


def words(text: str) -> list[str]:
    """Tokens of the normalised text, for the word-level features."""
    return [word for word, _, _ in tokenize(normalise(text))]


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))
