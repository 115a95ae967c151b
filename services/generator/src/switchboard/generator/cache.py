"""Semantic answer cache: a near-identical question of the same tenant gets the stored answer.

Only safe reuse: the key holds the tenant's knowledge-base version and the answer language, plus
the question's *signature* (its numbers, time units, the tenant's reference ids (order or account
numbers, by the patterns of its NLU data) and negations), so "can I return it"
never gets the answer to "can't I return it" (curly apostrophe, "cant" or "non-returnable" alike),
nor "7 days" the answer to "30 days" ("seven" and "七" count as 7, "三十" as 30), nor "a week" the
answer to "a month". Answers that depend on the customer's own data are never stored. Entries
expire after ``ttl_s``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass

from prometheus_client import Counter

from switchboard.core.numerals import ZH_NUMERALS, zh_numeral
from switchboard.core.projects.profile import ProjectProfile
from switchboard.generator.embedding import Embedder
from switchboard.generator.numbers import english_numbers
from switchboard.generator.vectors import VectorStore

CACHE_LOOKUPS = Counter("switchboard_generator_cache_lookups_total", "Semantic cache lookups", ["outcome"])

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'", "`": "'", "\u00b4": "'"})
_NEGATION_EN = re.compile(  # apostrophes are made straight first
    r"\b(?:not|no|never|cannot|without|none|nothing|nobody|neither|nor|unable)\b|n't\b|\bnon-?(?=[a-z])"
    r"|\b(?:can|don|won|isn|aren|doesn|didn|wasn|weren|haven|hasn|shouldn|couldn|wouldn)t\b",
    re.IGNORECASE,
)
_NEGATION_ZH = re.compile(r"不|没|別|别|无法|未|非|勿")
_UNIT_EN = re.compile(r"\b(minute|hour|day|week|month|year)s?\b", re.IGNORECASE)
_UNIT_ZH = re.compile(r"分钟|小时|天|日|周|星期|礼拜|月|年")
_ZH_NUMBER = re.compile(f"[{ZH_NUMERALS}]+")


def signature(question: str, references: ProjectProfile) -> str:
    """What must match exactly for two questions to share an answer; ``references`` reads the tenant's ids."""
    text = question.translate(_APOSTROPHES)
    normalised = english_numbers(_ZH_NUMBER.sub(_chinese_number, text))
    numbers = sorted(_NUMBER.findall(normalised))
    orders = references.references_in(text)
    units = sorted({unit.lower() for unit in _UNIT_EN.findall(text)} | set(_UNIT_ZH.findall(text)))
    negations = len(_NEGATION_EN.findall(text)) + len(_NEGATION_ZH.findall(_drop_fixed_phrases(text)))
    return f"n={','.join(numbers)};u={','.join(units)};o={','.join(orders)};neg={negations}"


def _chinese_number(match: re.Match[str]) -> str:
    """A run of Chinese numerals as digits, set apart: 三十 → 30, 十五 → 15, 一百零五 → 105, 二零二四 → 2024."""
    return f" {zh_numeral(match.group())} "


def _drop_fixed_phrases(question: str) -> str:
    # Policy names that contain a negation character but negate nothing.
    return question.replace("无理由", "")


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    text: str
    source: int
    citations: list[dict[str, object]]


class AnswerCache:
    """Looks up and stores answers per tenant in the vector store."""

    def __init__(self, store: VectorStore, embedder: Embedder, *, similarity: float, ttl_s: float) -> None:
        self._store = store
        self._embedder = embedder
        self._similarity = similarity
        self._ttl_s = ttl_s

    @staticmethod
    def key(kb_version: str, language: str, question: str, references: ProjectProfile) -> str:
        return f"{kb_version}|{language}|{signature(question, references)}"

    async def get(
        self, tenant_id: str, kb_version: str, language: str, question: str, references: ProjectProfile
    ) -> CachedAnswer | None:
        vector = await self._embedder.query(question)
        not_before = int(time.time() - self._ttl_s)
        found = await asyncio.to_thread(
            self._store.find_answer,
            tenant_id,
            vector.tolist(),
            self.key(kb_version, language, question, references),
            not_before,
        )
        if found is None or found["score"] < self._similarity:
            CACHE_LOOKUPS.labels("miss").inc()
            return None
        CACHE_LOOKUPS.labels("hit").inc()
        return CachedAnswer(**json.loads(found["answer"]))

    async def put(
        self,
        tenant_id: str,
        kb_version: str,
        language: str,
        question: str,
        answer: CachedAnswer,
        references: ProjectProfile,
    ) -> None:
        vector = await self._embedder.query(question)
        key = self.key(kb_version, language, question, references)
        row = {
            "id": hashlib.sha256(f"{key}\0{question}".encode()).hexdigest()[:32],
            "vector": vector.tolist(),
            "key": key,
            "created_at": int(time.time()),
            "answer": json.dumps(asdict(answer), ensure_ascii=False),
        }
        await asyncio.to_thread(self._store.put_answer, tenant_id, row)
