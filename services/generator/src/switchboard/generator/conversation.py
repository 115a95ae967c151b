"""What the model sees of the conversation: its recent turns, the form's slots and the customer's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from switchboard.generator.llm import ChatMessage

RECENT_TURNS = 4
MAX_TURN_CHARS = 300


@dataclass(frozen=True, slots=True)
class PastTurn:
    """One earlier message of the conversation; ``bot`` for the assistant's or an agent's."""

    bot: bool
    text: str


def prompt_messages(
    system: str,
    passages: str,
    question: str,
    *,
    language: str,
    history: Sequence[PastTurn] = (),
    slots: Sequence[tuple[str, str]] = (),
) -> list[ChatMessage]:
    """The chat for one answer: system rules, the last ``RECENT_TURNS`` turns, then passages, slots and question."""
    messages = [ChatMessage("system", system)]
    if history and not history[-1].bot and history[-1].text.strip() == question.strip():
        history = history[:-1]  # the question itself, when the history already ends with it
    for turn in history[-RECENT_TURNS:]:
        messages.append(ChatMessage("assistant" if turn.bot else "user", turn.text[:MAX_TURN_CHARS]))
    known = "; ".join(f"{name}={value}" for name, value in slots if value)
    if language == "zh":
        body = f"资料：\n{passages}\n\n"
        body += f"已知信息：{known}\n\n" if known else ""
        body += f"问题：{question}"
    else:
        body = f"Passages:\n{passages}\n\n"
        body += f"Known details: {known}\n\n" if known else ""
        body += f"Question: {question}"
    messages.append(ChatMessage("user", body))
    return messages
