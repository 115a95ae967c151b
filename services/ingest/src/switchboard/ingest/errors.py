"""Errors of the Ingest service: one root, split into retryable and permanent."""

from __future__ import annotations

from switchboard.core.errors import PermanentError, RetryableError, SwitchboardError


class IngestError(SwitchboardError):
    """Root of every error the Ingest service raises on purpose."""


class IngestRetryableError(IngestError, RetryableError):
    """May pass on retry; the consumer backs off and tries again."""


class IngestPermanentError(IngestError, PermanentError):
    """Retrying cannot help; the record goes to the dead-letter topic."""
