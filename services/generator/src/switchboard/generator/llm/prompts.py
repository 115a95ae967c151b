"""Chat messages to prompt token ids: the tokenizer's chat template when it has one, else a plain transcript."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from switchboard.generator.llm.contract import ChatMessage

_PLAIN_ROLES = {"system": "System", "user": "User", "assistant": "Assistant"}


def plain_transcript(messages: Sequence[ChatMessage]) -> str:
    """The fallback prompt for tokenizers without a chat template: one ``Role: text`` line per turn."""
    lines = [f"{_PLAIN_ROLES[message.role]}: {message.content.strip()}" for message in messages]
    return "\n".join([*lines, "Assistant:"])


class PromptEncoder:
    """Renders chat messages into prompt token ids no longer than ``max_tokens``.

    Over-long conversations keep their system messages and lose their oldest other turns; a single turn
    still too long keeps its last ``max_tokens`` tokens.
    """

    def __init__(self, tokenizer: Any, *, max_tokens: int) -> None:
        self._tokenizer = tokenizer
        self._max_tokens = max_tokens
        self.uses_chat_template = bool(getattr(tokenizer, "chat_template", None))

    def encode(self, messages: Sequence[ChatMessage]) -> list[int]:
        """Token ids of the prompt that asks the model for the next assistant turn."""
        if not messages:
            raise ValueError("a prompt needs at least one message")
        system = [m for m in messages if m.role == "system"]
        turns = [m for m in messages if m.role != "system"]
        ids = self._render([*system, *turns])
        while len(ids) > self._max_tokens and len(turns) > 1:
            turns = turns[1:]
            ids = self._render([*system, *turns])
        return ids[-self._max_tokens :]

    def _render(self, messages: Sequence[ChatMessage]) -> list[int]:
        if self.uses_chat_template:
            rendered = self._tokenizer.apply_chat_template(
                [{"role": m.role, "content": m.content} for m in messages],
                add_generation_prompt=True,
                tokenize=True,
                return_dict=False,
            )
            return [int(token) for token in _flat(rendered)]
        return list(self._tokenizer.encode(plain_transcript(messages), add_special_tokens=True))


def _flat(rendered: Any) -> list[int]:
    """apply_chat_template returns a list of ids, or a one-row batch of them in some versions."""
    if hasattr(rendered, "tolist"):
        rendered = rendered.tolist()
    if rendered and isinstance(rendered[0], list):
        return rendered[0]
    return rendered
