"""quality.json and report.md: per-language figures next to their targets, a baseline beside them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from bench.quality.metrics import LANGUAGES, TARGETS, Figures, meets
from bench.quality.runner import ConversationResult, ItemResult

TITLE = "Answer quality on the held-out demo set"
ROWS = (
    ("kb_correct", "KB answer correct", "rate"),
    ("fabricated_facts", "fabricated facts", "count"),
    ("oos_honest", "out-of-scope honest", "rate"),
    ("task_completion", "task completion", "rate"),
    ("turns_per_completed_task", "turns per completed task", "number"),
    ("mid_task_kb_correct", "KB answer mid-task correct", "rate"),
    ("form_resumed", "form re-asks after a digression", "rate"),
    ("escalation_precision", "escalation precision", "rate"),
    ("escalation_recall", "escalation recall", "rate"),
    ("intent_accuracy", "intent accuracy", "rate"),
    ("acted_intent_accuracy", "intent acted on (after arbitration)", "rate"),
    ("emotion_accuracy", "emotion accuracy", "rate"),
    ("kb_latency_p50_ms", "KB answer p50 (ms)", "number"),
    ("kb_latency_p99_ms", "KB answer p99 (ms)", "number"),
    ("template_latency_p50_ms", "template turn p50 (ms)", "number"),
)


def shown(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "rate":
        return f"{value:.1%}"
    return str(value) if kind == "count" else f"{value:.1f}"


def target_of(name: str) -> str:
    if name not in TARGETS:
        return ""
    comparison, target = TARGETS[name]
    kind = dict((row[0], row[2]) for row in ROWS)[name]
    return f"{'≥' if comparison == '>=' else '≤'} {shown(target, kind)}"


def markdown(
    run: dict[str, Figures], baseline: dict[str, Figures] | None, header: list[str], title: str = TITLE
) -> str:
    lines = [f"# {title}", "", *header, ""]
    columns = ["figure", "target"]
    for lang in LANGUAGES:
        columns += [lang] + ([f"{lang} baseline"] if baseline else [])
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for name, label, kind in ROWS:
        cells = [label, target_of(name)]
        for lang in LANGUAGES:
            value = getattr(run[lang], name)
            verdict = meets(name, value)
            cells.append(shown(value, kind) + ("" if verdict is None else (" ✓" if verdict else " ✗")))
            if baseline:
                cells.append(shown(getattr(baseline[lang], name), kind))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Misses", ""]
    for lang in LANGUAGES:
        for kind, ids in run[lang].failures.items():
            if ids:
                lines.append(f"- {lang} {kind} ({len(ids)}): " + "; ".join(ids[:40]) + (" …" if len(ids) > 40 else ""))
    return "\n".join(lines) + "\n"


def transcript(items: list[ItemResult], conversations: list[ConversationResult]) -> list[dict]:
    """One line per single-turn item and per conversation: what was sent, what came back, the intent read."""
    lines: list[dict] = [
        {
            "id": r.item.id,
            "kind": r.item.kind,
            "text": r.item.text,
            "reply": r.reply.text,
            "intent": r.intent,
            "acted_intent": r.acted_intent,
            "latency_ms": round(r.reply.latency_ms, 1),
        }
        for r in items
    ]
    for c in conversations:
        turns = [
            {"text": t.text, "reply": t.reply.text, "intent": t.intent, "acted_intent": t.acted_intent} for t in c.turns
        ]
        lines.append({"id": c.conversation.id, "kind": "conversation", "completed_at": c.completed_at, "turns": turns})
    return lines


def write(
    results: Path,
    meta: dict,
    run: dict[str, Figures],
    baseline: dict[str, Figures] | None,
    header: list[str],
    lines: Sequence[dict] = (),
    title: str = TITLE,
) -> None:
    results.mkdir(parents=True, exist_ok=True)
    document = {
        **meta,
        "targets": {name: {"comparison": c, "value": v} for name, (c, v) in TARGETS.items()},
        "figures": {lang: dataclasses.asdict(run[lang]) for lang in LANGUAGES},
        "baseline": {lang: dataclasses.asdict(baseline[lang]) for lang in LANGUAGES} if baseline else None,
    }
    (results / "quality.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (results / "report.md").write_text(markdown(run, baseline, header, title), encoding="utf-8")
    with (results / "transcript.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
