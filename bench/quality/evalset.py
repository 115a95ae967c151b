"""The evaluation sets as typed records: single-turn items, conversations, emotion cases.

Two splits of the demo tenant's set: ``heldout`` (``data/``), the one the benchmark reports and nobody tunes
on, and ``dev`` (``data/dev/``), the development split to look at misses and tune on. ``data_dir`` alone
decides where a split's files are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
SPLITS = ("heldout", "dev")


def data_dir(split: str = "heldout") -> Path:
    """The folder of a split's files: ``heldout`` (the default) or ``dev``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: one of {', '.join(SPLITS)}")
    return DATA if split == "heldout" else DATA / "dev"


@dataclass(frozen=True, slots=True)
class Item:
    """One customer message sent as a new conversation.

    Attributes:
        kind: ``kb``, ``oos``, ``task`` or ``chitchat``.
        facts: For ``kb``: one of these must appear in the reply.
        and_facts: A second question's facts in the same message; one of them must appear too.
        intent: The NLU intent expected for the text (``None``: not checked).
    """

    id: str
    lang: str
    kind: str
    text: str
    facts: tuple[str, ...] = ()
    and_facts: tuple[str, ...] = ()
    doc: str = ""
    intent: str | None = None
    escalate: bool = False


@dataclass(frozen=True, slots=True)
class Turn:
    """One customer turn of a conversation and what its reply must show."""

    text: str
    intent: str | None = None
    facts: tuple[str, ...] = ()
    asks: str = ""


@dataclass(frozen=True, slots=True)
class Conversation:
    """Turns sent in order until the final state ``outcome`` shows in a reply."""

    id: str
    lang: str
    outcome: str
    turns: tuple[Turn, ...]
    escalate: bool = False


@dataclass(frozen=True, slots=True)
class EmotionCase:
    lang: str
    label: str
    text: str


def load_items(path: Path | None = None, split: str = "heldout") -> list[Item]:
    """The single-turn items of ``path``, else of the split's ``single_turn.yaml``."""
    path = path or data_dir(split) / "single_turn.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc_intents = document.get("doc_intents", {})
    items = []
    for raw in document["items"]:
        intent = raw.get("intent") or (doc_intents.get(raw.get("doc", "")) if raw["kind"] == "kb" else None)
        items.append(
            Item(
                id=raw["id"],
                lang=raw["lang"],
                kind=raw["kind"],
                text=raw["text"],
                facts=tuple(raw.get("facts", ())),
                and_facts=tuple(raw.get("and_facts", ())),
                doc=raw.get("doc", ""),
                intent=intent,
                escalate=bool(raw.get("escalate", False)),
            )
        )
    return items


def load_conversations(path: Path | None = None, split: str = "heldout") -> list[Conversation]:
    """The conversations of ``path``, else of the split's ``conversations.yaml``."""
    path = path or data_dir(split) / "conversations.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Conversation(
            id=raw["id"],
            lang=raw["lang"],
            outcome=raw["outcome"],
            escalate=bool(raw.get("escalate", False)),
            turns=tuple(
                Turn(
                    text=turn["text"],
                    intent=turn.get("intent"),
                    facts=tuple(turn.get("facts", ())),
                    asks=turn.get("asks", ""),
                )
                for turn in raw["turns"]
            ),
        )
        for raw in document["conversations"]
    ]


def load_emotions(path: Path | None = None, split: str = "heldout") -> list[EmotionCase] | None:
    """The emotion cases of ``path``, else of the split's ``emotion.yaml``; ``None`` when the file is absent."""
    path = path or data_dir(split) / "emotion.yaml"
    if not path.exists():
        return None
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [EmotionCase(case["language"], case["label"], case["text"]) for case in document["cases"]]


def split_texts(split: str) -> list[str]:
    """Every customer text of a split: its single-turn items, conversation turns and emotion cases."""
    texts = [item.text for item in load_items(split=split)]
    texts += [case.text for case in load_emotions(split=split) or ()]
    return texts + [turn.text for conversation in load_conversations(split=split) for turn in conversation.turns]


def customer_texts() -> list[str]:
    """Every customer text of the single-turn items, the conversations and the emotion cases, for the held-out check."""
    return split_texts("heldout")


def dev_customer_texts() -> list[str]:
    """Every customer text of the development split, for the checks that it is neither training nor held-out data."""
    return split_texts("dev")
