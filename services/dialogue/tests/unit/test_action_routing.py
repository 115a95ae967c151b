"""Where a tenant's custom actions run: platform actions in-process, the rest on the tenant's action server,
with a timeout per call, retries of connection errors only, and a reply once a turn keeps failing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rasa.core.actions.action import ActionExecutionRejection

from switchboard.core.copy import CopyCache, load_copy
from switchboard.core.tenants import load_tenant
from switchboard.core.testing import free_port
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.action_endpoints import (
    ActionServerAddress,
    EndpointsError,
    action_server_of,
    routing_endpoint,
    tenant_action_endpoint,
)
from switchboard.dialogue.action_runner import (
    UNAVAILABLE_RESPONSE,
    ActionFailed,
    ActionServerPolicy,
    RoutingActionEndpoint,
    start_turn,
)

DEMO = repo_root() / "tenants" / "demo"
TENANT = load_tenant(DEMO / "tenant.yaml")
FAST = ActionServerPolicy(timeout_s=0.3, connect_attempts=3, connect_backoff_s=0.01)


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans this process finishes (the SDK provider is installed when no other test did)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def call(action: str, *, message_id: str = "m-1", language: str = "en", form: str | None = None) -> dict[str, Any]:
    """The body Rasa sends an action server (the parts these tests need)."""
    return {
        "next_action": action,
        "sender_id": "demo/c-1",
        "version": "3.6.21",
        "tracker": {
            "sender_id": "demo/c-1",
            "slots": {"language": language},
            "latest_message": {"text": "hi", "intent": {"name": "business_info"}, "message_id": message_id},
            "events": [],
            "active_loop": {"name": form} if form else {},
            "latest_action_name": "action_listen",
            "paused": False,
        },
        "domain": {"responses": {}},
    }


def endpoint(url: str | None, policy: ActionServerPolicy = FAST) -> RoutingActionEndpoint:
    server = ActionServerAddress(url, DEMO / "endpoints.yml") if url else None
    return routing_endpoint(DEMO, TENANT, server, policy)


class Server:
    """A real HTTP server on a free port whose webhook answers as ``handler`` says; counts its calls."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.calls = 0
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        return await self.handler(await request.json())

    async def __aenter__(self) -> Server:
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture()
async def dead_url() -> AsyncIterator[str]:
    """The url of a port nobody listens on."""
    yield f"http://127.0.0.1:{free_port()}/webhook"


async def test_platform_actions_run_in_process_and_are_traced(spans: InMemorySpanExporter) -> None:
    spans.clear()
    routed = endpoint(None)
    response = await routed.request(json=call("action_business_info"))
    assert [r.get("response") for r in response["responses"]] == ["utter_agent_hours"]
    (span,) = [s for s in spans.get_finished_spans() if s.name == "action action_business_info"]
    assert span.attributes["rasa.action.name"] == "action_business_info"
    assert span.attributes["switchboard.action.runs_on"] == "in_process"


async def test_other_actions_go_to_the_action_server_with_rasas_body(spans: InMemorySpanExporter) -> None:
    received: list[dict[str, Any]] = []

    async def answer(body: dict[str, Any]) -> web.Response:
        received.append(body)
        return web.json_response({"events": [{"event": "slot", "name": "task", "value": "invoice"}], "responses": []})

    spans.clear()
    async with Server(answer) as server:
        routed = endpoint(server.url)
        response = await routed.request(json=call("action_choose_task"))
        await routed.close()
    assert response["events"] == [{"event": "slot", "name": "task", "value": "invoice"}]
    assert received == [call("action_choose_task")]
    (span,) = [s for s in spans.get_finished_spans() if s.name == "action action_choose_task"]
    assert span.attributes["switchboard.action.runs_on"] == "action_server"
    assert span.attributes["server.url"] == server.url


async def test_without_endpoints_yml_another_action_fails_naming_it_and_the_file() -> None:
    failures = start_turn()
    with pytest.raises(ActionFailed, match=r"validate_order_form.*endpoints\.yml is missing"):
        await endpoint(None).request(json=call("validate_order_form"))
    assert len(failures) == 1 and "validate_order_form" in failures[0] and "endpoints.yml" in failures[0]


