"""Console sign-in: login and logout, who is signed in, and the gate every other console call passes.

The gate reads the tenant, agent and team from the signed session cookie, never from the request.
State-changing calls also need the ``X-Console`` header (a cross-site form cannot set it) on top of
the ``SameSite=Strict`` cookie.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from switchboard.core.logs import get_logger
from switchboard.handoff.agents import Agent
from switchboard.handoff.console_render import json_response, parse_body
from switchboard.handoff.errors import HandoffConflict
from switchboard.handoff.service import HandoffService
from switchboard.handoff.sessions import COOKIE, SessionSigner
from switchboard.handoff.settings import ConsoleSettings

log = get_logger(__name__)

Handler = Callable[[web.Request, Agent], Awaitable[web.StreamResponse]]
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Login(BaseModel, extra="forbid"):
    tenant: str = Field(min_length=1, max_length=32)
    agent_id: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=256)


class ConsoleAuth:
    """Signs agents in and out; ``authed`` turns a handler of a signed-in agent into a route."""

    def __init__(self, service: HandoffService, settings: ConsoleSettings) -> None:
        self._service = service
        self._settings = settings
        self._signer = SessionSigner(settings.session_secret.get_secret_value(), settings.session_ttl_s)

    async def login(self, request: web.Request) -> web.Response:
        require_console_header(request)
        body = await parse_body(request, Login)
        agent = await asyncio.to_thread(
            self._service.store.agents.authenticate, body.tenant, body.agent_id, body.password
        )
        if agent is None:
            log.info("handoff.console.login_failed", tenant_id=body.tenant)
            return json_response({"error": "wrong tenant, agent id or password"}, 401)
        cookie = self._signer.issue(tenant_id=agent.tenant_id, agent_id=agent.id, role=agent.role, team=agent.team)
        await self._service.heartbeat(agent)
        response = json_response(self._me(agent))
        response.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            samesite="Strict",
            secure=self._settings.cookie_secure,
            max_age=self._settings.session_ttl_s,
            path="/console",
        )
        log.info("handoff.console.login", tenant_id=agent.tenant_id, agent_id=agent.id)
        return response

    async def logout(self, request: web.Request, agent: Agent) -> web.Response:
        await self._service.disconnect(agent)
        response = json_response({"ok": True})
        response.del_cookie(COOKIE, path="/console")
        return response

    async def me(self, request: web.Request, agent: Agent) -> web.Response:
        return json_response(self._me(agent))

    def _me(self, agent: Agent) -> dict[str, Any]:
        setup = self._service.tenants[agent.tenant_id]
        return {
            "agent_id": agent.id,
            "name": agent.name,
            "role": agent.role,
            "team": agent.team,
            "tenant": {"id": agent.tenant_id, "name": setup.tenant.name},
            "capacity": agent.capacity,
            "queues": list(agent.queues),
            "all_queues": setup.rules.queue_names,
        }

    def authed(self, handler: Handler, *, write: bool = False) -> Route:
        """``handler`` for the agent the session names (401 without one); a ``HandoffConflict`` answers 409."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            if write:
                require_console_header(request)
            session = self._signer.verify(request.cookies.get(COOKIE))
            if session is None or session.tenant_id not in self._service.tenants:
                return json_response({"error": "log in first"}, 401)
            agent = await asyncio.to_thread(self._service.store.agents.get, session.tenant_id, session.agent_id)
            if agent is None or agent.team != session.team:
                return json_response({"error": "log in first"}, 401)
            try:
                return await handler(request, agent)
            except HandoffConflict as conflict:
                return json_response({"error": str(conflict)}, 409)

        return wrapped


def require_console_header(request: web.Request) -> None:
    if request.headers.get("X-Console") != "1":
        raise web.HTTPForbidden(text='{"error": "missing X-Console header"}', content_type="application/json")
