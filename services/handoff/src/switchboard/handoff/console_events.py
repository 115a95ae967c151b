"""The console's live updates: server-sent events of queue changes and new transcript entries.

An agent hears the entries of the chats they may follow (theirs; every open one for a supervisor);
the stream doubles as their presence heartbeat and ends when the server shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from switchboard.handoff.agents import Agent
from switchboard.handoff.service import HandoffService
from switchboard.handoff.settings import ConsoleSettings


class LiveEvents:
    """The ``/console/api/events`` stream of one agent at a time."""

    def __init__(self, service: HandoffService, settings: ConsoleSettings) -> None:
        self._service = service
        self._settings = settings
        self._closing = asyncio.Event()

    async def on_shutdown(self, app: web.Application) -> None:
        # Live streams never end by themselves: end them so the server can drain.
        self._closing.set()

    async def stream(self, request: web.Request, agent: Agent) -> web.StreamResponse:
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
                    update = await next_update(updates, self._closing, heartbeat_s)
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


async def next_update(
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