async def test_a_connection_error_is_retried_then_recorded(dead_url: str) -> None:
    failures = start_turn()
    routed = endpoint(dead_url)
    with pytest.raises(ActionFailed, match="unreachable after 3 tries"):
        await routed.request(json=call("action_order_task"))
    await routed.close()
    assert len(failures) == 1 and "action_order_task" in failures[0]


async def test_a_server_that_comes_up_between_tries_is_used() -> None:
    async def answer(body: dict[str, Any]) -> web.Response:
        return web.json_response({"events": [], "responses": [{"text": "ok"}]})

    server = Server(answer)
    routed = endpoint(server.url, ActionServerPolicy(timeout_s=0.5, connect_attempts=5, connect_backoff_s=0.1))

    async def start_late() -> Server:
        await asyncio.sleep(0.15)
        return await server.__aenter__()

    failures = start_turn()
    starting = asyncio.create_task(start_late())
    response = await routed.request(json=call("action_order_task"))
    await starting
    await server.__aexit__()
    await routed.close()
    assert response["responses"] == [{"text": "ok"}] and failures == []


async def test_a_timeout_fails_the_call_once_without_retrying() -> None:
    async def hang(body: dict[str, Any]) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    failures = start_turn()
    async with Server(hang) as server:
        routed = endpoint(server.url)
        with pytest.raises(ActionFailed, match=r"timed out after 0\.3s"):
            await routed.request(json=call("action_order_task"))
        await routed.close()
    assert server.calls == 1 and len(failures) == 1


async def test_an_action_error_is_not_retried() -> None:
    async def broken(body: dict[str, Any]) -> web.Response:
        return web.json_response({"error": "boom"}, status=500)

    failures = start_turn()
    async with Server(broken) as server:
        routed = endpoint(server.url)
        with pytest.raises(ActionFailed, match="HTTP 500"):
            await routed.request(json=call("action_order_task"))
        await routed.close()
    assert server.calls == 1 and len(failures) == 1


async def test_a_rejection_lets_rasa_pick_another_action() -> None:
    async def reject(body: dict[str, Any]) -> web.Response:
        return web.json_response({"error": "no slot", "action_name": "validate_order_form"}, status=400)

    failures = start_turn()
    async with Server(reject) as server:
        routed = endpoint(server.url)
        with pytest.raises(ActionExecutionRejection):
            await routed.request(json=call("validate_order_form"))
        await routed.close()
    assert failures == []


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_turn_that_keeps_failing_tells_the_customer_and_ends_the_form(dead_url: str, language: str) -> None:
    routed = endpoint(dead_url, ActionServerPolicy(timeout_s=0.3, connect_attempts=1, failed_turns_before_reply=2))
    body = call("validate_order_form", language=language, form="order_form")
    for _ in range(2):
        failures = start_turn()
        with pytest.raises(ActionFailed):
            await routed.request(json=body)
        # A second failing action of the same try does not count the turn twice.
        with pytest.raises(ActionFailed):
            await routed.request(json=call("action_choose_task", language=language))
        assert len(failures) == 2
    failures = start_turn()
    response = await routed.request(json=body)
    text = load_copy(DEMO).fallback.actions_unavailable.of(language)
    assert response["responses"] == [{"text": text, "utter_action": UNAVAILABLE_RESPONSE}]
    assert {"event": "active_loop", "name": None} in response["events"]
    assert {"event": "followup", "name": "action_listen"} in response["events"]
    assert failures == [] and failures.replied
    # The other actions of that try stop quietly: one reply per turn.
    assert (await routed.request(json=call("action_choose_task")))["responses"] == []
    # Another turn starts counting afresh.
    start_turn()
    with pytest.raises(ActionFailed):
        await routed.request(json=call("action_choose_task", message_id="m-2"))
    await routed.close()


