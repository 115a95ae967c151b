"""The handoff workflow as one object: escalate on a handoff decision, queue, assign, relay, transfer,
return to bot.

The composition root subscribes its pipeline handlers, the console calls its agent actions and
presence, tests set its clock. The work itself lives in the modules named after it:
``pipeline_events`` (the consumed topics), ``agent_actions`` (the console's actions), ``presence``
(who is online) and ``queue_positions`` (what waiting customers are told), all on one ``Workflow``.
"""

from __future__ import annotations

from typing import Any

from switchboard.core.contracts import MessageReceived, MessageUnderstood, ReplyDecided, ReplyReady
from switchboard.core.topics import ConversationTopics
from switchboard.handoff.agent_actions import AgentActions
from switchboard.handoff.agents import Agent
from switchboard.handoff.handoffs import Handoffs
from switchboard.handoff.live import LiveHub
from switchboard.handoff.pipeline_events import PipelineEvents
from switchboard.handoff.presence import Presence
from switchboard.handoff.queue_positions import QueuePositions
from switchboard.handoff.transcript import Transcript
from switchboard.handoff.workflow import Clock, Publish, TenantSetup, Workflow, utc_now


class HandoffService:
    """Owns the handoff state machine; every method takes the tenant from its caller's context."""

    def __init__(
        self,
        *,
        store: Handoffs,
        transcript: Transcript,
        tenants: dict[str, TenantSetup],
        publish: Publish,
        hub: LiveHub | None = None,
        topics: ConversationTopics | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.workflow = Workflow(
            store, transcript, tenants, publish, hub or LiveHub(), topics or ConversationTopics(), clock
        )
        self.queue = QueuePositions(self.workflow)
        self.pipeline = PipelineEvents(self.workflow, self.queue)
        self.actions = AgentActions(self.workflow, self.queue)
        self.presence = Presence(self.workflow, self.queue)
        self.store = self.workflow.store
        self.transcript = self.workflow.transcript
        self.tenants = self.workflow.tenants
        self.hub = self.workflow.hub

    # -- what the console and tests read: the clock is settable, and every step reads it --------

    @property
    def clock(self) -> Clock:
        return self.workflow.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.workflow.clock = clock

    # -- the consumed topics -----------------------------------------------------------------------

    async def on_decided(self, decided: ReplyDecided) -> None:
        await self.pipeline.on_decided(decided)

    async def on_inbound(self, message: MessageReceived) -> None:
        await self.pipeline.on_inbound(message)

    async def on_understood(self, event: MessageUnderstood) -> None:
        await self.pipeline.on_understood(event)

    async def on_outbound(self, reply: ReplyReady) -> None:
        await self.pipeline.on_outbound(reply)

    # -- agent actions -----------------------------------------------------------------------------

    async def accept(self, agent: Agent, handoff_id: str | None = None) -> dict[str, Any]:
        return await self.actions.accept(agent, handoff_id)

    async def owned(self, agent: Agent, handoff_id: str) -> dict[str, Any]:
        return await self.actions.owned(agent, handoff_id)

    async def reply(self, agent: Agent, handoff_id: str, text: str, client_id: str) -> ReplyReady:
        return await self.actions.reply(agent, handoff_id, text, client_id)

    async def note(self, agent: Agent, handoff_id: str, text: str) -> None:
        await self.actions.note(agent, handoff_id, text)

    async def request_csat(self, agent: Agent, handoff_id: str) -> None:
        await self.actions.request_csat(agent, handoff_id)

    async def transfer(
        self, agent: Agent, handoff_id: str, *, queue: str = "", to_agent: Agent | None = None
    ) -> dict[str, Any]:
        return await self.actions.transfer(agent, handoff_id, queue=queue, to_agent=to_agent)

    async def resolve(self, agent: Agent, handoff_id: str, resolution: str = "resolved") -> dict[str, Any]:
        return await self.actions.resolve(agent, handoff_id, resolution)

    # -- presence and the queue --------------------------------------------------------------------

    async def heartbeat(self, agent: Agent) -> None:
        await self.presence.heartbeat(agent)

    async def disconnect(self, agent: Agent) -> int:
        return await self.presence.disconnect(agent)

    async def sweep(self, presence_timeout_s: float) -> int:
        return await self.presence.sweep(presence_timeout_s)

    async def recover(self) -> None:
        await self.queue.recover()
