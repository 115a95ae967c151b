"""Errors of the Generator service: one root, split into retryable and permanent."""

from __future__ import annotations

from switchboard.core.errors import PermanentError, RetryableError, SwitchboardError


class GeneratorError(SwitchboardError):
    """Root of every error the Generator service raises on purpose."""


class GeneratorRetryableError(GeneratorError, RetryableError):
    """May pass on retry; the consumer backs off and tries again."""


class GeneratorPermanentError(GeneratorError, PermanentError):
    """Retrying cannot help; the record goes to the dead-letter topic."""
