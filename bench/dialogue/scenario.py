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


@dataclass(frozen=True)
class Mark:
    """Where per-turn latency is read: a label and the 1-based turns whose median it is."""

    label: str
    turns: range

    @classmethod
    def around(cls, turn: int, spread: int = 2, first: int = 2) -> Mark:
        """Turns ``turn - spread .. turn + spread``, shifted to start no earlier than ``first``.

        Every mark holds the same number of turns. By default none holds turn 1: the first
        message does work no later turn does (no document to read; the document is inserted;
        Rasa runs its session start), so it is a mark of its own (``Mark.first``).
        """
        low = max(turn - spread, first)
        return cls(f"turns {low}-{low + 2 * spread}", range(low, low + 2 * spread + 1))

    @classmethod
    def first(cls) -> Mark:
        return cls("turn 1 (first message)", range(1, 2))


def turn_latency(samples: Sequence[Sequence[float]], turns: range) -> float:
    """Median latency (ms) of the 1-based ``turns`` over several conversations.

    Takes several turns of every conversation, so one slow garbage collection does not decide
    the figure.
    """
    values = []
    for conversation in samples:
        if turns.start < 1 or turns.stop - 1 > len(conversation):
            outside = f"turns {turns.start}..{turns.stop - 1} are outside a conversation of {len(conversation)} turns"
            raise ValueError(outside)
        values.extend(conversation[turns.start - 1 : turns.stop - 1])
    return float(np.median(np.asarray(values) * 1000))


def markdown(summaries: Sequence[Summary], growth: dict[str, dict[str, float]], reference: str | None = None) -> str:
    """The report: the side-by-side table and the per-turn latency table.

    ``growth`` maps each tracker store to its latency by mark label (in order); the last mark is
    divided by ``reference`` (default: the first label) and, when ``reference`` is another mark, by
    the first mark too.
    """
    lines = [
        "| handling | turns | p50 ms | p99 ms | messages/s |",
        "|---|---:|---:|---:|---:|",
        *(f"| {s.name} | {s.turns} | {s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.per_second:.1f} |" for s in summaries),
        "",
    ]
    if growth:
        labels = list(next(iter(growth.values())))
        reference = reference or labels[0]
        ratios = [reference] + ([labels[0]] if reference != labels[0] else [])
        header = " | ".join(f"{label} ms" for label in labels)
        ratio_header = " | ".join(f"{labels[-1]} / {label}" for label in ratios)
        lines += [f"| tracker store | {header} | {ratio_header} |", "|---|" + "---:|" * (len(labels) + len(ratios))]
        for name, at in growth.items():
            cells = " | ".join(f"{at[label]:.1f}" for label in labels)
            ratio_cells = " | ".join(f"{at[labels[-1]] / at[label]:.2f}x" for label in ratios)
            lines.append(f"| {name} | {cells} | {ratio_cells} |")
    return "\n".join(lines)
