"""Runs a tenant's custom actions: the platform's in the dialogue process, the tenant's own over HTTP.

Rasa 3.6 calls every custom action through its action endpoint (``EndpointConfig.request``). The
endpoint here routes by name: the platform's actions (``actions.PLATFORM_ACTIONS``) run in-process
with rasa_sdk's own ``ActionExecutor`` (the same request and response bodies, no network hop); every
other action goes to the tenant's rasa_sdk action server, the url of ``endpoints.yml``'s
``action_endpoint``, with the request body Rasa itself sends. Every call is bounded by a timeout
shorter than the turn budget and traced by one span.

Rasa only logs a failed action and goes on, so failures are recorded for the turn instead: the
service retries the whole turn rather than replying from a half-run action. A connection error is
retried a few times within the call (the action never ran); an action's own error or a timeout is
not (it may have run). When the same turn has failed ``failed_turns_before_reply`` times, the next
failure answers the customer that the request cannot be handled now (the tenant's
``utter_actions_unavailable`` response, else its copy's ``fallback.actions_unavailable``), ends the form, and lets the
turn complete: the message and the conversation are kept, and the customer is not left waiting.

Rasa checks every action response against its JSON schema with ``jsonschema.validate``, which first
checks the (large) schema itself against the meta-schema: about 50 ms of a 2-core CPU per custom action,
paid several times a turn (the ``task`` slot's custom mapping runs an action on every message). The
same check runs here with the schema compiled and checked once.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiohttp
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from opentelemetry.trace import SpanKind, Status, StatusCode
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkActionExecutionRejection

from switchboard.core.copy import TenantCopy, default_copy
from switchboard.core.language import reply_language
from switchboard.core.logs import get_logger
from switchboard.core.telemetry import tracer

log = get_logger(__name__)

IN_PROCESS = "in_process"
ACTION_SERVER = "action_server"
# A response the tenant's domain may define to word the reply when its actions cannot run.
UNAVAILABLE_RESPONSE = "utter_actions_unavailable"
EMPTY_RESPONSE: dict[str, Any] = {"events": [], "responses": []}


class TurnFailures(list[str]):
    """The action failures of the turn in flight; ``gave_up`` once this try ends the turn instead of
    failing it, ``replied`` once the customer was told it cannot be done."""

    gave_up: bool = False
    replied: bool = False


# Failures of the turn in flight; each handler task works on its own copy of the context.
_turn_failures: contextvars.ContextVar[TurnFailures | None] = contextvars.ContextVar("turn_failures", default=None)


class ActionFailed(RasaException):
    """A custom action raised, ran past its timeout, or could not be reached."""


def start_turn() -> TurnFailures:
    """Starts collecting action failures for the turn of the current task; returns the list."""
    failures = TurnFailures()
    _turn_failures.set(failures)
    return failures


def _record(failure: str) -> None:
    failures = _turn_failures.get()
    if failures is not None:
        failures.append(failure)


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

    @property
    def names(self) -> frozenset[str]:
        """The actions this endpoint runs."""
        return frozenset(self._executor.actions)

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
            _record(f"{name}: timed out after {self.timeout_s}s")
            raise ActionFailed(f"custom action {name} timed out after {self.timeout_s}s") from None
        except Exception as error:
            _record(f"{name}: {type(error).__name__}")
            raise ActionFailed(f"custom action {name} failed: {type(error).__name__}") from error
        return response or dict(EMPTY_RESPONSE)


@dataclass(frozen=True)
class ActionServerPolicy:
    """How calls to an action server are bounded and retried."""

    timeout_s: float = 2.0
    connect_attempts: int = 3
    connect_backoff_s: float = 0.1
    # Below the consumer's tries per record (3 by default), so the last try replies instead of failing.
    failed_turns_before_reply: int = 2
    # Turns whose failures are remembered, so a burst of failing conversations stays bounded in memory.
    remembered_turns: int = 4096


class _Unreachable(Exception):
    """The action server could not run the action: it is down, too slow, missing, or the action broke."""


class ActionServerClient:
    """Calls one rasa_sdk action server with Rasa's action-server protocol (``POST <url>``)."""

    def __init__(self, url: str, policy: ActionServerPolicy) -> None:
        self.url = url
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the event loop that runs the turns.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.policy.timeout_s))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def run(self, call: dict[str, Any]) -> dict[str, Any]:
        """The server's response to ``call``; ``ActionExecutionRejection`` when the action rejects the
        message, ``_Unreachable`` with a reason when it could not run."""
        name = call.get("next_action", "")
        for attempt in range(1, self.policy.connect_attempts + 1):
            try:
                async with self._client().post(self.url, json=call) as response:
                    if response.status == 400:
                        body = await response.json(content_type=None)
                        raise ActionExecutionRejection(body.get("action_name") or name, body.get("error"))
                    if response.status == 404:
                        raise _Unreachable(f"{name}: the action server at {self.url} has no such action")
                    if response.status >= 400:
                        raise _Unreachable(f"{name}: the action server answered HTTP {response.status}")
                    return (await response.json(content_type=None)) or dict(EMPTY_RESPONSE)
            except asyncio.TimeoutError:
                # Checked before connection errors: aiohttp's read timeout is one of those too.
                raise _Unreachable(f"{name}: timed out after {self.policy.timeout_s}s") from None
            except aiohttp.ClientConnectionError as error:
                if attempt == self.policy.connect_attempts:
                    raise _Unreachable(
                        f"{name}: action server at {self.url} unreachable after {attempt} tries "
                        f"({type(error).__name__})"
                    ) from None
                await asyncio.sleep(self.policy.connect_backoff_s * 2 ** (attempt - 1))
            except (aiohttp.ClientError, ValueError) as error:
                reason = f"unreadable answer from the action server ({type(error).__name__})"
                raise _Unreachable(f"{name}: {reason}") from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


