"""What the handoff does with the pipeline's events: escalates handoff decisions (or logs a callback
outside agent hours) and keeps the transcript and open consoles up to date with every message.

Escalations publish a ``HandoffEvent`` on ``conversation.handoff.v1``; the customer is answered on every
channel with a ``ReplyReady`` (source SYSTEM) on ``conversation.outbound.v1``: their place in the queue,
or the off-hours callback notice, in the tenant's words (``copy.yaml``, section ``handoff``). Their ids
derive from the decision's envelope, so a redelivered decision republishes the same ids.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from switchboard.core.contracts import (
    HandoffReason,
    MessageReceived,
    MessageUnderstood,
    ReplyDecided,
    ReplyReady,
    ReplySource,
    caused_envelope,
)
from switchboard.core.copy import HandoffCopy
from switchboard.core.language import Code
from switchboard.core.logs import get_logger
from switchboard.handoff.queue_positions import QueuePositions
from switchboard.handoff.rules import Escalation, evaluate, within_agent_hours
from switchboard.handoff.workflow import TenantSetup, Workflow, channel_ids_document

log = get_logger(__name__)


def queued_notice(copy: HandoffCopy, language: Code, position: int | None, wait_s: int, agent_name: str | None) -> str:
    """What the customer is told on every channel when their conversation goes to a person (the REST reply, the
    WeChat message and the phone prompt carry it; web chat also shows the live position banner): their place
    in the queue, or that an agent (``agent_name``) already serves them, in the tenant's words."""
    if agent_name is not None:
        return copy.with_agent.format(language, agent=f" {agent_name}" if agent_name else "")
    wait = copy.queued_wait.format(language, minutes=max(1, round(wait_s / 60))) if wait_s > 0 else ""
    return copy.queued.format(language, position=position or 1, wait=wait)


@dataclass(frozen=True, slots=True)
class PipelineEvents:
    """The handlers of the topics the handoff service consumes (decided, inbound, understood, outbound)."""

    workflow: Workflow
    queue: QueuePositions

    async def on_decided(self, decided: ReplyDecided) -> None:
        """A handoff decision: apply the tenant's rules, then queue it (or log a callback off-hours)."""
        if decided.WhichOneof("decision") != "handoff":
            return
        flow = self.workflow
        envelope = decided.envelope
        setup = flow.tenants.get(envelope.tenant_id)
        if setup is None:
            log.warning("handoff.tenant.unknown", tenant_id=envelope.tenant_id)
            return
        escalation = evaluate(setup.rules, decided)
        if escalation is None:
            log.info("handoff.declined_by_rules", conversation_id=envelope.conversation_id)
            await flow.emit(
                caused_envelope(envelope, "handoff/cancelled"), cancelled={"reason": "not_escalated_by_tenant_rules"}
            )
            return
        now = flow.clock()
        language = setup.language(escalation.language)
        if not within_agent_hours(setup.tenant, now):
            await self._callback(decided, setup, language, escalation.reasons, now)
            return
        await self._escalate(decided, setup, escalation, language, now)

    async def _escalate(
        self, decided: ReplyDecided, setup: TenantSetup, escalation: Escalation, language: Code, now: datetime
    ) -> None:
        flow = self.workflow
        envelope = decided.envelope
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
            "channel_ids": channel_ids_document(decided.message.channel_ids),
        }
        handoff, created = await asyncio.to_thread(flow.store.open_handoff, document)
        log.info(
            "handoff.escalated",
            conversation_id=envelope.conversation_id,
            reasons=",".join(escalation.reasons),
            queue=escalation.queue,
            created=created,
        )
        if handoff["_id"] == handoff_id:
            await flow.emit(
                caused_envelope(envelope, "handoff/escalated"),
                escalated={
                    "reasons": [HandoffReason.Value(f"HANDOFF_REASON_{r}") for r in escalation.reasons],
                    "queue": escalation.queue,
                    "priority": escalation.priority,
                    "summary": decided.handoff.summary,
                },
            )
        places = await self.queue.changed(envelope.tenant_id)
        await self._tell_customer(decided, setup.copy.handoff, handoff, language, places.get(handoff["_id"]))

    async def _tell_customer(
        self,
        decided: ReplyDecided,
        copy: HandoffCopy,
        handoff: dict,
        language: Code,
        place: tuple[int, int] | None,
    ) -> None:
        """Answers the message that asked for a person, on its own channel, with where the customer stands
        (``place``: the position and wait the queue announcement just worked out).

        Its id derives from the decision, so a redelivered decision cannot tell the customer twice.
        """
        if handoff["state"] == "queued":
            position, wait_s = place or (None, 0)
            text = queued_notice(copy, language, position, wait_s, None)
        else:
            text = queued_notice(copy, language, None, 0, handoff.get("agent_name", ""))
        await self._reply(decided, "handoff/queued-notice", text)

    async def _reply(self, decided: ReplyDecided, step: str, text: str) -> None:
        """A system reply to the customer message behind ``decided``, on ``conversation.outbound.v1``."""
        reply = ReplyReady(
            envelope=caused_envelope(decided.envelope, step),
            text=text,
            source=ReplySource.REPLY_SOURCE_SYSTEM,
            language=decided.language,
            sequence_count=1,
            channel_ids=decided.message.channel_ids,
            in_reply_to=decided.message.envelope.event_id,
        )
        await self.workflow.publish(self.workflow.topics.outbound, reply)

    async def _callback(
        self, decided: ReplyDecided, setup: TenantSetup, language: Code, reasons: tuple[str, ...], now: datetime
    ) -> None:
        flow = self.workflow
        envelope = decided.envelope
        ticket_id = "CB-" + caused_envelope(envelope, "handoff/callback").event_id[:8].upper()
        await asyncio.to_thread(
            flow.store.add_callback,
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
        text = setup.copy.handoff.outside_hours.format(language, start=hours.start, end=hours.end, ticket=ticket_id)
        await self._reply(decided, "handoff/outside-hours", text)
        await flow.emit(
            caused_envelope(envelope, "handoff/cancelled"),
            cancelled={"reason": f"outside_agent_hours ticket={ticket_id}"},
        )
        log.info("handoff.callback_ticket", conversation_id=envelope.conversation_id, ticket=ticket_id)

    async def on_inbound(self, message: MessageReceived) -> None:
        """A customer message: into the transcript; while a human owns the chat, replies go to its channel ids."""
        flow = self.workflow
        await flow.transcript.record_customer(message)
        envelope = message.envelope
        handoff = await asyncio.to_thread(flow.store.open_for, envelope.tenant_id, envelope.conversation_id)
        if handoff is not None:
            await asyncio.to_thread(
                flow.store.set_contact, handoff["_id"], channel_ids_document(message.channel_ids), flow.clock()
            )
        flow.entry_added(envelope.tenant_id, envelope.conversation_id, envelope.customer_id)

    async def on_understood(self, event: MessageUnderstood) -> None:
        """NLU's reading of a message: kept with the transcript for the agent (the tenant's entities as facts)."""
        envelope = event.message.envelope
        setup = self.workflow.tenants.get(envelope.tenant_id)
        await self.workflow.transcript.record_understanding(event, setup.facts if setup else ())
        self.workflow.entry_added(envelope.tenant_id, envelope.conversation_id, envelope.customer_id)

    async def on_outbound(self, reply: ReplyReady) -> None:
        """A reply on its way to the customer (bot, agent or system): into the transcript once."""
        if await self.workflow.transcript.record_reply(reply):
            envelope = reply.envelope
            self.workflow.entry_added(envelope.tenant_id, envelope.conversation_id, envelope.customer_id)
