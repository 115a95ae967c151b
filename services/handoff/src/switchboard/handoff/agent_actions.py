"""What an agent does from the console: take a chat, reply, note, ask for a rating, transfer, resolve.

Agent replies go out as ``ReplyReady`` (source AGENT) on ``conversation.outbound.v1`` so the ingest
service delivers them on the customer's own channel; every step that changes a handoff publishes a
``HandoffEvent`` whose id derives from the handoff and the step.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from switchboard.core.contracts import ChannelIds, QuickReply, ReplyReady, ReplySource
from switchboard.core.logs import get_logger
from switchboard.handoff import routing
from switchboard.handoff.agents import Agent
from switchboard.handoff.errors import HandoffConflict
from switchboard.handoff.queue_positions import QueuePositions
from switchboard.handoff.workflow import Workflow

log = get_logger(__name__)

CSAT_OPTIONS = (
    ("😀 满意 Good", '/csat{"score":5}'),
    ("😐 一般 OK", '/csat{"score":3}'),
    ("🙁 不满意 Bad", '/csat{"score":1}'),
)


@dataclass(frozen=True, slots=True)
class AgentActions:
    """The console's actions on a handoff; each checks that the chat is the agent's to act on."""

    workflow: Workflow
    queue: QueuePositions

    async def accept(self, agent: Agent, handoff_id: str | None = None) -> dict[str, Any]:
        """Takes the given queued chat, or the next one the agent has the skills for."""
        flow = self.workflow
        tenant_id = agent.tenant_id
        if handoff_id is None:
            queued = await asyncio.to_thread(flow.store.queued, tenant_id)
            rules = flow.tenants[tenant_id].rules
            candidates = [
                h for h in routing.ordered(queued, flow.clock(), rules.aging_per_minute) if routing.can_serve(agent, h)
            ]
        else:
            handoff = await asyncio.to_thread(flow.store.get, tenant_id, handoff_id)
            candidates = (
                [handoff] if handoff and handoff["state"] == "queued" and routing.can_serve(agent, handoff) else []
            )
        claimed = None
        for candidate in candidates:
            # Another agent may take a candidate first: move on to the next one.
            claimed = await asyncio.to_thread(flow.store.claim, agent, candidate["_id"], flow.clock())
            if claimed is not None:
                break
        if claimed is None:
            raise HandoffConflict(
                "no waiting chat matches your skills"
                if handoff_id is None
                else "this chat is no longer waiting for you"
            )
        step = f"assigned/{agent.id}/{claimed['assigned_at'].isoformat()}"
        await flow.emit(flow.action_envelope(claimed, step), assigned={"agent_id": agent.id, "agent_name": agent.name})
        await self.queue.changed(tenant_id)
        log.info("handoff.assigned", conversation_id=claimed["conversation_id"], agent_id=agent.id)
        return claimed

    async def owned(self, agent: Agent, handoff_id: str) -> dict[str, Any]:
        """The handoff, when it is assigned to ``agent``; otherwise a conflict."""
        handoff = await asyncio.to_thread(self.workflow.store.get, agent.tenant_id, handoff_id)
        if handoff is None or handoff["state"] != "assigned" or handoff["agent_id"] != agent.id:
            raise HandoffConflict("this chat is not yours")
        return handoff

    async def reply(self, agent: Agent, handoff_id: str, text: str, client_id: str) -> ReplyReady:
        """Sends the agent's text to the customer; ``client_id`` makes a resubmitted reply a no-op."""
        flow = self.workflow
        handoff = await self.owned(agent, handoff_id)
        envelope = flow.action_envelope(handoff, f"reply/{client_id}")
        reply = ReplyReady(
            envelope=envelope,
            text=text,
            source=ReplySource.REPLY_SOURCE_AGENT,
            agent_name=agent.name,
            sequence_count=1,
            channel_ids=ChannelIds(**handoff.get("channel_ids", {})),
        )
        await flow.publish(flow.topics.outbound, reply)
        await flow.emit(
            flow.action_envelope(handoff, f"agent_replied/{client_id}"),
            agent_replied={"agent_id": agent.id, "agent_name": agent.name, "text": text},
        )
        await flow.transcript.record_reply(reply)
        flow.entry_added(agent.tenant_id, handoff["conversation_id"], handoff["customer_id"])
        return reply

    async def note(self, agent: Agent, handoff_id: str, text: str) -> None:
        """An internal note: stored with the transcript for agents only, never sent to the customer."""
        flow = self.workflow
        handoff = await self.owned(agent, handoff_id)
        entry = {
            "_id": str(uuid.uuid4()),
            "tenant_id": agent.tenant_id,
            "conversation_id": handoff["conversation_id"],
            "customer_id": handoff["customer_id"],
            "channel": "",
            "at": flow.clock(),
            "speaker": "note",
            "agent_name": agent.name,
            "text": text,
        }
        await asyncio.to_thread(flow.transcript.collection.insert_one, entry)
        flow.entry_added(agent.tenant_id, handoff["conversation_id"], handoff["customer_id"])

    async def request_csat(self, agent: Agent, handoff_id: str) -> None:
        """Asks the customer to rate the agent's help, in the language the chat is served in."""
        flow = self.workflow
        handoff = await self.owned(agent, handoff_id)
        setup = flow.tenants[agent.tenant_id]
        language = setup.language(handoff["language"])
        reply = ReplyReady(
            envelope=flow.action_envelope(handoff, f"csat/{uuid.uuid4()}"),
            text=setup.copy.csat.prompt.of(language),
            source=ReplySource.REPLY_SOURCE_SYSTEM,
            sequence_count=1,
            quick_replies=[QuickReply(title=t, payload=p) for t, p in CSAT_OPTIONS],
            channel_ids=ChannelIds(**handoff.get("channel_ids", {})),
        )
        await flow.publish(flow.topics.outbound, reply)

    async def transfer(
        self, agent: Agent, handoff_id: str, *, queue: str = "", to_agent: Agent | None = None
    ) -> dict[str, Any]:
        """Moves the chat to another queue (it waits there) or straight to another agent of the tenant."""
        flow = self.workflow
        handoff = await self.owned(agent, handoff_id)
        rules = flow.tenants[agent.tenant_id].rules
        if to_agent is not None:
            if to_agent.tenant_id != agent.tenant_id or not routing.can_serve(to_agent, handoff):
                raise HandoffConflict("that agent cannot take this chat")
            moved = await asyncio.to_thread(flow.store.reassign, handoff_id, agent, to_agent, flow.clock())
            if moved is None:
                raise HandoffConflict("that agent is offline or at capacity")
        else:
            if queue not in rules.queue_names:
                raise HandoffConflict("unknown queue")
            moved = await asyncio.to_thread(flow.store.requeue, agent.tenant_id, handoff_id, agent.id, queue=queue)
            if moved is None:
                raise HandoffConflict("this chat is not yours")
        await flow.emit(
            flow.action_envelope(moved, f"transferred/{uuid.uuid4()}"),
            transferred={
                "from_queue": handoff["queue"],
                "to_queue": moved["queue"],
                "from_agent_id": agent.id,
                "to_agent_id": moved["agent_id"],
            },
        )
        if to_agent is not None:
            await flow.emit(
                flow.action_envelope(moved, f"assigned/{uuid.uuid4()}"),
                assigned={"agent_id": to_agent.id, "agent_name": to_agent.name},
            )
        await self.queue.changed(agent.tenant_id)
        return moved

    async def resolve(self, agent: Agent, handoff_id: str, resolution: str = "resolved") -> dict[str, Any]:
        """Hands the conversation back to the bot, which resumes with its context."""
        flow = self.workflow
        await self.owned(agent, handoff_id)
        resolved = await asyncio.to_thread(
            flow.store.resolve, agent.tenant_id, handoff_id, agent.id, flow.clock(), resolution
        )
        if resolved is None:
            raise HandoffConflict("this chat is not yours")
        await flow.emit(
            flow.action_envelope(resolved, "returned_to_bot"),
            returned_to_bot={"agent_id": agent.id, "resolution": resolution, "summary": resolved.get("summary", "")},
        )
        flow.queue_changed(agent.tenant_id)
        log.info("handoff.returned_to_bot", conversation_id=resolved["conversation_id"], agent_id=agent.id)
        return resolved