async def test_the_tenants_own_wording_of_the_reply_is_used_when_its_domain_has_one(dead_url: str) -> None:
    routed = endpoint(dead_url, ActionServerPolicy(timeout_s=0.3, connect_attempts=1, failed_turns_before_reply=0))
    body = call("action_order_task")
    body["domain"]["responses"][UNAVAILABLE_RESPONSE] = [{"text": "Our order desk is closed for maintenance."}]
    start_turn()
    response = await routed.request(json=body)
    assert response["responses"] == [{"response": UNAVAILABLE_RESPONSE}]
    await routed.close()


async def test_without_a_domain_response_the_reply_is_the_tenants_copy_read_when_it_changes(
    dead_url: str, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    copy_file = project / "copy.yaml"
    copy_file.write_text("fallback:\n  actions_unavailable: {en: 'The shop desk is down, say agent.'}\n", "utf-8")
    server = ActionServerAddress(dead_url, project / "endpoints.yml")
    policy = ActionServerPolicy(timeout_s=0.3, connect_attempts=1, failed_turns_before_reply=0)
    routed = routing_endpoint(project, TENANT, server, policy, copy=CopyCache(tmp_path).source("shop"))
    start_turn()
    response = await routed.request(json=call("action_order_task"))
    assert response["responses"][0]["text"] == "The shop desk is down, say agent."
    copy_file.write_text("fallback:\n  actions_unavailable: {en: 'Still down.'}\n", "utf-8")
    os.utime(copy_file, ns=(10**9, 10**9))
    start_turn()
    response = await routed.request(json=call("action_order_task", message_id="m-2"))
    assert response["responses"][0]["text"] == "Still down."
    await routed.close()


def test_the_demo_project_names_its_action_server() -> None:
    routed = tenant_action_endpoint(DEMO, TENANT, None, 2.0)
    assert isinstance(routed, RoutingActionEndpoint)
    assert routed.server is not None and routed.server.url == "http://127.0.0.1:5055/webhook"
    assert routed.policy.timeout_s == 2.0
    assert routed.platform.names == {"action_generate_answer", "action_handoff", "action_business_info"}


@pytest.mark.parametrize("url", ['"${SHOP_ACTIONS_URL}"', "${SHOP_ACTIONS_URL}"])
def test_endpoints_yml_expands_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("SHOP_ACTIONS_URL", "http://actions.internal:5055/webhook")
    (tmp_path / "endpoints.yml").write_text(f"action_endpoint:\n  url: {url}\n", encoding="utf-8")
    assert action_server_of(tmp_path) == ActionServerAddress(
        "http://actions.internal:5055/webhook", tmp_path / "endpoints.yml"
    )


def test_endpoints_yml_variables_may_have_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_ACTIONS_URL", raising=False)
    (tmp_path / "endpoints.yml").write_text(
        'action_endpoint:\n  url: "${SHOP_ACTIONS_URL:-http://127.0.0.1:5055/webhook}"\n', encoding="utf-8"
    )
    assert action_server_of(tmp_path).url == "http://127.0.0.1:5055/webhook"
    monkeypatch.setenv("SHOP_ACTIONS_URL", "http://127.0.0.1:6000/webhook")
    assert action_server_of(tmp_path).url == "http://127.0.0.1:6000/webhook"


def test_a_project_without_endpoints_yml_or_its_action_endpoint_has_no_server(tmp_path: Path) -> None:
    assert action_server_of(tmp_path) is None
    (tmp_path / "endpoints.yml").write_text("tracker_store:\n  type: memory\n", encoding="utf-8")
    assert action_server_of(tmp_path) is None


@pytest.mark.parametrize(
    "content",
    [
        'action_endpoint:\n  url: "${NO_SUCH_VARIABLE_SET}"\n',
        "action_endpoint:\n  url: ${NO_SUCH_VARIABLE_SET}\n",
        "action_endpoint:\n  url: ftp://x\n",
        "- a\n",
    ],
)
def test_a_broken_endpoints_yml_names_the_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "endpoints.yml").write_text(content, encoding="utf-8")
    with pytest.raises(EndpointsError, match=r"endpoints\.yml"):
        action_server_of(tmp_path)
