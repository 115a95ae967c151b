"""Incremental detokenization: text deltas from token ids, never splitting a multi-byte character.

Byte-level tokenizers cut Chinese characters and emoji into several tokens. Each step decodes a short
window that starts at the last character boundary; while the window ends in U+FFFD (a character still
incomplete) nothing is released. Invariant: the deltas plus ``flush()`` join to exactly
``tokenizer.decode(ids, skip_special_tokens=True)`` (the window starts where the text decoded so far
was complete, and lossy UTF-8 decoding does not look across such a boundary). The tokenizers library's
``DecodeStream`` is not used because it holds an invalid byte sequence back for good, losing the text.
"""

from __future__ import annotations

from typing import Any

_INCOMPLETE = "\ufffd"
# Prompt tokens decoded in front of the answer, so word-boundary spaces (SentencePiece's leading "▁")
# come out as they do in the middle of a text.
_CONTEXT_TOKENS = 4


class IncrementalDetokenizer:
    """Turns one request's generated token ids into text deltas, one token at a time."""

    def __init__(self, tokenizer: Any, *, prompt_ids: list[int] | None = None) -> None:
        self._decode = tokenizer.decode
        self._ids: list[int] = list(prompt_ids[-_CONTEXT_TOKENS:]) if prompt_ids else []
        self._prefix_offset = 0
        self._read_offset = len(self._ids)

    def step(self, token_id: int) -> str:
        """Adds one token; returns the text it completes ("" while a character is still partial)."""
        self._ids.append(token_id)
        prefix, full = self._window()
        if len(full) <= len(prefix) or full.endswith(_INCOMPLETE):
            return ""
        self._prefix_offset = self._read_offset
        self._read_offset = len(self._ids)
        return full[len(prefix) :]

    def flush(self) -> str:
        """Text still held back at the end of the answer (an incomplete character decodes to U+FFFD)."""
        prefix, full = self._window()
        self._prefix_offset = self._read_offset = len(self._ids)
        return full[len(prefix) :]

    def _window(self) -> tuple[str, str]:
        prefix = self._decode(self._ids[self._prefix_offset : self._read_offset], skip_special_tokens=True)
        full = self._decode(self._ids[self._prefix_offset :], skip_special_tokens=True)
        return prefix, full
