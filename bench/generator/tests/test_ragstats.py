"""The retrieval and cache benchmark's helpers: labels, ranks, metrics, BM25, and its own question sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generator import ragstats
from switchboard.generator.knowledge import load_knowledge_base

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "bench" / "generator" / "data"


def test_a_label_matches_its_file_and_heading_only() -> None:
    label = ragstats.Section.parse("returns.en.md#Return shipping")
    assert label.matches("returns.en.md#return-shipping", "Returns / Return shipping")
    assert label.matches("returns.en.md#whatever-the-slug", "Returns /  return SHIPPING")
    assert not label.matches("returns.zh.md#return-shipping", "Returns / Return shipping")
    assert not label.matches("returns.en.md#7-day", "Returns / 7-day no-reason returns")
    # A heading that merely ends like the label's is another section.
    assert not ragstats.Section.parse("shipping.en.md#shipping").matches(
        "shipping.en.md#x", "Shipping / Return shipping"
    )
    assert ragstats.Section.parse("agents.zh.md#服务时间").matches("agents.zh.md#服务时间", "人工客服 / 服务时间")


@pytest.mark.parametrize("bad", ["returns.en.md", "returns#Return shipping", "returns.en.md#  "])
def test_a_malformed_label_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        ragstats.Section.parse(bad)


def test_first_relevant_is_the_one_based_rank_of_any_labelled_section() -> None:
    answers = (ragstats.Section.parse("a.en.md#One"), ragstats.Section.parse("b.en.md#Two"))
    ranked = [("c.en.md#x", "C / Three"), ("b.en.md#two", "B / Two"), ("a.en.md#one", "A / One")]
    assert ragstats.first_relevant(ranked, answers) == 2
    assert ragstats.first_relevant(ranked[:1], answers) is None
    assert ragstats.first_relevant([], answers) is None


def test_hit_at_k_and_mean_reciprocal_rank() -> None:
    scores = ragstats.ranking_scores([1, 2, 4, None])
    assert scores["questions"] == 4
    assert scores["hit@1"] == 0.25
    assert scores["hit@3"] == 0.5
    assert scores["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 4) / 4, abs=1e-4)
    with pytest.raises(ValueError):
        ragstats.ranking_scores([])


def test_bm25_prefers_rare_matching_terms_and_shorter_documents() -> None:
    documents = ["refund money card", "shipping fee money", "shipping fee money plus many other words here"]
    bm25 = ragstats.Bm25(documents, tokens=str.split)
    assert bm25.rank("refund")[0] == 0
    # "money" is everywhere (low idf); "shipping" decides, and the shorter document wins.
    assert bm25.rank("shipping money")[:2] == [1, 2]
    assert bm25.scores("nothing in common") == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        ragstats.Bm25([])


def test_bm25_uses_chinese_bigrams_by_default() -> None:
    bm25 = ragstats.Bm25(["订单满99元包邮", "退款将在3-5个工作日内退回"])
    assert bm25.rank("退款多久到账")[0] == 1
    assert bm25.rank("包邮吗")[0] == 0


def test_latency_in_milliseconds() -> None:
    stats = ragstats.latency_ms([0.010] * 99 + [1.0])
    assert (stats["n"], stats["p50_ms"], stats["p99_ms"]) == (100, 10.0, 10.0)
    assert ragstats.latency_ms([0.010] * 98 + [1.0, 1.0])["p99_ms"] == 1000.0
    assert ragstats.latency_ms([])["n"] == 0


def test_unknown_labels_are_reported() -> None:
    question = ragstats.LabelledQuestion(
        "q1", "en", "text", (ragstats.Section.parse("a.en.md#One"), ragstats.Section.parse("a.en.md#Gone"))
    )
    assert ragstats.unknown_labels([question], [("a.en.md#one", "A / One")]) == ["q1: a.en.md#Gone"]


def test_loading_refuses_duplicate_ids_and_bad_languages(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    item = '  - {id: q, language: en, text: "a?", answers: ["a.en.md#A"]}\n'
    path.write_text("questions:\n" + item * 2)
    with pytest.raises(ValueError, match="unique"):
        ragstats.load_retrieval_set(path)
    path.write_text('questions:\n  - {id: q, language: fr, text: "a?", answers: ["a.en.md#A"]}\n')
    with pytest.raises(ValueError, match="language"):
        ragstats.load_retrieval_set(path)


def test_the_retrieval_set_covers_both_languages_and_names_real_sections() -> None:
    questions = ragstats.load_retrieval_set(DATA / "retrieval.yaml")
    for language in ("en", "zh"):
        assert sum(q.language == language for q in questions) >= 25
    assert all(label.file.endswith(f".{q.language}.md") for q in questions for label in q.answers)
    base = load_knowledge_base("demo", ROOT / "tenants" / "demo" / "knowledge")
    assert ragstats.unknown_labels(questions, [(p.source, p.title) for p in base.passages]) == []


def test_the_cache_set_has_repeats_and_every_adversarial_kind_in_both_languages() -> None:
    groups, pairs = ragstats.load_cache_set(DATA / "cache.yaml")
    assert {g.language for g in groups} == {"en", "zh"}
    assert {r.kind for g in groups for r in g.repeats} == {"exact", "variant", "paraphrase"}
    assert {(p.kind, p.language) for p in pairs} == {
        (k, lang) for k in ragstats.ADVERSARIAL_KINDS for lang in ("en", "zh")
    }


def test_the_off_topic_set_has_both_languages() -> None:
    questions = ragstats.load_off_topic(DATA / "retrieval.yaml")
    for language in ("en", "zh"):
        assert sum(lang == language for lang, _ in questions) >= 15


def test_the_out_of_scope_set_has_both_languages() -> None:
    questions = ragstats.load_off_topic(DATA / "retrieval.yaml", "out_of_scope")
    assert {lang for lang, _ in questions} == {"en", "zh"}


def test_the_honesty_summary_counts_wrong_refusals_and_honest_ones_per_language() -> None:
    outcomes = [("en", True, False), ("en", True, True), ("en", False, True), ("en", False, False), ("zh", False, True)]
    summary = ragstats.honesty_summary(outcomes)
    assert summary["en"] == {"on_topic": 2, "on_topic_refused": 1, "unanswerable": 2, "honest": 1, "honest_rate": 0.5}
    assert summary["zh"]["honest_rate"] == 1.0 and summary["zh"]["on_topic"] == 0


def test_the_gate_summary_gives_ranges_margin_and_errors_per_half() -> None:
    samples = [
        ragstats.GateSample("en", True, 0.95, 0),
        ragstats.GateSample("en", True, 0.88, 1),
        ragstats.GateSample("en", False, 0.80, 0),
        ragstats.GateSample("en", False, 0.91, 1),
        ragstats.GateSample("zh", True, 0.92, 0),
    ]
    summary = ragstats.gate_summary(samples, threshold=0.9)
    assert summary["en"]["on_topic_range"] == [0.88, 0.95] and summary["en"]["off_topic_range"] == [0.8, 0.91]
    assert summary["en"]["margin"] == -0.03
    assert summary["en"]["on_topic_refused"] == {"tune": 0, "check": 1}
    assert summary["en"]["off_topic_passed"] == {"tune": 0, "check": 1}
    assert "zh" not in summary  # no off-topic sample to compare with


def _report(wrong: bool) -> dict:
    scores = {"questions": 2, "hit@1": 0.5, "hit@3": 1.0, "mrr": 0.75}
    latency = {"n": 2, "p50_ms": 10.0, "p99_ms": 20.0, "mean_ms": 15.0}
    pair = {"kind": "negation", "stored": "Can I return it?", "asked": "Can't I return it?", "hit": wrong}
    return {
        "started": "2026-01-01T00:00:00Z",
        "kb_version": "v1",
        "machine": {"cpus": 2, "load_average": [1.0, 1.0, 1.0]},
        "retrieval": {
            "questions": 2,
            "passages": 20,
            "retrievers": {"ours": {"by_language": {"all": scores}, "latency": latency}},
            "answer": {"cited_labelled": 0.5, "clarified": 1},
        },
        "cache": {
            "similarity": 0.97,
            "latency": {"hit": latency, "uncached": latency, "miss": latency, "hit_over_uncached_p50": 1.0},
            "repeated": {"hit_rate": 0.5, "hits": 1, "questions": 2, "wrong_hits": 0, "hit_rate_by_kind": {"exact": 1}},
            "adversarial": {"pairs": 1, "wrong_hits": int(wrong), "similarity_only_wrong_hits": 1, "details": [pair]},
        },
    }


def test_the_report_names_every_wrong_hit() -> None:
    assert "Wrong hits" not in ragstats.render_markdown(_report(wrong=False))
    text = ragstats.render_markdown(_report(wrong=True))
    assert "**1 wrong hits** of 1" in text
    assert "'Can I return it?' answered \"Can't I return it?\"" in text
    assert "| ours | all | 2 | 0.5 | 1.0 | 0.75 | 10.0 |" in text
