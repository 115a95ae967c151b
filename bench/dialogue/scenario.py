"""Helpers of the dialogue benchmark: the scripted conversations, latency summaries, the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Step:
    """One customer message: its text (for Rasa's own NLU) and the reading our NLU would give."""

    text: str
    intent: str
    entities: tuple[tuple[str, str], ...] = ()
    language: str = "zh"


# A realistic order conversation: greeting, order check with verification, a policy question, thanks.
ORDER_SCRIPT: tuple[Step, ...] = (
    Step("你好", "greet"),
    Step("我的订单 SB1001 到哪了", "check_order", (("order_id", "SB1001"),)),
    Step("手机尾号 3721", "nlu_fallback", (("phone_last4", "3721"),)),
    Step("退货运费谁出", "policy_question"),
    Step("谢谢", "thank"),
    Step("再见", "goodbye"),
)

# Turns that keep a conversation going indefinitely without ending in a handoff.
LONG_CYCLE: tuple[Step, ...] = (
    Step("你好", "greet"),
    Step("你是机器人吗", "chitchat"),
    Step("谢谢", "thank"),
    Step("hello", "greet", language="en"),
)


def long_conversation(turns: int) -> list[Step]:
    """``turns`` steps cycling through ``LONG_CYCLE``."""
    return [LONG_CYCLE[index % len(LONG_CYCLE)] for index in range(turns)]


@dataclass(frozen=True)
class Summary:
    """Latency and throughput of one way of handling turns."""

    name: str
    turns: int
    p50_ms: float
    p99_ms: float
    per_second: float

    @classmethod
    def of(cls, name: str, seconds: Sequence[float], wall_s: float) -> Summary:
        if not seconds:
            raise ValueError("no samples")
        ms = np.asarray(seconds) * 1000
        return cls(name, len(ms), float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), len(ms) / wall_s)


def turn_latency(samples: Sequence[Sequence[float]], turn: int, spread: int = 2) -> float:
    """Median latency (ms) around 1-based ``turn`` over several conversations.

    Takes turns ``turn - spread .. turn + spread`` (clipped to the conversation) of every
    conversation, so one slow garbage collection does not decide the figure.
    """
    values = []
    for conversation in samples:
        low = max(turn - 1 - spread, 0)
        high = min(turn + spread, len(conversation))
        if low >= high:
            raise ValueError(f"turn {turn} is outside a conversation of {len(conversation)} turns")
        values.extend(conversation[low:high])
    return float(np.median(np.asarray(values) * 1000))


def markdown(summaries: Sequence[Summary], growth: dict[str, dict[int, float]]) -> str:
    """The report: the side-by-side table and the per-turn latency table with the turn-200 ratio."""
    lines = [
        "| handling | turns | p50 ms | p99 ms | messages/s |",
        "|---|---:|---:|---:|---:|",
        *(f"| {s.name} | {s.turns} | {s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.per_second:.1f} |" for s in summaries),
        "",
    ]
    if growth:
        marks = sorted(next(iter(growth.values())))
        header = " | ".join(f"turn {mark} ms" for mark in marks)
        lines += [f"| tracker store | {header} | turn {marks[-1]} / turn {marks[0]} |", "|---|" + "---:|" * (len(marks) + 1)]
        for name, at in growth.items():
            cells = " | ".join(f"{at[mark]:.1f}" for mark in marks)
            lines.append(f"| {name} | {cells} | {at[marks[-1]] / at[marks[0]]:.2f}x |")
    return "\n".join(lines)
