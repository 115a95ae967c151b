"""Small text helpers shared by retrieval, the support check and the cache: tokens and language."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "to",
        "of",
        "in",
        "on",
        "for",
        "and",
        "or",
        "my",
        "our",
        "your",
        "i",
        "you",
        "we",
        "it",
        "this",
        "that",
        "do",
        "does",
        "did",
        "can",
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "at",
        "by",
        "from",
        "as",
        "me",
        "us",
        "please",
        "much",
        "many",
        "there",
        "any",
    ]
)


def content_tokens(text: str) -> set[str]:
    """Chinese character bigrams (and single characters of one-character runs) plus English content words."""
    lowered = text.lower()
    tokens = {word for word in _WORD.findall(lowered) if word not in STOPWORDS}
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]+", lowered):
        if len(run) == 1:
            tokens.add(run)
        tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def overlap(question: str, passage: str) -> float:
    """Share of the question's content tokens found in the passage (0..1)."""
    wanted = content_tokens(question)
    if not wanted:
        return 0.0
    return len(wanted & content_tokens(passage)) / len(wanted)


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?。！？；;])\s*", text.strip())
    return [part for part in (p.strip() for p in parts) if part]
