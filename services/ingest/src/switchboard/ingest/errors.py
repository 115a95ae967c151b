"""Errors of the Ingest service: one root, split into retryable and permanent."""

from __future__ import annotations

from switchboard.core.errors import PermanentError, RetryableError, SwitchboardError


class IngestError(SwitchboardError):
    """Root of every error the Ingest service raises on purpose."""


class IngestRetryableError(IngestError, RetryableError):
    """May pass on retry; the consumer backs off and tries again."""


class IngestPermanentError(IngestError, PermanentError):
    """Retrying cannot help; the record goes to the dead-letter topic."""


class RejectedRequest(IngestError):
    """A channel request refused before anything was published; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ChannelConfigError(IngestError, ValueError):
    """A tenant's channels.yaml is missing, invalid, or names an unset environment variable."""


class ChannelSendError(IngestRetryableError):
    """The channel's API failed in a way a later try may fix (network, 5xx, expired token)."""


class ChannelRefusedError(IngestPermanentError):
    """The channel's API refused the send for good (e.g. WeChat 45015: the 48-hour window closed)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
