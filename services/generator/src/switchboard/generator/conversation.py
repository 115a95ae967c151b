"""What the model sees of the conversation: its recent turns, the form's slots and the customer's language."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from switchboard.generator.llm import ChatMessage

RECENT_TURNS = 4
MAX_TURN_CHARS = 300
# A follow-up leans on the turn before it: "那要几天呢？", "这个呢", "and how long does it take?", "what about that?".
_FOLLOW_UP = re.compile(
    r"^(那|那么|这个|那个|它|还有)|呢[？?]?$|^(and|what about|how about|so)\b|\b(it|that|this|they)\b", re.IGNORECASE
)
_SHORT_ZH = 12
_SHORT_EN = 8


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


def follow_up_query(question: str, history: Sequence[PastTurn]) -> str | None:
    """The question completed by the customer's previous message when it is a short follow-up of it, else None."""
    short = (
        len(question) <= _SHORT_ZH if re.search(r"[\u4e00-\u9fff]", question) else len(question.split()) <= _SHORT_EN
    )
    if not short or not _FOLLOW_UP.search(question.strip()):
        return None
    previous = next(
        (turn.text for turn in reversed(history) if not turn.bot and turn.text.strip() != question.strip()), ""
    )
    return f"{previous} {question}" if previous else None
