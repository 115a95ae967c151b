"""The handoff workflow: escalate on a handoff decision, queue, assign, relay, transfer, return to bot.

Every step that changes a handoff publishes a ``HandoffEvent`` on ``conversation.handoff.v1``;
agent replies go out as ``ReplyReady`` (source AGENT) on ``conversation.outbound.v1`` so the ingest
service delivers them on the customer's own channel. Events caused by a Kafka record take ids
derived from it (``caused_envelope``), so a redelivered decision republishes the same ids.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from google.protobuf.message import Message

from switchboard.core.contracts import (
    SCHEMA_VERSION,
    ChannelIds,
    Envelope,
    HandoffEvent,
    HandoffReason,
    MessageReceived,
    MessageUnderstood,
    QuickReply,
    ReplyDecided,
    ReplyReady,
    ReplySource,
    caused_envelope,
)
from switchboard.core.logs import get_logger
from switchboard.core.tenants import Tenant
from switchboard.core.topics import ConversationTopics, Topic
from switchboard.handoff import routing
from switchboard.handoff.agents import Agent
from switchboard.handoff.errors import HandoffConflict
from switchboard.handoff.handoffs import Handoffs
from switchboard.handoff.live import LiveHub
from switchboard.handoff.rules import HandoffRules, evaluate, within_agent_hours
from switchboard.handoff.transcript import Transcript

log = get_logger(__name__)

Publish = Callable[[Topic[Any], Message], Awaitable[None]]
Clock = Callable[[], datetime]
_ACTION_NAMESPACE = uuid.UUID("0d7f3f9e-6c1b-4c57-9a3e-2f7b1c9d8e41")

OUTSIDE_HOURS = {
    "zh": "现在不是人工客服的服务时间（{start}-{end}）。我们已为您登记回电，工单号 {ticket}，客服上班后会尽快联系您。",
    "en": "Our agents are available {start}-{end}. We have logged a callback for you (ticket {ticket}); "
    "an agent will contact you as soon as they are back.",
}
CSAT_PROMPT = {
    "zh": "请为本次人工服务打分：",
    "en": "How would you rate the help you got from our agent?",
}
CSAT_OPTIONS = (
    ("😀 满意 Good", '/csat{"score":5}'),
    ("😐 一般 OK", '/csat{"score":3}'),
    ("🙁 不满意 Bad", '/csat{"score":1}'),
)


@dataclass(frozen=True, slots=True)
class TenantSetup:
    tenant: Tenant
    rules: HandoffRules


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class HandoffService:
    """Owns the handoff state machine; every method takes the tenant from its caller's context."""

    store: Handoffs
    transcript: Transcript
    tenants: dict[str, TenantSetup]
    publish: Publish
    hub: LiveHub = field(default_factory=LiveHub)
    topics: ConversationTopics = field(default_factory=ConversationTopics)
    clock: Clock = _now

    # -- escalation -------------------------------------------------------------------------------

    async def on_decided(self, decided: ReplyDecided) -> None:
        """A handoff decision: apply the tenant's rules, then queue it (or log a callback off-hours)."""
        if decided.WhichOneof("decision") != "handoff":
            return
        envelope = decided.envelope
        setup = self.tenants.get(envelope.tenant_id)
        if setup is None:
            log.warning("handoff.tenant.unknown", tenant_id=envelope.tenant_id)
            return
        escalation = evaluate(setup.rules, decided)
        if escalation is None:
            log.info("handoff.declined_by_rules", conversation_id=envelope.conversation_id)
            await self._emit(
                caused_envelope(envelope, "handoff/cancelled"), cancelled={"reason": "not_escalated_by_tenant_rules"}
            )
            return
        now = self.clock()
        language = escalation.language or setup.tenant.default_language
        if not within_agent_hours(setup.tenant, now):
            await self._callback(decided, setup, language, escalation.reasons, now)
            return
        handoff_id = caused_envelope(envelope, "handoff").event_id
        document = {
            "_id": handoff_id,
            "tenant_id": envelope.tenant_id,
            "conversation_id": envelope.conversation_id,
            "customer_id": envelope.customer_id,
            "channel": envelope.channel,
            "channel_name": escalation.channel,
            "language": language,
            "topic": escalation.topic,
            "queue": escalation.queue,
            "reasons": list(escalation.reasons),
            "priority": escalation.priority,
            "summary": decided.handoff.summary,
            "detail": decided.handoff.detail,
            "state": "queued",
            "agent_id": "",
            "agent_name": "",
            "queued_at": now,
            "round": 0,
            "decision_event_id": envelope.event_id,
            "channel_ids": _channel_ids(decided.message.channel_ids),
        }
        handoff, created = await asyncio.to_thread(self.store.open_handoff, document)
        log.info(
            "handoff.escalated",
            conversation_id=envelope.conversation_id,
            reasons=",".join(escalation.reasons),
            queue=escalation.queue,
            created=created,
        )
        if handoff["_id"] == handoff_id:
            await self._emit(
                caused_envelope(envelope, "handoff/escalated"),
                escalated={
                    "reasons": [HandoffReason.Value(f"HANDOFF_REASON_{r}") for r in escalation.reasons],
                    "queue": escalation.queue,
                    "priority": escalation.priority,
                    "summary": decided.handoff.summary,
                },
            )
        await self.announce_positions(envelope.tenant_id)
        self.hub.push(envelope.tenant_id, {"type": "queue"})

    async def _callback(
        self, decided: ReplyDecided, setup: TenantSetup, language: str, reasons: tuple[str, ...], now: datetime
    ) -> None:
        envelope = decided.envelope
        ticket_id = "CB-" + caused_envelope(envelope, "handoff/callback").event_id[:8].upper()
        await asyncio.to_thread(
            self.store.add_callback,
            {
                "_id": ticket_id,
                "tenant_id": envelope.tenant_id,
                "conversation_id": envelope.conversation_id,
                "customer_id": envelope.customer_id,
                "channel": envelope.channel,
                "language": language,
                "reasons": list(reasons),
                "summary": decided.handoff.summary,
                "created_at": now,
                "state": "open",
            },
        )
        hours = setup.tenant.agent_hours
        text = OUTSIDE_HOURS.get(language, OUTSIDE_HOURS["en"]).format(
            start=hours.start, end=hours.end, ticket=ticket_id
        )
        reply = ReplyReady(
            envelope=caused_envelope(envelope, "handoff/outside-hours"),
            text=text,
            source=ReplySource.REPLY_SOURCE_SYSTEM,
            language=decided.language,
            sequence_count=1,
            channel_ids=decided.message.channel_ids,
            in_reply_to=decided.message.envelope.event_id,
        )
        await self.publish(self.topics.outbound, reply)
        await self._emit(
            caused_envelope(envelope, "handoff/cancelled"),
            cancelled={"reason": f"outside_agent_hours ticket={ticket_id}"},
        )
        log.info("handoff.callback_ticket", conversation_id=envelope.conversation_id, ticket=ticket_id)

    # -- messages while a human owns the conversation ---------------------------------------------

    async def on_inbound(self, message: MessageReceived) -> None:
        await self.transcript.record_customer(message)
        envelope = message.envelope
        handoff = await asyncio.to_thread(self.store.open_for, envelope.tenant_id, envelope.conversation_id)
        if handoff is not None:
            await asyncio.to_thread(
                self.store.set_contact, handoff["_id"], _channel_ids(message.channel_ids), self.clock()
            )
        self.hub.push(
            envelope.tenant_id,
            {"type": "entry", "conversation_id": envelope.conversation_id, "customer_id": envelope.customer_id},
        )

    async def on_understood(self, event: MessageUnderstood) -> None:
        await self.transcript.record_understanding(event)
        envelope = event.message.envelope
        self.hub.push(
            envelope.tenant_id,
            {"type": "entry", "conversation_id": envelope.conversation_id, "customer_id": envelope.customer_id},
        )

    async def on_outbound(self, reply: ReplyReady) -> None:
        if await self.transcript.record_reply(reply):
            self.hub.push(
                reply.envelope.tenant_id,
                {
                    "type": "entry",
                    "conversation_id": reply.envelope.conversation_id,
                    "customer_id": reply.envelope.customer_id,
                },
            )

    # -- agent actions ----------------------------------------------------------------------------

    async def accept(self, agent: Agent, handoff_id: str | None = None) -> dict[str, Any]:
        """Takes the given queued chat, or the next one the agent has the skills for."""
        tenant_id = agent.tenant_id
        if handoff_id is None:
            queued = await asyncio.to_thread(self.store.queued, tenant_id)
            rules = self.tenants[tenant_id].rules
            candidates = [
                h for h in routing.ordered(queued, self.clock(), rules.aging_per_minute) if routing.can_serve(agent, h)
            ]
        else:
            handoff = await asyncio.to_thread(self.store.get, tenant_id, handoff_id)
            candidates = (
                [handoff] if handoff and handoff["state"] == "queued" and routing.can_serve(agent, handoff) else []
            )
        claimed = None
        for candidate in candidates:
            # Another agent may take a candidate first: move on to the next one.
            claimed = await asyncio.to_thread(self.store.claim, agent, candidate["_id"], self.clock())
            if claimed is not None:
                break
        if claimed is None:
            raise HandoffConflict(
                "no waiting chat matches your skills"
                if handoff_id is None
                else "this chat is no longer waiting for you"
            )
        step = f"assigned/{agent.id}/{claimed['assigned_at'].isoformat()}"
        await self._emit(
            self._action_envelope(claimed, step), assigned={"agent_id": agent.id, "agent_name": agent.name}
        )
        await self.announce_positions(tenant_id)
        self.hub.push(tenant_id, {"type": "queue"})
        log.info("handoff.assigned", conversation_id=claimed["conversation_id"], agent_id=agent.id)
        return claimed

    async def owned(self, agent: Agent, handoff_id: str) -> dict[str, Any]:
        handoff = await asyncio.to_thread(self.store.get, agent.tenant_id, handoff_id)
        if handoff is None or handoff["state"] != "assigned" or handoff["agent_id"] != agent.id:
            raise HandoffConflict("this chat is not yours")
        return handoff

    async def reply(self, agent: Agent, handoff_id: str, text: str, client_id: str) -> ReplyReady:
        """Sends the agent's text to the customer; ``client_id`` makes a resubmitted reply a no-op."""
        handoff = await self.owned(agent, handoff_id)
        envelope = self._action_envelope(handoff, f"reply/{client_id}")
        reply = ReplyReady(
            envelope=envelope,
            text=text,
            source=ReplySource.REPLY_SOURCE_AGENT,
            agent_name=agent.name,
            sequence_count=1,
            channel_ids=ChannelIds(**handoff.get("channel_ids", {})),
        )
        await self.publish(self.topics.outbound, reply)
        await self._emit(
            self._action_envelope(handoff, f"agent_replied/{client_id}"),
            agent_replied={"agent_id": agent.id, "agent_name": agent.name, "text": text},
        )
        await self.transcript.record_reply(reply)
        self.hub.push(
            agent.tenant_id,
            {"type": "entry", "conversation_id": handoff["conversation_id"], "customer_id": handoff["customer_id"]},
        )
        return reply

    async def note(self, agent: Agent, handoff_id: str, text: str) -> None:
        """An internal note: stored with the transcript for agents only, never sent to the customer."""
        handoff = await self.owned(agent, handoff_id)
        entry = {
            "_id": str(uuid.uuid4()),
            "tenant_id": agent.tenant_id,
            "conversation_id": handoff["conversation_id"],
            "customer_id": handoff["customer_id"],
            "channel": "",
            "at": self.clock(),
            "speaker": "note",
            "agent_name": agent.name,
            "text": text,
        }
        await asyncio.to_thread(self.transcript.collection.insert_one, entry)
        self.hub.push(
            agent.tenant_id,
            {"type": "entry", "conversation_id": handoff["conversation_id"], "customer_id": handoff["customer_id"]},
        )

    async def request_csat(self, agent: Agent, handoff_id: str) -> None:
        handoff = await self.owned(agent, handoff_id)
        language = handoff["language"] if handoff["language"] in CSAT_PROMPT else "en"
        reply = ReplyReady(
            envelope=self._action_envelope(handoff, f"csat/{uuid.uuid4()}"),
            text=CSAT_PROMPT[language],
            source=ReplySource.REPLY_SOURCE_SYSTEM,
            sequence_count=1,
            quick_replies=[QuickReply(title=t, payload=p) for t, p in CSAT_OPTIONS],
            channel_ids=ChannelIds(**handoff.get("channel_ids", {})),
        )
        await self.publish(self.topics.outbound, reply)

    async def transfer(
        self, agent: Agent, handoff_id: str, *, queue: str = "", to_agent: Agent | None = None
    ) -> dict[str, Any]:
        """Moves the chat to another queue (it waits there) or straight to another agent of the tenant."""
        handoff = await self.owned(agent, handoff_id)
        rules = self.tenants[agent.tenant_id].rules
        if to_agent is not None:
            if to_agent.tenant_id != agent.tenant_id or not routing.can_serve(to_agent, handoff):
                raise HandoffConflict("that agent cannot take this chat")
            moved = await asyncio.to_thread(self.store.reassign, handoff_id, agent, to_agent, self.clock())
            if moved is None:
                raise HandoffConflict("that agent is offline or at capacity")
        else:
            if queue not in rules.queue_names:
                raise HandoffConflict("unknown queue")
            moved = await asyncio.to_thread(self.store.requeue, agent.tenant_id, handoff_id, agent.id, queue=queue)
            if moved is None:
                raise HandoffConflict("this chat is not yours")
        await self._emit(
            self._action_envelope(moved, f"transferred/{uuid.uuid4()}"),
            transferred={
                "from_queue": handoff["queue"],
                "to_queue": moved["queue"],
                "from_agent_id": agent.id,
                "to_agent_id": moved["agent_id"],
            },
        )
        if to_agent is not None:
            await self._emit(
                self._action_envelope(moved, f"assigned/{uuid.uuid4()}"),
                assigned={"agent_id": to_agent.id, "agent_name": to_agent.name},
            )
        await self.announce_positions(agent.tenant_id)
        self.hub.push(agent.tenant_id, {"type": "queue"})
        return moved

    async def resolve(self, agent: Agent, handoff_id: str, resolution: str = "resolved") -> dict[str, Any]:
        """Hands the conversation back to the bot, which resumes with its context."""
        await self.owned(agent, handoff_id)
        resolved = await asyncio.to_thread(
            self.store.resolve, agent.tenant_id, handoff_id, agent.id, self.clock(), resolution
        )
        if resolved is None:
            raise HandoffConflict("this chat is not yours")
        await self._emit(
            self._action_envelope(resolved, "returned_to_bot"),
            returned_to_bot={"agent_id": agent.id, "resolution": resolution, "summary": resolved.get("summary", "")},
        )
        self.hub.push(agent.tenant_id, {"type": "queue"})
        log.info("handoff.returned_to_bot", conversation_id=resolved["conversation_id"], agent_id=agent.id)
        return resolved

    # -- presence ---------------------------------------------------------------------------------

    async def heartbeat(self, agent: Agent) -> None:
        await asyncio.to_thread(self.store.agents.set_presence, agent.tenant_id, agent.id, "online", self.clock())

    async def disconnect(self, agent: Agent) -> int:
        """The agent went offline: their chats go back to the front of their queues. Returns how many."""
        await asyncio.to_thread(self.store.agents.set_presence, agent.tenant_id, agent.id, "offline", self.clock())
        moved = 0
        for handoff in await asyncio.to_thread(self.store.assigned_to, agent.tenant_id, agent.id):
            requeued = await asyncio.to_thread(self.store.requeue, agent.tenant_id, handoff["_id"], agent.id)
            if requeued is not None:
                moved += 1
                await self._emit(
                    self._action_envelope(requeued, f"transferred/{uuid.uuid4()}"),
                    transferred={
                        "from_queue": handoff["queue"],
                        "to_queue": handoff["queue"],
                        "from_agent_id": agent.id,
                    },
                )
        if moved:
            log.info("handoff.agent_disconnected", agent_id=agent.id, requeued=moved)
            await self.announce_positions(agent.tenant_id)
            self.hub.push(agent.tenant_id, {"type": "queue"})
        return moved

    async def sweep(self, presence_timeout_s: float) -> int:
        """Marks agents unheard of for ``presence_timeout_s`` offline and re-queues their chats."""
        before = self.clock() - timedelta(seconds=presence_timeout_s)
        moved = 0
        for tenant_id in self.tenants:
            for agent in await asyncio.to_thread(self.store.agents.stale, tenant_id, before):
                moved += await self.disconnect(agent)
        return moved

    # -- the customer's place in the queue --------------------------------------------------------

    async def announce_positions(self, tenant_id: str) -> None:
        """Tells every waiting customer whose position or estimated wait changed."""
        rules = self.tenants[tenant_id].rules
        queued = await asyncio.to_thread(self.store.queued, tenant_id)
        online = await asyncio.to_thread(self.store.agents.online, tenant_id)
        by_id = {h["_id"]: h for h in queued}
        for handoff_id, position in routing.positions(queued, self.clock(), rules.aging_per_minute).items():
            handoff = by_id[handoff_id]
            serving = sum(1 for a in online if routing.can_serve(a, handoff))
            wait_s = routing.estimated_wait_s(position, serving, rules.average_handle_s)
            if await asyncio.to_thread(self.store.set_position, handoff_id, position, wait_s):
                await self._emit(
                    self._action_envelope(
                        handoff, f"queued/{position}/{wait_s}/{handoff.get('agent_id', '')}/{uuid.uuid4()}"
                    ),
                    queued={"queue": handoff["queue"], "position": position, "estimated_wait_seconds": wait_s},
                )

    async def recover(self) -> None:
        """At start: recount chats in hand and re-announce positions (nothing is lost across a restart)."""
        for tenant_id in self.tenants:
            await asyncio.to_thread(self.store.reconcile, tenant_id)
            await self.announce_positions(tenant_id)

    # -- helpers ----------------------------------------------------------------------------------

    async def _emit(self, envelope: Envelope, **event: dict[str, Any]) -> None:
        await self.publish(self.topics.handoff, HandoffEvent(envelope=envelope, **event))

    def _action_envelope(self, handoff: dict[str, Any], step: str) -> Envelope:
        """Envelope of an event a console action causes, derived from the handoff and the step."""
        envelope = Envelope(
            event_id=str(uuid.uuid5(_ACTION_NAMESPACE, f"{handoff['_id']}/{step}")),
            tenant_id=handoff["tenant_id"],
            conversation_id=handoff["conversation_id"],
            customer_id=handoff["customer_id"],
            channel=handoff["channel"],
            causation_id=handoff.get("decision_event_id", ""),
            schema_version=SCHEMA_VERSION,
        )
        envelope.created_at.FromDatetime(self.clock())
        return envelope


def _channel_ids(ids: ChannelIds) -> dict[str, str]:
    return {"message_id": ids.message_id, "user_id": ids.user_id, "account_id": ids.account_id}
