"""What the generator asks of a language model: chat messages in, streamed text deltas out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn of a chat prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


@runtime_checkable
class TextGenerator(Protocol):
    """A started model that streams answers; several callers may stream at once."""

    @property
    def languages(self) -> frozenset[str]:
        """Languages the model writes well (ISO 639-1)."""
        ...

    @property
    def model_id(self) -> str:
        """Model name plus a digest of its files and runtime options, for cache keys and logs."""
        ...

    def stream(
        self, messages: Sequence[ChatMessage], *, max_new_tokens: int, deadline: float | None = None
    ) -> AsyncIterator[str]:
        """Yields text deltas as tokens are decoded.

        Stops at the end-of-sequence token, after ``max_new_tokens``, or when ``time.monotonic()`` passes
        ``deadline`` (then it just stops; the caller decides the fallback). Closing or cancelling the iteration
        frees the request's slot at once. Raises ``ModelBusyError`` on the first step when the queue is full.
        """
        ...

    async def start(self) -> None:
        """Loads the model (in a thread) and warms it up."""
        ...

    async def close(self) -> None:
        """Stops the decode worker; streams still open end."""
        ...
