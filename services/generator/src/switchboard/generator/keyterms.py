"""Key terms: which passages the question's topic words point at, the cheap lexical half of retrieval.

Dense e5 scores of the demo passages sit within a few hundredths of each other for paraphrases, so
"买多少钱可以免运费" lands on the return-shipping passage and "退货期限多久" on refund timing. What tells
them apart is the topic word: 运费 / 包邮 against 退货运费, 期限 / 几天 against 到账. Each passage's
terms are its declared keywords (``<!-- keywords: ... -->`` in the knowledge file) and its section
heading. A term counts where it stands in the question; where two matched terms overlap, only the
longer one counts ("退货运费谁出" points at return shipping, not at the shipping fee whose term "运费" it
contains; "return shipping" likewise over "shipping"). Matching is on NFKC-folded, lower-cased text;
English terms match at a word start, so "dispatch" finds "dispatched" and "refund" finds "refunds".

A term may join words with "+" ("退+运费", "send+back+postage"): it stands in the question when every
word stands in one clause of it, in any order, and it covers the clause from its first word to its
last, so "寄回去的运费算谁的" points at return shipping and its "运费" no longer at the shipping fee.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_ASCII_START = re.compile(r"^[a-z0-9]")
_CLAUSE = re.compile(r"[^,，.。;；!！?？\n]+")
ALL_OF = "+"


@dataclass(frozen=True, slots=True)
class TermSet:
    """A passage's terms, as the matcher reads them."""

    source: str
    terms: tuple[str, ...]


def fold(text: str) -> str:
    """The form terms and questions are compared in: NFKC (full-width letters and digits to ASCII), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern[str]:
    escaped = re.escape(term).replace(r"\ ", r"[\s-]+")
    return re.compile(rf"(?<![a-z0-9]){escaped}" if _ASCII_START.match(term) else escaped)


def passage_terms(source: str, heading: str, keywords: Iterable[str]) -> TermSet:
    """The terms of one passage: its declared keywords and its section heading."""
    terms = {fold(word).strip() for word in (*keywords, heading)}
    return TermSet(source, tuple(sorted(term for term in terms if len(term) >= 2)))


def matched_terms(question: str, term_sets: Sequence[TermSet]) -> dict[str, tuple[str, ...]]:
    """For each passage source, its terms that stand in the question and are not inside a longer match."""
    text = fold(question)
    spans: list[tuple[int, int, str, str]] = []
    clauses = [(clause.start(), clause.end()) for clause in _CLAUSE.finditer(text)]
    for term_set in term_sets:
        for term in term_set.terms:
            if ALL_OF in term:
                found = _all_of(term, text, clauses)
                spans.extend((start, end, term_set.source, term) for start, end in found)
            else:
                found = _pattern(term).finditer(text)
                spans.extend((match.start(), match.end(), term_set.source, term) for match in found)
    kept: dict[str, set[str]] = {}
    for start, end, source, term in spans:
        inside_longer = any(
            other_start <= start and end <= other_end and (other_end - other_start) > (end - start)
            for other_start, other_end, other_source, _ in spans
            if other_source != source
        )
        if not inside_longer:
            kept.setdefault(source, set()).add(term)
    return {source: tuple(sorted(terms)) for source, terms in kept.items()}


def _all_of(term: str, text: str, clauses: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ``clauses`` (start, end) of ``text`` holding every word of a "+" term, as the span from its first
    word to its last."""
    words = [word.strip() for word in term.split(ALL_OF) if word.strip()]
    spans = []
    for start, end in clauses:
        found = [_pattern(word).search(text, start, end) for word in words]
        if words and all(found):
            spans.append((min(m.start() for m in found), max(m.end() for m in found)))
    return spans
