"""Errors of the Dialogue service: one root, split into retryable and permanent."""

from __future__ import annotations

from switchboard.core.errors import PermanentError, RetryableError, SwitchboardError


class DialogueError(SwitchboardError):
    """Root of every error the Dialogue service raises on purpose."""


class DialogueRetryableError(DialogueError, RetryableError):
    """May pass on retry; the consumer backs off and tries again."""


class DialoguePermanentError(DialogueError, PermanentError):
    """Retrying cannot help; the record goes to the dead-letter topic."""
