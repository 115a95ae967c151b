"""The agent console over HTTP, served under ``/console``: its routes, and the queue, chat and action calls.

Sign-in and the session gate are in ``console_auth``, live updates in ``console_events``, the floor
figures in ``console_floor``, JSON and static pages in ``console_render``. A handoff another tenant owns,
or that the agent may not see, answers 404 exactly like an id that does not exist.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from switchboard.handoff import console_render, routing
from switchboard.handoff.agents import Agent
from switchboard.handoff.assist import Assist, brief
from switchboard.handoff.console_auth import ConsoleAuth
from switchboard.handoff.console_events import LiveEvents
from switchboard.handoff.console_floor import FloorFigures
from switchboard.handoff.console_render import json_response, parse_body, public_view
from switchboard.handoff.errors import HandoffConflict
from switchboard.handoff.floor_stream import FloorStream
from switchboard.handoff.service import HandoffService
from switchboard.handoff.settings import ConsoleSettings


class ReplyBody(BaseModel, extra="forbid"):
    text: str = Field(min_length=1, max_length=4000)
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class NoteBody(BaseModel, extra="forbid"):
    text: str = Field(min_length=1, max_length=4000)


class TransferBody(BaseModel, extra="forbid"):
    queue: str = Field("", max_length=32)
    agent_id: str = Field("", max_length=32)


class Console:
    """Routes of the console; ``install`` adds them to the service's HTTP app."""

    def __init__(self, service: HandoffService, settings: ConsoleSettings, assist: Assist, floor: FloorStream) -> None:
        self._service = service
        self._assist = assist
        self._auth = ConsoleAuth(service, settings)
        self._events = LiveEvents(service, settings)
        self._floor = FloorFigures(service, floor)

    def install(self, app: web.Application) -> None:
        app.middlewares.append(console_render.security_headers)
        app.on_shutdown.append(self._events.on_shutdown)
        app.on_cleanup.append(self._floor.close)
        authed = self._auth.authed
        app.router.add_routes(
            [
                web.get("/console", console_render.page),
                web.get("/console/static/{name}", console_render.static),
                web.post("/console/api/login", self._auth.login),
                web.post("/console/api/logout", authed(self._auth.logout, write=True)),
                web.get("/console/api/me", authed(self._auth.me)),
                web.get("/console/api/queue", authed(self.queue)),
                web.get("/console/api/events", authed(self._events.stream)),
                web.get("/console/api/floor", authed(self._floor.figures)),
                web.post("/console/api/handoffs/next", authed(self.accept_next, write=True)),
                web.get("/console/api/handoffs/{id}", authed(self.chat)),
                web.get("/console/api/handoffs/{id}/suggestions", authed(self.suggestions)),
                web.post("/console/api/handoffs/{id}/accept", authed(self.accept, write=True)),
                web.post("/console/api/handoffs/{id}/reply", authed(self.reply, write=True)),
                web.post("/console/api/handoffs/{id}/note", authed(self.note, write=True)),
                web.post("/console/api/handoffs/{id}/transfer", authed(self.transfer, write=True)),
                web.post("/console/api/handoffs/{id}/csat", authed(self.csat, write=True)),
                web.post("/console/api/handoffs/{id}/resolve", authed(self.resolve, write=True)),
            ]
        )

    # -- reads ------------------------------------------------------------------------------------

    async def queue(self, request: web.Request, agent: Agent) -> web.Response:
        store = self._service.store
        rules = self._service.tenants[agent.tenant_id].rules
        queued = await asyncio.to_thread(store.queued, agent.tenant_id)
        now = self._service.clock()
        waiting = [
            {
                **public_view(h),
                "effective_priority": round(routing.effective_priority(h, now, rules.aging_per_minute), 1),
            }
            for h in routing.ordered(queued, now, rules.aging_per_minute)
            if agent.role == "supervisor" or routing.can_serve(agent, h)
        ]
        if agent.role == "supervisor":
            mine = [public_view(h) for h in await asyncio.to_thread(store.by_state, agent.tenant_id, "assigned")]
        else:
            mine = [public_view(h) for h in await asyncio.to_thread(store.assigned_to, agent.tenant_id, agent.id)]
        team = await asyncio.to_thread(store.agents.team, agent.tenant_id, agent.team)
        colleagues = [
            {"id": a.id, "name": a.name, "presence": a.presence, "active": a.active, "capacity": a.capacity}
            for a in team
            if a.role == "agent"
        ]
        return json_response({"waiting": waiting, "mine": mine, "agents": colleagues, "queues": rules.queue_names})

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
            | {
                "conversation_id": e["conversation_id"],
                "current": e["conversation_id"] == handoff["conversation_id"],
                "citations": e.get("citations", []),
                "language": e.get("language", ""),
            }
            for e in entries
        ]
        return json_response(
            {"handoff": public_view(handoff), "transcript": transcript, "brief": brief(handoff, entries)}
        )

    async def suggestions(self, request: web.Request, agent: Agent) -> web.Response:
        handoff = await self._service.owned(agent, request.match_info["id"])
        entries = await asyncio.to_thread(
            self._service.transcript.conversation, agent.tenant_id, handoff["conversation_id"]
        )
        texts, available = await self._assist.suggest(
            agent.tenant_id, handoff["conversation_id"], entries, handoff["language"]
        )
        return json_response({"suggestions": texts, "available": available})

    # -- actions ----------------------------------------------------------------------------------

    async def accept_next(self, request: web.Request, agent: Agent) -> web.Response:
        return json_response({"handoff": public_view(await self._service.accept(agent))})

    async def accept(self, request: web.Request, agent: Agent) -> web.Response:
        handoff = await self._visible(agent, request.match_info["id"])
        return json_response({"handoff": public_view(await self._service.accept(agent, handoff["_id"]))})

    async def reply(self, request: web.Request, agent: Agent) -> web.Response:
        body = await parse_body(request, ReplyBody)
        reply = await self._service.reply(agent, request.match_info["id"], body.text, body.client_id)
        return json_response({"event_id": reply.envelope.event_id})

    async def note(self, request: web.Request, agent: Agent) -> web.Response:
        body = await parse_body(request, NoteBody)
        await self._service.note(agent, request.match_info["id"], body.text)
        return json_response({"ok": True})

    async def transfer(self, request: web.Request, agent: Agent) -> web.Response:
        body = await parse_body(request, TransferBody)
        to_agent = None
        if body.agent_id:
            to_agent = await asyncio.to_thread(self._service.store.agents.get, agent.tenant_id, body.agent_id)
            if to_agent is None:
                raise HandoffConflict("no such agent")
        moved = await self._service.transfer(agent, request.match_info["id"], queue=body.queue, to_agent=to_agent)
        return json_response({"handoff": public_view(moved)})

    async def csat(self, request: web.Request, agent: Agent) -> web.Response:
        await self._service.request_csat(agent, request.match_info["id"])
        return json_response({"ok": True})

    async def resolve(self, request: web.Request, agent: Agent) -> web.Response:
        return json_response({"handoff": public_view(await self._service.resolve(agent, request.match_info["id"]))})
