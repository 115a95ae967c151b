"""Errors of the Handoff service: one root, split into retryable and permanent."""

from __future__ import annotations

from switchboard.core.errors import PermanentError, RetryableError, SwitchboardError


class HandoffError(SwitchboardError):
    """Root of every error the Handoff service raises on purpose."""


class HandoffRetryableError(HandoffError, RetryableError):
    """May pass on retry; the consumer backs off and tries again."""


class HandoffPermanentError(HandoffError, PermanentError):
    """Retrying cannot help; the record goes to the dead-letter topic."""
