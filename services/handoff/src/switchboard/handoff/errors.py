"""Errors of the Handoff service: one root, split into retryable and permanent."""

from __future__ import annotations

from switchboard.core.errors import PermanentError, RetryableError, SwitchboardError


class HandoffError(SwitchboardError):
    """Root of every error the Handoff service raises on purpose."""


class HandoffRetryableError(HandoffError, RetryableError):
    """May pass on retry; the consumer backs off and tries again."""


class HandoffPermanentError(HandoffError, PermanentError):
    """Retrying cannot help; the record goes to the dead-letter topic."""


class HandoffConfigError(HandoffPermanentError):
    """A tenant's handoff or agent file is invalid; the message names the file and the field."""


class HandoffConflict(HandoffError):
    """The handoff is not in the state the action needs (already taken, resolved or moved)."""


class AgentAtCapacity(HandoffConflict):
    """The agent is offline or already holds as many chats as their capacity allows."""
