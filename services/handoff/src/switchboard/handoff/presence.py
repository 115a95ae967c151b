"""Which agents are online: heartbeats from open consoles, and the chats of an agent who went away
going back to the front of their queues."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from switchboard.core.logs import get_logger
from switchboard.handoff.agents import Agent
from switchboard.handoff.queue_positions import QueuePositions
from switchboard.handoff.workflow import Workflow

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Presence:
    """Agent presence; an agent unheard of for the presence timeout counts as disconnected."""

    workflow: Workflow
    queue: QueuePositions

    async def heartbeat(self, agent: Agent) -> None:
        """The agent's console is open: online as of now."""
        flow = self.workflow
        await asyncio.to_thread(flow.store.agents.set_presence, agent.tenant_id, agent.id, "online", flow.clock())

    async def disconnect(self, agent: Agent) -> int:
        """The agent went offline: their chats go back to the front of their queues. Returns how many."""
        flow = self.workflow
        await asyncio.to_thread(flow.store.agents.set_presence, agent.tenant_id, agent.id, "offline", flow.clock())
        moved = 0
        for handoff in await asyncio.to_thread(flow.store.assigned_to, agent.tenant_id, agent.id):
            requeued = await asyncio.to_thread(flow.store.requeue, agent.tenant_id, handoff["_id"], agent.id)
            if requeued is not None:
                moved += 1
                back = {"from_queue": handoff["queue"], "to_queue": handoff["queue"], "from_agent_id": agent.id}
                await flow.emit(flow.action_envelope(requeued, f"transferred/{uuid.uuid4()}"), transferred=back)
        if moved:
            log.info("handoff.agent_disconnected", agent_id=agent.id, requeued=moved)
            await self.queue.changed(agent.tenant_id)
        return moved

    async def sweep(self, presence_timeout_s: float) -> int:
        """Marks agents unheard of for ``presence_timeout_s`` offline and re-queues their chats."""
        before = self.workflow.clock() - timedelta(seconds=presence_timeout_s)
        moved = 0
        for tenant_id in self.workflow.tenants:
            for agent in await asyncio.to_thread(self.workflow.store.agents.stale, tenant_id, before):
                moved += await self.disconnect(agent)
        return moved
