"""Composition root of the dialogue service: the demo assistant on Kafka, its tracker in MongoDB."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from switchboard.core.contracts import HandoffEvent, MessageUnderstood
from switchboard.core.logs import get_logger
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.tenants import load_tenant
from switchboard.core.topics import ConversationTopics
from switchboard.dialogue.action_runner import InProcessActionEndpoint
from switchboard.dialogue.actions import build_actions
from switchboard.dialogue.assistant import Assistant, quiet_rasa
from switchboard.dialogue.decisions import DECIDED, DecisionSettings
from switchboard.dialogue.model import ensure_model
from switchboard.dialogue.settings import Settings
from switchboard.dialogue.shop import Shop, load_shop_data
from switchboard.dialogue.tracker_store import ConversationTrackerStore

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DialogueParts:
    """What ``build`` wired into the runtime: the loaded assistant."""

    assistant: Assistant


async def build(runtime: ServiceRuntime, settings: Settings, topics: ConversationTopics | None = None) -> DialogueParts:
    """Trains or loads the model, seeds the demo data, and wires the consumers of ``topics`` (the declared ones
    unless given)."""
    topics = topics or ConversationTopics()
    quiet_rasa(own_logging=True)
    tenant_dir = Path(settings.assistant.tenant_dir)
    tenant = load_tenant(tenant_dir / "tenant.yaml")
    model = await asyncio.to_thread(ensure_model, tenant_dir, Path(settings.assistant.cache_dir))
    database = runtime.database()
    shop = Shop(database, tenant.id, tenant.timezone)
    if settings.assistant.seed_demo_data:
        count = await asyncio.to_thread(shop.seed, load_shop_data(tenant_dir / "actions" / "data"))
        log.info("dialogue.demo_data.loaded", tenant_id=tenant.id, orders=count)
    turn = settings.turn
    # The window is sized from the model's policies when the assistant loads.
    store = ConversationTrackerStore(
        None, database, turns_kept=turn.turns_kept, kept_conversations=turn.kept_conversations
    )
    await asyncio.to_thread(store.ensure_indexes)
    actions = InProcessActionEndpoint(build_actions(shop), timeout_s=turn.action_timeout_s)
    assistant = await asyncio.to_thread(
        Assistant.load,
        model,
        store,
        actions,
        DecisionSettings(history_turns=turn.history_turns, generate_deadline_ms=turn.generate_deadline_ms),
    )
    log.info("dialogue.assistant.loaded", tenant_id=tenant.id, model=model.name)

    async def on_understood(event: MessageUnderstood) -> None:
        if event.envelope.tenant_id != tenant.id:
            log.warning("dialogue.tenant.unknown", tenant_id=event.envelope.tenant_id)
            return
        for output in await assistant.handle(event):
            await runtime.publish(topics.decided if output.kind == DECIDED else topics.outbound, output.message)

    async def on_handoff(event: HandoffEvent) -> None:
        if event.envelope.tenant_id == tenant.id and await assistant.handle_handoff(event):
            log.info("dialogue.conversation.resumed")

    runtime.consume(topics.understood, on_understood)
    runtime.consume(topics.handoff, on_handoff)
    return DialogueParts(assistant)
