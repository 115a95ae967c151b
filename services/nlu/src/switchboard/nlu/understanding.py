"""Turns a received customer message into a "message understood" event."""

from __future__ import annotations

from switchboard.core.contracts import MessageReceived, MessageUnderstood, Understanding, caused_envelope


def understood(message: MessageReceived, understanding: Understanding) -> MessageUnderstood:
    """The event NLU publishes for ``message``; same id on every redelivery of ``message``."""
    return MessageUnderstood(
        envelope=caused_envelope(message.envelope, "nlu.understood"),
        message=message,
        understanding=understanding,
    )
