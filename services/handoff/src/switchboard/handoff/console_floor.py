"""The supervisors' floor figures in the console: read from the floor stream's tables, on whichever
replica holds the tenant's; any other replica passes the request on to it and answers with what it says."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from switchboard.core.logs import get_logger
from switchboard.handoff.agents import Agent
from switchboard.handoff.console_render import json_response
from switchboard.handoff.floor_stream import FloorStream
from switchboard.handoff.service import HandoffService
from switchboard.handoff.sessions import COOKIE

log = get_logger(__name__)

# A replica passing a floor request on to the replica that holds the tenant's tables: answer from yours.
FLOOR_FORWARDED = "X-Floor-Forwarded"
FLOOR_FORWARD_TIMEOUT_S = 3.0


class FloorFigures:
    """``/console/api/floor`` for supervisors; ``close`` ends the client it asks other replicas with."""

    def __init__(self, service: HandoffService, floor: FloorStream) -> None:
        self._service = service
        self._floor = floor
        self._peers: aiohttp.ClientSession | None = None  # to other replicas, made on first use

    async def figures(self, request: web.Request, agent: Agent) -> web.Response:
        """Supervisors only: the tenant's live figures from the floor stream's tables, and the queue right now.

        The session cookie is passed on as it came: it is signed with the secret all replicas share.
        """
        if agent.role != "supervisor":
            return json_response({"error": "supervisors only"}, 403)
        tenant_id = agent.tenant_id
        owner = None if request.headers.get(FLOOR_FORWARDED) else self._floor.owner_url(tenant_id)
        if owner is not None:
            answer = await self._ask_floor_owner(owner, request.cookies.get(COOKIE, ""))
            if answer is not None:
                return json_response(answer)
        figures = self._floor.figures(tenant_id, self._service.clock()).as_dict()
        queued = await asyncio.to_thread(self._service.store.queued, tenant_id)
        online = await asyncio.to_thread(self._service.store.agents.online, tenant_id)
        # Without the owner's answer the figures here are not the tenant's: shown as still recovering.
        return json_response(
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

    async def close(self, app: web.Application) -> None:
        if self._peers is not None:
            await self._peers.close()
