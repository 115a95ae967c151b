"""The dialogue benchmark's helpers: scripts, summaries, per-turn medians, the report."""

from __future__ import annotations

import pytest

from bench.dialogue.scenario import LONG_CYCLE, ORDER_SCRIPT, Summary, long_conversation, markdown, turn_latency


def test_scripts_use_the_shared_intents() -> None:
    vocabulary = {"greet", "goodbye", "affirm", "deny", "thank", "check_order", "return_item", "refund_status",
                  "change_address", "invoice", "product_question", "policy_question", "complaint", "human_agent",
                  "chitchat", "nlu_fallback"}
    assert {step.intent for step in (*ORDER_SCRIPT, *LONG_CYCLE)} <= vocabulary
    # A long conversation never asks for a person, or the bot would fall silent mid-benchmark.
    assert not {"human_agent", "complaint", "nlu_fallback"} & {step.intent for step in LONG_CYCLE}


def test_long_conversation_cycles() -> None:
    steps = long_conversation(9)
    assert len(steps) == 9
    assert steps[0] == steps[len(LONG_CYCLE)] == LONG_CYCLE[0]


def test_summary_percentiles_and_rate() -> None:
    summary = Summary.of("ours", [0.001 * n for n in range(1, 101)], wall_s=2.0)
    assert summary.turns == 100
    assert summary.p50_ms == pytest.approx(50.5)
    assert 98.0 < summary.p99_ms <= 100.0
    assert summary.per_second == 50.0
    with pytest.raises(ValueError):
        Summary.of("none", [], wall_s=1.0)


def test_turn_latency_takes_the_median_around_a_turn() -> None:
    slow_outlier = [0.010] * 200
    slow_outlier[49] = 5.0
    assert turn_latency([slow_outlier, [0.010] * 200], 50) == pytest.approx(10.0)
    assert turn_latency([[0.001, 0.002, 0.003]], 1) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        turn_latency([[0.001] * 10], 50, spread=0)


def test_markdown_report_has_both_tables_and_the_ratio() -> None:
    report = markdown(
        [Summary("ours", 10, 5.0, 9.0, 100.0), Summary("bare rasa", 10, 8.0, 20.0, 50.0)],
        {"ours": {1: 10.0, 50: 10.5, 200: 10.0}, "rasa in-memory": {1: 10.0, 50: 20.0, 200: 40.0}},
    )
    assert "| ours | 10 | 5.0 | 9.0 | 100.0 |" in report
    assert "| ours | 10.0 | 10.5 | 10.0 | 1.00x |" in report
    assert "| rasa in-memory | 10.0 | 20.0 | 40.0 | 4.00x |" in report
