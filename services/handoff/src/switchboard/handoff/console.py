"""The agent console over HTTP: login, queue, chats, live updates (SSE), served under ``/console``.

Every handler reads the tenant, agent and team from the signed session, never from the request;
a handoff another tenant owns, or that the agent may not see, answers 404 exactly like an id that
does not exist. State-changing calls need the ``X-Console`` header (a cross-site form cannot set
it) on top of the ``SameSite=Strict`` cookie.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from switchboard.core.logs import get_logger
from switchboard.handoff import routing
from switchboard.handoff.agents import Agent
from switchboard.handoff.assist import Assist, brief
from switchboard.handoff.errors import HandoffConflict
from switchboard.handoff.floor_stream import FloorStream
from switchboard.handoff.service import HandoffService
from switchboard.handoff.sessions import COOKIE, Session, SessionSigner
from switchboard.handoff.settings import ConsoleSettings

log = get_logger(__name__)

# A replica passing a floor request on to the replica that holds the tenant's tables: answer from yours.
FLOOR_FORWARDED = "X-Floor-Forwarded"
FLOOR_FORWARD_TIMEOUT_S = 3.0

STATIC = {"console.js": "application/javascript", "console.css": "text/css"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request, Agent], Awaitable[web.StreamResponse]]


class Login(BaseModel, extra="forbid"):
    tenant: str = Field(min_length=1, max_length=32)
    agent_id: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=256)


class ReplyBody(BaseModel, extra="forbid"):
    text: str = Field(min_length=1, max_length=4000)
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class NoteBody(BaseModel, extra="forbid"):
    text: str = Field(min_length=1, max_length=4000)


class TransferBody(BaseModel, extra="forbid"):
    queue: str = Field("", max_length=32)
    agent_id: str = Field("", max_length=32)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _public(handoff: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "conversation_id",
        "customer_id",
        "channel_name",
        "language",
        "topic",
        "queue",
        "reasons",
        "priority",
        "state",
        "agent_id",
        "agent_name",
        "queued_at",
        "assigned_at",
        "position",
        "wait_s",
    )
    return {"id": handoff["_id"], **{k: handoff.get(k) for k in keys}}


class Console:
    """Routes of the console; ``install`` adds them to the service's HTTP app."""

    def __init__(self, service: HandoffService, settings: ConsoleSettings, assist: Assist, floor: FloorStream) -> None:
        self._service = service
        self._floor = floor
        self._settings = settings
        self._assist = assist
        self._signer = SessionSigner(settings.session_secret.get_secret_value(), settings.session_ttl_s)
        self._closing = asyncio.Event()
        self._peers: aiohttp.ClientSession | None = None  # to other replicas, made on first use

    async def _on_shutdown(self, app: web.Application) -> None:
        # Live streams never end by themselves: end them so the server can drain.
        self._closing.set()

    def install(self, app: web.Application) -> None:
        app.middlewares.append(_security_headers)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._close_peers)
        app.router.add_routes(
            [
                web.get("/console", self.page),
                web.get("/console/static/{name}", self.static),
                web.post("/console/api/login", self.login),
                web.post("/console/api/logout", self._authed(self.logout, write=True)),
                web.get("/console/api/me", self._authed(self.me)),
                web.get("/console/api/queue", self._authed(self.queue)),
                web.get("/console/api/events", self._authed(self.events)),
                web.get("/console/api/floor", self._authed(self.floor)),
                web.post("/console/api/handoffs/next", self._authed(self.accept_next, write=True)),
                web.get("/console/api/handoffs/{id}", self._authed(self.chat)),
                web.get("/console/api/handoffs/{id}/suggestions", self._authed(self.suggestions)),
                web.post("/console/api/handoffs/{id}/accept", self._authed(self.accept, write=True)),
                web.post("/console/api/handoffs/{id}/reply", self._authed(self.reply, write=True)),
                web.post("/console/api/handoffs/{id}/note", self._authed(self.note, write=True)),
                web.post("/console/api/handoffs/{id}/transfer", self._authed(self.transfer, write=True)),
                web.post("/console/api/handoffs/{id}/csat", self._authed(self.csat, write=True)),
                web.post("/console/api/handoffs/{id}/resolve", self._authed(self.resolve, write=True)),
            ]
        )

    # -- pages ------------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=_asset("console.html"), content_type="text/html", charset="utf-8")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(text=_asset(name), content_type=STATIC[name], charset="utf-8")

    # -- session ----------------------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        _require_console_header(request)
        body = await _parse(request, Login)
        agent = await asyncio.to_thread(
            self._service.store.agents.authenticate, body.tenant, body.agent_id, body.password
        )
        if agent is None:
            log.info("handoff.console.login_failed", tenant_id=body.tenant)
            return _json({"error": "wrong tenant, agent id or password"}, 401)
        cookie = self._signer.issue(tenant_id=agent.tenant_id, agent_id=agent.id, role=agent.role, team=agent.team)
        await self._service.heartbeat(agent)
        response = _json(self._me(agent))
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
        response = _json({"ok": True})
        response.del_cookie(COOKIE, path="/console")
        return response

    async def me(self, request: web.Request, agent: Agent) -> web.Response:
        return _json(self._me(agent))

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

    def _authed(
        self, handler: Handler, *, write: bool = False
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if write:
                _require_console_header(request)
            session: Session | None = self._signer.verify(request.cookies.get(COOKIE))
            if session is None or session.tenant_id not in self._service.tenants:
                return _json({"error": "log in first"}, 401)
            agent = await asyncio.to_thread(self._service.store.agents.get, session.tenant_id, session.agent_id)
            if agent is None or agent.team != session.team:
                return _json({"error": "log in first"}, 401)
            try:
                return await handler(request, agent)
            except HandoffConflict as conflict:
                return _json({"error": str(conflict)}, 409)

        return wrapped

    # -- reads ------------------------------------------------------------------------------------

    async def queue(self, request: web.Request, agent: Agent) -> web.Response:
        store = self._service.store
        rules = self._service.tenants[agent.tenant_id].rules
        queued = await asyncio.to_thread(store.queued, agent.tenant_id)
        now = self._service.clock()
        waiting = [
            {**_public(h), "effective_priority": round(routing.effective_priority(h, now, rules.aging_per_minute), 1)}
            for h in routing.ordered(queued, now, rules.aging_per_minute)
            if agent.role == "supervisor" or routing.can_serve(agent, h)
        ]
        if agent.role == "supervisor":
            mine = [_public(h) for h in await asyncio.to_thread(store.by_state, agent.tenant_id, "assigned")]
        else:
            mine = [_public(h) for h in await asyncio.to_thread(store.assigned_to, agent.tenant_id, agent.id)]
        team = await asyncio.to_thread(store.agents.team, agent.tenant_id, agent.team)
        colleagues = [
            {"id": a.id, "name": a.name, "presence": a.presence, "active": a.active, "capacity": a.capacity}
            for a in team
            if a.role == "agent"
        ]
        return _json({"waiting": waiting, "mine": mine, "agents": colleagues, "queues": rules.queue_names})

    async def floor(self, request: web.Request, agent: Agent) -> web.Response:
        """Supervisors only: the tenant's live figures from the floor stream's tables, and the queue right now.

        The tables of a tenant are on one replica; any other replica passes the request on to it (the
        session cookie is signed with the secret all replicas share) and answers with what it says.
        """
        if agent.role != "supervisor":
            return _json({"error": "supervisors only"}, 403)
        tenant_id = agent.tenant_id
        owner = None if request.headers.get(FLOOR_FORWARDED) else self._floor.owner_url(tenant_id)
        if owner is not None:
            answer = await self._ask_floor_owner(owner, request.cookies.get(COOKIE, ""))
            if answer is not None:
                return _json(answer)
        figures = self._floor.figures(tenant_id, self._service.clock()).as_dict()
        queued = await asyncio.to_thread(self._service.store.queued, tenant_id)
        online = await asyncio.to_thread(self._service.store.agents.online, tenant_id)
        # Without the owner's answer the figures here are not the tenant's: shown as still recovering.
        return _json(
            {
                **figures,
                "recovering": self._floor.recovering or owner is not None,
                "answered_by": self._floor.url,
                "waiting_now": len(queued),
                "agents_online": sum(1 for a in online if a.role == "agent"),
            }
        )

    async def _ask_floor_owner(self, owner: str, cookie: str) -> dict[str, Any] | None:
        if self._peers is None:
            self._peers = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=FLOOR_FORWARD_TIMEOUT_S))
        try:
            async with self._peers.get(
                f"{owner}/console/api/floor", headers={FLOOR_FORWARDED: "1", "Cookie": f"{COOKIE}={cookie}"}
            ) as response:
                if response.status == 200:
                    return await response.json()
                log.warning("console.floor.owner_refused", owner=owner, status=response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            log.warning("console.floor.owner_unreachable", owner=owner, error=type(error).__name__)
        return None

    async def _close_peers(self, app: web.Application) -> None:
        if self._peers is not None:
            await self._peers.close()

    async def _visible(self, agent: Agent, handoff_id: str) -> dict[str, Any]:
        """The handoff if this agent may read it (theirs, waiting for their skills, or any for a supervisor)."""
        handoff = await asyncio.to_thread(self._service.store.get, agent.tenant_id, handoff_id)
        if handoff is None:
            raise web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")
        allowed = (
            agent.role == "supervisor"
            or (handoff["state"] == "assigned" and handoff["agent_id"] == agent.id)
            or (handoff["state"] == "queued" and routing.can_serve(agent, handoff))
        )
        if not allowed:
            raise web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")
        return handoff

    async def chat(self, request: web.Request, agent: Agent) -> web.Response:
        handoff = await self._visible(agent, request.match_info["id"])
        entries = await asyncio.to_thread(self._service.transcript.history, agent.tenant_id, handoff["customer_id"])
        transcript = [
            {
                k: e.get(k)
                for k in ("speaker", "text", "channel", "at", "agent_name", "emotion", "emotion_score", "intent")
            }
            | {"conversation_id": e["conversation_id"], "current": e["conversation_id"] == handoff["conversation_id"]}
            for e in entries
        ]
        return _json({"handoff": _public(handoff), "transcript": transcript, "brief": brief(handoff, entries)})

    async def suggestions(self, request: web.Request, agent: Agent) -> web.Response:
        handoff = await self._service.owned(agent, request.match_info["id"])
        entries = await asyncio.to_thread(
            self._service.transcript.conversation, agent.tenant_id, handoff["conversation_id"]
        )
        texts, available = await self._assist.suggest(
            agent.tenant_id, handoff["conversation_id"], entries, handoff["language"]
        )
        return _json({"suggestions": texts, "available": available})

    async def events(self, request: web.Request, agent: Agent) -> web.StreamResponse:
        """Server-sent events: queue changes and new transcript entries of the chats this agent may read."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        heartbeat_s = max(self._settings.presence_timeout_s / 3, 1.0)
        with self._service.hub.subscribe(agent.tenant_id) as updates:
            await self._service.heartbeat(agent)
            await response.write(b"event: hello\ndata: {}\n\n")
            while not self._closing.is_set():
                try:
                    update = await _next_update(updates, self._closing, heartbeat_s)
                except asyncio.TimeoutError:
                    await self._service.heartbeat(agent)
                    with contextlib.suppress(ConnectionResetError):
                        await response.write(b": keep-alive\n\n")
                    if request.transport is None or request.transport.is_closing():
                        break
                    continue
                if update is None:
                    break
                if update["type"] == "entry" and not await self._may_follow(agent, update["conversation_id"]):
                    continue
                try:
                    await response.write(f"data: {json.dumps(update, ensure_ascii=False)}\n\n".encode())
                except ConnectionResetError:
                    break
        return response

    async def _may_follow(self, agent: Agent, conversation_id: str) -> bool:
        handoff = await asyncio.to_thread(self._service.store.open_for, agent.tenant_id, conversation_id)
        return handoff is not None and (agent.role == "supervisor" or handoff["agent_id"] == agent.id)

    # -- actions ----------------------------------------------------------------------------------

    async def accept_next(self, request: web.Request, agent: Agent) -> web.Response:
        return _json({"handoff": _public(await self._service.accept(agent))})

    async def accept(self, request: web.Request, agent: Agent) -> web.Response:
        handoff = await self._visible(agent, request.match_info["id"])
        return _json({"handoff": _public(await self._service.accept(agent, handoff["_id"]))})

    async def reply(self, request: web.Request, agent: Agent) -> web.Response:
        body = await _parse(request, ReplyBody)
        reply = await self._service.reply(agent, request.match_info["id"], body.text, body.client_id)
        return _json({"event_id": reply.envelope.event_id})

    async def note(self, request: web.Request, agent: Agent) -> web.Response:
        body = await _parse(request, NoteBody)
        await self._service.note(agent, request.match_info["id"], body.text)
        return _json({"ok": True})

    async def transfer(self, request: web.Request, agent: Agent) -> web.Response:
        body = await _parse(request, TransferBody)
        to_agent = None
        if body.agent_id:
            to_agent = await asyncio.to_thread(self._service.store.agents.get, agent.tenant_id, body.agent_id)
            if to_agent is None:
                raise HandoffConflict("no such agent")
        moved = await self._service.transfer(agent, request.match_info["id"], queue=body.queue, to_agent=to_agent)
        return _json({"handoff": _public(moved)})

    async def csat(self, request: web.Request, agent: Agent) -> web.Response:
        await self._service.request_csat(agent, request.match_info["id"])
        return _json({"ok": True})

    async def resolve(self, request: web.Request, agent: Agent) -> web.Response:
        return _json({"handoff": _public(await self._service.resolve(agent, request.match_info["id"]))})


async def _next_update(
    updates: asyncio.Queue[dict[str, Any]], closing: asyncio.Event, timeout_s: float
) -> dict[str, Any] | None:
    """The next update, None once the server is closing; TimeoutError after ``timeout_s`` of silence."""
    getter = asyncio.ensure_future(updates.get())
    closer = asyncio.ensure_future(closing.wait())
    try:
        done, _ = await asyncio.wait({getter, closer}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (getter, closer):
            if not task.done():
                task.cancel()
    if getter in done:
        return getter.result()
    if closer in done:
        return None
    raise asyncio.TimeoutError


@web.middleware
async def _security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith("/console") and not response.prepared:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _require_console_header(request: web.Request) -> None:
    if request.headers.get("X-Console") != "1":
        raise web.HTTPForbidden(text='{"error": "missing X-Console header"}', content_type="application/json")


async def _parse(request: web.Request, model: type[BaseModel]) -> Any:
    try:
        return model(**(await request.json()))
    except (ValueError, TypeError, ValidationError) as error:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "invalid request"}), content_type="application/json"
        ) from error


def _asset(name: str) -> str:
    return resources.files("switchboard.handoff").joinpath("static", name).read_text(encoding="utf-8")
