"""Errors of the NLU service: one root, split into retryable and permanent."""

from __future__ import annotations

from switchboard.core.errors import PermanentError, RetryableError, SwitchboardError


class NluError(SwitchboardError):
    """Root of every error the NLU service raises on purpose."""


class NluRetryableError(NluError, RetryableError):
    """May pass on retry; the consumer backs off and tries again."""


class NluPermanentError(NluError, PermanentError):
    """Retrying cannot help; the record goes to the dead-letter topic."""


class InvalidInputError(NluPermanentError):
    """The text to parse is unusable (empty, too long, not UTF-8); the message says which."""


class UnknownTenantError(NluPermanentError):
    """No model and no training data exist for the tenant."""


class TrainingDataError(NluPermanentError):
    """A tenant's ``nlu.yml`` cannot be read or is inconsistent."""


class ModelLoadError(NluError):
    """A stored model version is incomplete or unreadable."""
