"""The customer's place in the queue: announce positions and estimated waits when they change,
and recount after a restart."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from switchboard.handoff import routing
from switchboard.handoff.workflow import Workflow


@dataclass(frozen=True, slots=True)
class QueuePositions:
    """Keeps waiting customers told where they stand; every step that moves the queue calls ``changed``."""

    workflow: Workflow

    async def changed(self, tenant_id: str) -> dict[str, tuple[int, int]]:
        """The tenant's queue moved: re-announce positions and tell open consoles; returns ``announce``'s places."""
        places = await self.announce(tenant_id)
        self.workflow.queue_changed(tenant_id)
        return places

    async def announce(self, tenant_id: str) -> dict[str, tuple[int, int]]:
        """Tells every waiting customer whose position or estimated wait changed; returns every queued
        handoff's (position, estimated wait in seconds)."""
        flow = self.workflow
        rules = flow.tenants[tenant_id].rules
        queued = await asyncio.to_thread(flow.store.queued, tenant_id)
        online = await asyncio.to_thread(flow.store.agents.online, tenant_id)
        by_id = {h["_id"]: h for h in queued}
        places: dict[str, tuple[int, int]] = {}
        for handoff_id, position in routing.positions(queued, flow.clock(), rules.aging_per_minute).items():
            handoff = by_id[handoff_id]
            serving = sum(1 for a in online if routing.can_serve(a, handoff))
            wait_s = routing.estimated_wait_s(position, serving, rules.average_handle_s)
            places[handoff_id] = (position, wait_s)
            if await asyncio.to_thread(flow.store.set_position, handoff_id, position, wait_s):
                await flow.emit(
                    flow.action_envelope(
                        handoff, f"queued/{position}/{wait_s}/{handoff.get('agent_id', '')}/{uuid.uuid4()}"
                    ),
                    queued={"queue": handoff["queue"], "position": position, "estimated_wait_seconds": wait_s},
                )
        return places

    async def recover(self) -> None:
        """At start: recount chats in hand and re-announce positions (nothing is lost across a restart)."""
        for tenant_id in self.workflow.tenants:
            await asyncio.to_thread(self.workflow.store.reconcile, tenant_id)
            await self.announce(tenant_id)