class RoutingActionEndpoint(EndpointConfig):
    """The action endpoint of one tenant: platform actions in-process, the rest on its action server.

    ``server`` is None for a project without ``endpoints.yml``: it serves the platform's actions only,
    and any other custom action fails with an error that names the action and the missing file.
    ``copy`` reads the tenant's current copy (the platform's when not given).
    """

    def __init__(
        self,
        platform: InProcessActionEndpoint,
        server: ActionServerClient | None,
        project_dir: Path,
        policy: ActionServerPolicy | None = None,
        copy: Callable[[], TenantCopy] = default_copy,
    ) -> None:
        super().__init__(url=server.url if server else platform.url)
        self.platform = platform
        self.server = server
        self.project_dir = project_dir
        self.policy = policy or (server.policy if server else ActionServerPolicy())
        self.copy = copy
        self._failed_turns: OrderedDict[str, int] = OrderedDict()

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
        runs_on = IN_PROCESS if name in self.platform.names else ACTION_SERVER
        attributes = {"rasa.action.name": name, "switchboard.action.runs_on": runs_on}
        if runs_on == ACTION_SERVER and self.server is not None:
            attributes["server.url"] = self.server.url
        kind = SpanKind.INTERNAL if runs_on == IN_PROCESS else SpanKind.CLIENT
        with tracer().start_as_current_span(f"action {name}", kind=kind, attributes=attributes) as span:
            if runs_on == IN_PROCESS:
                try:
                    return await self.platform.request(method, subpath, content_type, compress, **kwargs)
                except ActionFailed as error:
                    span.set_status(Status(StatusCode.ERROR, str(error)))
                    raise
            try:
                if self.server is None:
                    raise _Unreachable(
                        f"{name}: no action server for custom action {name}: "
                        f"{self.project_dir / 'endpoints.yml'} is missing (it names the action_endpoint url)"
                    )
                return await self.server.run(call)
            except _Unreachable as error:
                span.set_status(Status(StatusCode.ERROR, str(error)))
                reply = self._give_up(call, str(error))
                span.set_attribute("switchboard.action.replied_unavailable", reply is not None)
                if reply is None:
                    raise ActionFailed(f"custom action {error}") from None
                return reply

    def _give_up(self, call: dict[str, Any], failure: str) -> dict[str, Any] | None:
        """Records the failure (None: the turn is retried), or, once the turn has failed often enough,
        the response that ends the turn and tells the customer.

        A slot mapping's action (``action_extract_slots`` runs it on every message) keeps only the
        slots it sets, so it never carries the reply: it answers nothing, and the turn's next action
        of the tenant tells the customer. A turn with no other such action simply completes."""
        failures = _turn_failures.get()
        fills_slots = name_fills_slots(call)
        if failures is not None and failures.gave_up:
            return self._ending(call, failures, fills_slots)
        turn = _turn_key(call)
        # Only the first failure of a try decides and counts, however many of its actions fail.
        first_of_try = failures is None or not failures
        failed_before = self._failed_turns.get(turn, 0)
        if first_of_try and failed_before >= self.policy.failed_turns_before_reply:
            self._failed_turns.pop(turn, None)
            log.error("dialogue.action.unavailable_reply", failure=failure, failed_turns=failed_before)
            failures = failures if failures is not None else TurnFailures()
            failures.gave_up = True
            return self._ending(call, failures, fills_slots)
        if first_of_try:
            self._failed_turns[turn] = failed_before + 1
            self._failed_turns.move_to_end(turn)
            while len(self._failed_turns) > self.policy.remembered_turns:
                self._failed_turns.popitem(last=False)
        log.warning("dialogue.action.failed", failure=failure)
        _record(failure)
        return None

    def _ending(self, call: dict[str, Any], failures: TurnFailures, fills_slots: bool) -> dict[str, Any]:
        if fills_slots:
            return dict(EMPTY_RESPONSE)
        reply = not failures.replied
        failures.replied = True
        return _ending_response(call, self.copy() if reply else None)

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


