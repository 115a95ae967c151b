"""Runs rasa_sdk custom actions inside the dialogue process instead of over HTTP.

Rasa 3.6 calls custom actions through its action endpoint (``EndpointConfig.request``). This
endpoint answers that call in-process with rasa_sdk's own ``ActionExecutor``: the same request
and response bodies as an action server, without the network hop. Every call is bounded by a
timeout shorter than the turn budget; failures are recorded for the turn, so the service can retry
the whole turn instead of replying from a half-run action (Rasa itself only logs them).

Rasa checks every action response against its JSON schema with ``jsonschema.validate``, which first
checks the (large) schema itself against the meta-schema: about 50 ms of a 2-core CPU per custom action,
paid several times a turn (the ``task`` slot's custom mapping runs an action on every message). The
same check runs here with the schema compiled and checked once.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkActionExecutionRejection

# Failures of the turn in flight; each handler task works on its own copy of the context.
_turn_failures: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("turn_failures", default=None)


class ActionFailed(RasaException):
    """A custom action raised or ran past its timeout."""


def start_turn() -> list[str]:
    """Starts collecting action failures for the turn of the current task; returns the list."""
    failures: list[str] = []
    _turn_failures.set(failures)
    return failures


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the schema compiled once: the same errors, raised the same way."""
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += ". Failed to validate Action server response from API."
    raise error


def check_responses_with_a_compiled_schema() -> None:
    """Makes Rasa check action responses with the schema compiled once (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


class InProcessActionEndpoint(EndpointConfig):
    """An action endpoint whose "server" is a rasa_sdk executor in this process."""

    def __init__(self, actions: Iterable[Action], timeout_s: float) -> None:
        super().__init__(url="inprocess://actions")
        check_responses_with_a_compiled_schema()
        self._executor = ActionExecutor()
        for action in actions:
            self._executor.register_action(action)
        self.timeout_s = timeout_s

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        call = kwargs["json"]
        name = call.get("next_action", "")
        try:
            response = await asyncio.wait_for(self._executor.run(call), self.timeout_s)
        except SdkActionExecutionRejection as rejection:
            # The form could not use the message: Rasa then lets the policies pick another action.
            raise ActionExecutionRejection(rejection.action_name, rejection.message) from None
        except asyncio.TimeoutError:
            self._record(f"{name}: timed out after {self.timeout_s}s")
            raise ActionFailed(f"custom action {name} timed out after {self.timeout_s}s") from None
        except Exception as error:
            self._record(f"{name}: {type(error).__name__}")
            raise ActionFailed(f"custom action {name} failed: {type(error).__name__}") from error
        return response or {"events": [], "responses": []}

    @staticmethod
    def _record(failure: str) -> None:
        failures = _turn_failures.get()
        if failures is not None:
            failures.append(failure)
