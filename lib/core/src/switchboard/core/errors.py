"""Root of the error classes the shared code raises; services derive theirs the same way."""

from __future__ import annotations


class SwitchboardError(Exception):
    """Root of every error Switchboard code raises on purpose."""


class RetryableError(SwitchboardError):
    """A failure that may pass on retry (a timeout, a dependency briefly down)."""


class PermanentError(SwitchboardError):
    """A failure that retrying cannot fix (bad input, a broken invariant)."""