def _turn_key(call: dict[str, Any]) -> str:
    tracker = call.get("tracker") or {}
    message_id = (tracker.get("latest_message") or {}).get("message_id") or ""
    return f"{call.get('sender_id') or tracker.get('sender_id') or ''}/{message_id}"


def name_fills_slots(call: dict[str, Any]) -> bool:
    """Whether the called action is a slot's custom mapping in the domain the call carries."""
    name = call.get("next_action")
    slots = (call.get("domain") or {}).get("slots") or {}
    return any(
        mapping.get("type") == "custom" and mapping.get("action") == name
        for slot in slots.values()
        if isinstance(slot, dict)
        for mapping in slot.get("mappings") or []
        if isinstance(mapping, dict)
    )


def _ending_response(call: dict[str, Any], reply: TenantCopy | None) -> dict[str, Any]:
    """Ends the form (its state stays in the slots) and the turn, with the reply (in the words of the copy
    ``reply``) when one is given."""
    tracker = call.get("tracker") or {}
    events: list[dict[str, Any]] = [
        {"event": "followup", "name": "action_listen"},
    ]
    if (tracker.get("active_loop") or {}).get("name"):
        events += [{"event": "slot", "name": "requested_slot", "value": None}, {"event": "active_loop", "name": None}]
    if reply is None:
        return {"events": events, "responses": []}
    responses = ((call.get("domain") or {}).get("responses")) or {}
    if UNAVAILABLE_RESPONSE in responses:
        response: dict[str, Any] = {"response": UNAVAILABLE_RESPONSE}
    else:
        language = reply_language((tracker.get("slots") or {}).get("language"))
        response = {"text": reply.fallback.actions_unavailable.of(language), "utter_action": UNAVAILABLE_RESPONSE}
    return {"events": events, "responses": [response]}
