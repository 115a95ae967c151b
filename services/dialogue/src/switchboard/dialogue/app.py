"""Composition root of the dialogue service: every tenant's assistant on Kafka, trackers in MongoDB."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from switchboard.core.contracts import HandoffEvent, MessageUnderstood
from switchboard.core.logs import get_logger
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import ConversationTopics
from switchboard.dialogue.assistant import quiet_rasa
from switchboard.dialogue.decisions import DECIDED, DecisionSettings
from switchboard.dialogue.settings import Settings
from switchboard.dialogue.tenant_assistants import AssistantLimits, TenantAssistants

log = get_logger(__name__)

ALL_TENANTS = "*"


@dataclass(frozen=True, slots=True)
class DialogueParts:
    """What ``build`` wired into the runtime: the tenants' assistants."""

    assistants: TenantAssistants


async def build(runtime: ServiceRuntime, settings: Settings, topics: ConversationTopics | None = None) -> DialogueParts:
    """Loads the preloaded tenants and wires the consumers of ``topics`` (the declared ones unless given);
    every other tenant loads on its first message. A tenant's own records (the demo shop's orders) belong
    to its action server, which seeds them."""
    topics = topics or ConversationTopics()
    quiet_rasa(own_logging=True)
    config = settings.assistant
    tenants_dir = Path(config.tenants_dir)
    database = runtime.database()
    turn = settings.turn
    decisions = DecisionSettings(history_turns=turn.history_turns, generate_deadline_ms=turn.generate_deadline_ms)
    assistants = TenantAssistants(
        tenants_dir,
        database,
        AssistantLimits(
            cache_dir=Path(config.cache_dir),
            max_loaded=config.max_loaded,
            action_timeout_s=turn.action_timeout_s,
            turns_kept=turn.turns_kept,
            kept_conversations=turn.kept_conversations,
            decisions=decisions,
        ),
    )
    known = assistants.known()
    log.info("dialogue.tenants.found", tenants=known)
    preload = [name.strip() for name in config.preload.split(",") if name.strip()]
    for tenant_id in known if ALL_TENANTS in preload else preload:
        await assistants.get(tenant_id)

    async def on_understood(event: MessageUnderstood) -> None:
        assistant = await assistants.get(event.envelope.tenant_id)
        for output in await assistant.handle(event):
            await runtime.publish(topics.decided if output.kind == DECIDED else topics.outbound, output.message)

    async def on_handoff(event: HandoffEvent) -> None:
        assistant = await assistants.get(event.envelope.tenant_id)
        if await assistant.handle_handoff(event):
            log.info("dialogue.conversation.resumed")

    async def watch() -> None:
        await assistants.watch(config.reload_interval_s)

    runtime.background(watch)
    runtime.consume(topics.understood, on_understood)
    runtime.consume(topics.handoff, on_handoff)
    return DialogueParts(assistants)
