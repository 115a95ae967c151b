"""Finds the knowledge passages that answer a question: dense search in Milvus, reranked by key terms.

Hybrid: the e5 cosine score of each of the ``DENSE_CANDIDATES`` nearest passages, plus a small bonus
for the customer's language, plus ``TERM_WEIGHT`` for each of the passage's key terms (declared
keywords and heading, see ``keyterms``) that stands in the question, at most ``MAX_TERMS``. General
word overlap does not move the ranking (every weight tried ranked English paraphrases worse, e.g.
"How much is delivery?" pulled to the passage that says "after delivery"); a key term is a word the
tenant declared as the topic of one section, so it tells neighbours apart where the dense scores of
paraphrases sit within a few hundredths ("免运费" shipping fee against return shipping, "期限" return
window against refund timing). Word overlap still adds to ``relevance``, the evidence the answer gate
compares with its threshold, because dense e5 scores of unrelated texts sit close together (0.75-0.88).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from switchboard.core.logs import get_logger
from switchboard.generator.embedding import Embedder
from switchboard.generator.keyterms import TermSet, matched_terms, passage_terms
from switchboard.generator.knowledge import KnowledgeBase, load_knowledge_base
from switchboard.generator.text import overlap
from switchboard.generator.vectors import VectorStore

log = get_logger(__name__)

SAME_LANGUAGE_BONUS = 0.02
# Weight of the question's word coverage in ``Hit.relevance``, tuned with the answer gate's threshold on
# half of the on- and off-topic questions and checked on the other half (see the service README).
COVERAGE_WEIGHT = 0.1
CANDIDATES = 8
# The reranker sees more of the dense ranking than the answer does: a passage whose key term the
# question names may sit below the 8th dense place.
DENSE_CANDIDATES = 16
TERM_WEIGHT = 0.04
MAX_TERMS = 2


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved passage with its scores.

    Attributes:
        dense: cosine similarity of the question and the passage (e5).
        score: the ranking score, ``dense`` plus the same-language bonus plus the key-term bonus.
        relevance: ``score`` plus ``COVERAGE_WEIGHT`` times the share of the question's content tokens
            found in any of the search's candidates; what the answer gate compares with its threshold.
        terms: the passage's key terms that stand in the question.
    """

    source: str
    title: str
    text: str
    language: str
    dense: float
    score: float
    relevance: float
    terms: tuple[str, ...] = ()


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    stats = ((path.name, path.stat()) for path in sorted(folder.glob("*.md")))
    return tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)


class Retriever:
    """Keeps each tenant's index in step with its files and answers searches."""

    def __init__(self, tenants_dir: Path, store: VectorStore, embedder: Embedder) -> None:
        self._tenants_dir = tenants_dir
        self._store = store
        self._embedder = embedder
        self._bases: dict[str, KnowledgeBase] = {}
        self._terms: dict[str, tuple[TermSet, ...]] = {}
        self._texts: dict[str, str] = {}
        self._stamps: dict[str, tuple[tuple[str, int, int], ...]] = {}

    def version(self, tenant_id: str) -> str:
        return self._bases[tenant_id].version

    def knowledge_text(self, tenant_id: str) -> str:
        """Every passage's title and text, for checks of what the knowledge base mentions at all."""
        return self._texts[tenant_id]

    async def ensure_current(self, tenant_id: str) -> KnowledgeBase:
        """The tenant's knowledge base, reloaded (and re-indexed when its content hash changed) as soon as
        any of its files changes; a look at the files' sizes and times costs microseconds per question."""
        stamp = await asyncio.to_thread(_stamp, self._folder(tenant_id))
        if tenant_id not in self._bases or self._stamps.get(tenant_id) != stamp:
            await self.sync(tenant_id)
            self._stamps[tenant_id] = stamp
        return self._bases[tenant_id]

    def _folder(self, tenant_id: str) -> Path:
        return self._tenants_dir / tenant_id / "knowledge"

    async def sync(self, tenant_id: str) -> KnowledgeBase:
        """Loads the tenant's files and re-indexes them when their version changed."""
        base = await asyncio.to_thread(load_knowledge_base, tenant_id, self._folder(tenant_id))
        indexed, count = await asyncio.to_thread(self._store.knowledge_version, tenant_id)
        if indexed != base.version or count != len(base.passages):
            texts = [f"{p.title}: {p.text}" for p in base.passages]
            vectors = await self._embedder.passages(texts) if texts else []
            rows = [
                {
                    "id": passage.id,
                    "vector": vector.tolist(),
                    "kb_version": base.version,
                    "language": passage.language,
                    "source": passage.source,
                    "title": passage.title,
                    "text": passage.text,
                }
                for passage, vector in zip(base.passages, vectors, strict=False)
            ]
            await asyncio.to_thread(self._store.replace_knowledge, tenant_id, rows)
            log.info("knowledge.indexed", tenant_id=tenant_id, version=base.version, passages=len(rows))
        self._bases[tenant_id] = base
        # Built once per knowledge-base load, not per question: the answer gate reads it for every hit.
        self._texts[tenant_id] = base.text
        self._terms[tenant_id] = tuple(
            passage_terms(p.source, p.title.rsplit(" / ", 1)[-1], p.keywords) for p in base.passages
        )
        return base

    async def search(self, tenant_id: str, question: str, language: str, limit: int = 3) -> list[Hit]:
        if tenant_id not in self._bases:
            await self.sync(tenant_id)
        if not self._bases[tenant_id].passages:
            return []
        vector = await self._embedder.query(question)
        rows = await asyncio.to_thread(self._store.search_knowledge, tenant_id, vector.tolist(), DENSE_CANDIDATES)
        coverage = overlap(question, " ".join(f"{row['title']} {row['text']}" for row in rows[:CANDIDATES]))
        terms = matched_terms(question, self._terms[tenant_id])
        hits = []
        for row in rows:
            found = terms.get(row["source"], ())
            score = row["score"] + (SAME_LANGUAGE_BONUS if row["language"] == language else 0.0)
            score += TERM_WEIGHT * min(len(found), MAX_TERMS)
            hits.append(
                Hit(
                    row["source"],
                    row["title"],
                    row["text"],
                    row["language"],
                    dense=row["score"],
                    score=score,
                    relevance=score + COVERAGE_WEIGHT * coverage,
                    terms=found,
                )
            )
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]
