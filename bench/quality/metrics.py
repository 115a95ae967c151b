"""Per-language figures from the run's results, and the targets they are held to."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.quality import scoring
from bench.quality.runner import ConversationResult, EmotionResult, ItemResult

LANGUAGES = ("zh", "en")
# figure: (comparison, target), per language.
TARGETS = {
    "kb_correct": (">=", 0.90),
    "fabricated_facts": ("<=", 0),
    "oos_honest": (">=", 1.0),
    "task_completion": (">=", 0.90),
    "intent_accuracy": (">=", 0.95),
    "kb_latency_p50_ms": ("<=", 250.0),
}


@dataclass
class Figures:
    """One language's figures; rates are 0..1, ``None`` where nothing was measured."""

    kb_correct: float | None = None
    fabricated_facts: int = 0
    oos_honest: float | None = None
    task_completion: float | None = None
    turns_per_completed_task: float | None = None
    mid_task_kb_correct: float | None = None
    form_resumed: float | None = None
    escalation_precision: float | None = None
    escalation_recall: float | None = None
    intent_accuracy: float | None = None
    acted_intent_accuracy: float | None = None
    emotion_accuracy: float | None = None
    kb_latency_p50_ms: float | None = None
    kb_latency_p99_ms: float | None = None
    template_latency_p50_ms: float | None = None
    failures: dict[str, list[str]] = field(default_factory=dict)


def allowed_numbers(root: Path, tenant: str = "demo") -> set[str]:
    """Numbers the tenant itself wrote: its knowledge base and its reply templates."""
    texts = [
        path.read_text(encoding="utf-8") for path in sorted((root / "tenants" / tenant / "knowledge").glob("*.md"))
    ]
    folder = root / "tenants" / tenant
    # A baseline from before tenants became Rasa projects keeps its domain under assistant/.
    candidates = (folder / "assistant" / "domain.yml", folder / "domain.yml")
    domain_file = next((path for path in candidates if path.is_file()), candidates[-1])
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    for variants in (domain.get("responses") or {}).values():
        texts += [variant.get("text", "") for variant in variants]
    return set().union(*(scoring.numbers(text) for text in texts))


def figures(
    lang: str,
    items: list[ItemResult],
    conversations: list[ConversationResult],
    emotions: list[EmotionResult] | None,
    allowed: set[str],
) -> Figures:
    items = [result for result in items if result.item.lang == lang]
    conversations = [result for result in conversations if result.conversation.lang == lang]
    out = Figures()
    failures: dict[str, list[str]] = {}

    kb = [result for result in items if result.item.kind == "kb"]
    kb_hits = [scoring.kb_correct(r.reply.text, r.item.facts, r.item.and_facts) for r in kb]
    out.kb_correct = scoring.rate(sum(kb_hits), len(kb))
    failures["kb_wrong"] = [r.item.id for r, hit in zip(kb, kb_hits, strict=True) if not hit]

    answered = [r for r in items if r.item.kind in ("kb", "oos", "chitchat")]
    made_up = {r.item.id: scoring.fabricated(r.reply.text, allowed | scoring.numbers(r.item.text)) for r in answered}
    mid_turns = [(c, t) for c in conversations for t in c.turns if t.facts]
    for conversation, turn in mid_turns:
        extra = scoring.fabricated(turn.reply.text, allowed | scoring.numbers(turn.text))
        if extra:
            made_up[f"{conversation.conversation.id}: {turn.text}"] = extra
    out.fabricated_facts = sum(len(numbers) for numbers in made_up.values())
    failures["fabricated"] = [f"{key} ({', '.join(sorted(value))})" for key, value in made_up.items() if value]

    oos = [r for r in items if r.item.kind == "oos"]
    oos_ok = [scoring.honest(r.reply.text, lang) and not made_up[r.item.id] for r in oos]
    out.oos_honest = scoring.rate(sum(oos_ok), len(oos))
    failures["oos_not_honest"] = [r.item.id for r, ok in zip(oos, oos_ok, strict=True) if not ok]

    done = [c for c in conversations if c.completed_at is not None]
    out.task_completion = scoring.rate(len(done), len(conversations))
    out.turns_per_completed_task = statistics.fmean(c.completed_at for c in done) if done else None
    failures["task_not_completed"] = [c.conversation.id for c in conversations if c.completed_at is None]

    mid_hits = [scoring.contains_any(t.reply.text, t.facts) for _, t in mid_turns]
    out.mid_task_kb_correct = scoring.rate(sum(mid_hits), len(mid_turns))
    resumed = [t for c in conversations for t in c.turns if t.asks]
    out.form_resumed = scoring.rate(sum(scoring.asks(t.asks, t.reply.text) for t in resumed), len(resumed))

    pairs = [(r.item.escalate, scoring.escalated(r.reply.text)) for r in items]
    pairs += [(c.conversation.escalate, any(scoring.escalated(t.reply.text) for t in c.turns)) for c in conversations]
    out.escalation_precision, out.escalation_recall = scoring.precision_recall(pairs)

    intents = [(r.item.id, r.item.intent, r.intent) for r in items if r.item.intent]
    intents += [
        (c.conversation.id, t.expected_intent, t.intent) for c in conversations for t in c.turns if t.expected_intent
    ]
    out.intent_accuracy = scoring.rate(sum(expected == got for _, expected, got in intents), len(intents))
    failures["intent_wrong"] = [f"{key} ({expected} -> {got})" for key, expected, got in intents if expected != got]
    acted = [(r.item.id, r.item.intent, r.acted_intent) for r in items if r.item.intent and r.acted_intent]
    acted += [
        (c.conversation.id, t.expected_intent, t.acted_intent)
        for c in conversations
        for t in c.turns
        if t.expected_intent and t.acted_intent
    ]
    # Read only where the tracker could be read: None (n/a) for a tree that stores it otherwise.
    if acted:
        out.acted_intent_accuracy = scoring.rate(sum(expected == got for _, expected, got in acted), len(acted))
        failures["acted_intent_wrong"] = [f"{key} ({want} -> {got})" for key, want, got in acted if want != got]

    if emotions is not None:
        mine = [e for e in emotions if e.case.lang == lang]
        out.emotion_accuracy = scoring.rate(sum(e.case.label == e.label for e in mine), len(mine))
        failures["emotion_wrong"] = [
            f"{e.case.text} ({e.case.label} -> {e.label})" for e in mine if e.case.label != e.label
        ]

    out.kb_latency_p50_ms = scoring.percentile([r.reply.latency_ms for r in kb], 50)
    out.kb_latency_p99_ms = scoring.percentile([r.reply.latency_ms for r in kb], 99)
    template = [r.reply.latency_ms for r in items if r.item.kind in ("task", "chitchat")]
    out.template_latency_p50_ms = scoring.percentile(template, 50)
    out.failures = failures
    return out


def meets(name: str, value: float | None) -> bool | None:
    if name not in TARGETS or value is None:
        return None
    comparison, target = TARGETS[name]
    return value >= target if comparison == ">=" else value <= target
