"""Errors of the model runtime, under the generator's retryable/permanent split."""

from __future__ import annotations

from switchboard.generator.errors import GeneratorPermanentError, GeneratorRetryableError


class ModelBusyError(GeneratorRetryableError):
    """The request queue is full; back off and retry, or answer without the model."""


class ModelUnavailableError(GeneratorRetryableError):
    """The model is not started, is closing, or its decode worker failed."""


class ModelArtifactError(GeneratorPermanentError):
    """The model files cannot be fetched, converted or loaded; the message says what to set or fix."""
