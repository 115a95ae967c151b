"""Claim-level grounding: every fact a drafted answer states must stand in the passage clause it paraphrases.

Facts are numbers with their kind (money, percent, days, working days, hours, ...), places and named
policies, read in English and Chinese (full-width digits, Chinese numerals, ¥/元, 天/工作日). A claim's
facts are checked against the passage clauses its words match best, so a number taken from a
neighbouring clause ("free shipping from 10" where 10 is the fee below ¥99) is not grounded.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba
import jieba.posseg

from switchboard.core.numerals import ZH_NUMERALS, zh_numeral
from switchboard.generator.numbers import english_numbers
from switchboard.generator.text import STOPWORDS, content_tokens

jieba.setLogLevel(logging.WARNING)

_VERBS = frozenset({"have", "has", "had", "get", "got", "offer", "offers", "give", "gives", "long", "during", "under"})
_CLAUSE_END = re.compile(r"(?<=[.!?。！？;；，])\s*|(?<=,)\s+")
_PERCENT_ZH = re.compile(f"百分之([{ZH_NUMERALS}]+)")
# A run of Chinese numerals counts as a number when a unit or measure word follows it ("七天", "三个月");
# "统一" or "一下" stay words.
_ZH_QUANTITY = re.compile(f"([{ZH_NUMERALS}]+)(?=个|天|日|周|星期|月|年|元|块|件|次|倍|小时|分钟|工作日)")
_UNITS = (
    ("money", r"元|块钱|块|yuan|rmb|cny|dollars?|usd"),
    ("percent", r"%|percent"),
    ("workday", r"个?工作日|(?:business|working) days?"),
    ("day", r"天|日|days?"),
    ("hour", r"个?小时|hours?|h\b"),
    ("minute", r"分钟|minutes?|mins?"),
    ("week", r"个?星期|周|weeks?"),
    ("month", r"个月|月|months?"),
    ("year", r"年|years?"),
)
_UNIT = "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _UNITS)
_QUANTITY = re.compile(
    rf"(?P<currency>[¥$]|rmb|cny|usd)?\s*(?P<value>\d+(?:[.:]\d+)?)(?:\s*-?\s*(?:{_UNIT}))?", re.IGNORECASE
)
_POLICY_EN = re.compile(
    r"\b((?:[a-z0-9]+[- ]){0,2}(?:policy|guarantee|protection|warranty|programme|program))\b", re.IGNORECASE
)
# Named Chinese shop policies; a general pattern would take the words before them ("电子产品保修").
_POLICY_ZH = re.compile(r"价格保护|价保|保价|以旧换新|延保|\d+天无理由(?:退货|退换货?)?|无理由退货")
_PROPER_EN = re.compile(r"(?<=[a-z0-9,;:] )([A-Z][a-z]+(?: [A-Z][a-z]+)*)")
_NAMED_ZH = frozenset({"ns", "nt", "nz"})
# Words jieba tags as places that customers use as common nouns ("东西" is "things").
_NOT_NAMES_ZH = frozenset({"东西", "南北", "中间"})


@dataclass(frozen=True, slots=True)
class Fact:
    """One checkable fact of a claim: a number of a kind ("money", "day", "" for a bare number), a place
    or other proper name ("name") or a named policy ("policy")."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """A retrieved passage as the check reads it."""

    title: str
    text: str


def normalise(text: str) -> str:
    """NFKC-folded text (full-width digits and currency signs become ASCII) with Chinese numerals before a
    unit ("七天", "百分之十") and English number words as digits."""
    text = unicodedata.normalize("NFKC", text)
    text = _PERCENT_ZH.sub(lambda match: f"{zh_numeral(match[1])}%", text)
    text = _ZH_QUANTITY.sub(lambda match: zh_numeral(match[1]), text)
    return english_numbers(text)


def facts(claim: str) -> frozenset[Fact]:
    """The numbers, places and named policies a claim states."""
    text = normalise(claim)
    found = {_quantity(match) for match in _QUANTITY.finditer(text)}
    found |= {Fact("name", name.lower()) for name in _names(text)}
    found |= {Fact("policy", name.lower()) for name in _policies(text)}
    return frozenset(found)


def clauses(text: str) -> list[str]:
    """Claims of a text: sentences and their clauses (semicolons; Chinese commas; commas before a space)."""
    return [part for part in (piece.strip() for piece in _CLAUSE_END.split(text.strip())) if part]


def ungrounded_claims(draft: str, passages: Sequence[Evidence]) -> list[str]:
    """The draft's claims whose facts do not all stand in the passage clause the claim paraphrases."""
    pieces = [(passage, clause) for passage in passages for clause in clauses(passage.text)]
    return [claim for claim in clauses(draft) if not _grounded(claim, draft, pieces)]


def _grounded(claim: str, draft: str, pieces: Sequence[tuple[Evidence, str]]) -> bool:
    stated = facts(claim)
    if not stated:
        return True
    words = _words(claim, stated) or _words(draft, stated)
    if not words:
        return False
    scored = [(len(words & _words(clause, facts(clause))), passage, clause) for passage, clause in pieces]
    best = max((score for score, _, _ in scored), default=0)
    if best == 0:
        return False
    return any(
        _covers(facts(clause), normalise(passage.title + " " + passage.text).lower(), stated)
        for score, passage, clause in scored
        if score == best
    )


def _covers(clause_facts: frozenset[Fact], passage_text: str, stated: Iterable[Fact]) -> bool:
    for fact in stated:
        if fact.kind in ("name", "policy"):
            if fact.value not in passage_text:
                return False
        elif not any(_same(fact, known) for known in clause_facts):
            return False
    return True


def _same(stated: Fact, known: Fact) -> bool:
    return stated.value == known.value and (stated.kind == known.kind or not stated.kind or not known.kind)


def _quantity(match: re.Match[str]) -> Fact:
    value = match["value"]
    if match["currency"]:
        return Fact("money", value)
    kind = next((kind for kind, _ in _UNITS if match[kind]), "")
    return Fact(kind, value)


def _names(text: str) -> set[str]:
    names = set(_PROPER_EN.findall(text))
    if re.search(r"[\u4e00-\u9fff]", text):
        names |= {
            word for word, flag in tagged(text) if flag in _NAMED_ZH and len(word) > 1 and word not in _NOT_NAMES_ZH
        }
    return names


def _policies(text: str) -> set[str]:
    return {_policy_name(match[1]) for match in _POLICY_EN.finditer(text)} | set(_POLICY_ZH.findall(text))


def _policy_name(phrase: str) -> str:
    """The policy's own words: "you have price protection" → "price protection"."""
    words = re.split(r"[- ]", phrase)
    while len(words) > 1 and (words[0].lower() in STOPWORDS or words[0].lower() in _VERBS):
        words = words[1:]
    return " ".join(words)


@lru_cache(maxsize=4096)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((pair.word, pair.flag) for pair in jieba.posseg.cut(text))


def _words(text: str, stated: frozenset[Fact]) -> set[str]:
    """Content tokens without the facts themselves and with English plurals folded."""
    numbers = {fact.value for fact in stated}
    tokens = content_tokens(normalise(text))
    return {token[:-1] if len(token) > 3 and token.endswith("s") else token for token in tokens} - numbers
