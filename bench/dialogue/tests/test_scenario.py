"""The dialogue benchmark's helpers: scripts, summaries, per-turn medians, the report."""

from __future__ import annotations

import pytest

from bench.dialogue.scenario import LONG_CYCLE, ORDER_SCRIPT, Mark, Summary, long_conversation, markdown, turn_latency


def test_scripts_use_the_shared_intents() -> None:
    vocabulary = {
        "greet",
        "goodbye",
        "affirm",
        "deny",
        "thank",
        "check_order",
        "return_item",
        "refund_status",
        "change_address",
        "invoice",
        "product_question",
        "policy_question",
        "complaint",
        "human_agent",
        "chitchat",
        "nlu_fallback",
    }
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


def test_turn_latency_takes_the_median_of_the_marked_turns() -> None:
    slow_outlier = [0.010] * 200
    slow_outlier[49] = 5.0
    assert turn_latency([slow_outlier, [0.010] * 200], Mark.around(50).turns) == pytest.approx(10.0)
    assert turn_latency([[0.009, 0.001, 0.002, 0.003]], range(2, 5)) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        turn_latency([[0.001] * 10], Mark.around(50).turns)


def test_marks_hold_the_same_number_of_turns_and_the_first_message_apart() -> None:
    assert Mark.around(200).turns == range(198, 203) and Mark.around(200).label == "turns 198-202"
    early = Mark.around(1)
    assert early.turns == range(2, 7) and early.label == "turns 2-6"  # shifted, never holding turn 1
    assert Mark.first().turns == range(1, 2)


def test_markdown_report_has_both_tables_and_the_ratios() -> None:
    report = markdown(
        [Summary("ours", 10, 5.0, 9.0, 100.0), Summary("bare rasa", 10, 8.0, 20.0, 50.0)],
        {
            "ours": {"turn 1": 8.0, "turns 2-6": 10.0, "turns 198-202": 11.0},
            "rasa in-memory": {"turn 1": 10.0, "turns 2-6": 10.0, "turns 198-202": 40.0},
        },
        reference="turns 2-6",
    )
    assert "| ours | 10 | 5.0 | 9.0 | 100.0 |" in report
    header = (
        "| tracker store | turn 1 ms | turns 2-6 ms | turns 198-202 ms "
        "| turns 198-202 / turns 2-6 | turns 198-202 / turn 1 |"
    )
    assert header in report
    assert "| ours | 8.0 | 10.0 | 11.0 | 1.10x | 1.38x |" in report
    assert "| rasa in-memory | 10.0 | 10.0 | 40.0 | 4.00x | 4.00x |" in report
