"""What a decode scheduler is asked for and what it answers: one request, its token events and how it ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Finish(Enum):
    """Why a request stopped producing tokens."""

    EOS = "eos"
    LENGTH = "length"
    DEADLINE = "deadline"
    CANCELLED = "cancelled"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Decoder:
    """The causal LM a scheduler decodes with and the token ids that end and pad its sequences."""

    model: Any
    eos_token_ids: frozenset[int]
    pad_token_id: int


# What the worker hands a request's sink: a token id, or the Finish that ends the request.
Event = int | Finish


@dataclass(eq=False, slots=True)
class DecodeRequest:
    """One prompt to continue greedily; ``sink`` receives its events on the worker thread."""

    prompt_ids: list[int]
    max_new_tokens: int
    sink: Callable[[Event], None]
    deadline: float | None = None
    generated: int = 0
    cancelled: bool = False
    finished: bool = False

    def cancel(self) -> None:
        """Marks the request; the worker drops it at its next step boundary and sends nothing more."""
        self.cancelled = True

    def accept(self, token: int, eos_token_ids: frozenset[int]) -> None:
        """One generated token: EOS ends the request, any other goes to the sink until the budget is spent."""
        if self.finished or self.cancelled:
            return
        if token in eos_token_ids:
            self.finish(Finish.EOS)
            return
        self.generated += 1
        self.emit(token)
        if self.generated >= self.max_new_tokens:
            self.finish(Finish.LENGTH)

    def emit(self, event: Event) -> None:
        """Hands one event to the sink; a sink that fails (its consumer went away) cancels the request."""
        try:
            self.sink(event)
        except Exception:  # noqa: BLE001 - a consumer that went away must not stop the scheduler
            self.cancelled = True

    def finish(self, reason: Finish) -> None:
        """Ends the request once; a cancelled request is told nothing more."""
        if not self.finished:
            self.finished = True
            if not self.cancelled:
                self.emit(reason)
