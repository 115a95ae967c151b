"""Composition root of the handoff service: tenants, rules and agents loaded; consumers, console, presence sweep,
the supervisor floor stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from switchboard.core.logs import get_logger
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.tenants import load_tenants
from switchboard.core.topics import ConversationTopics
from switchboard.handoff.agents import load_agents
from switchboard.handoff.assist import Assist
from switchboard.handoff.console import Console
from switchboard.handoff.floor_stream import FloorStream
from switchboard.handoff.handoffs import Handoffs
from switchboard.handoff.rules import load_rules
from switchboard.handoff.service import HandoffService
from switchboard.handoff.settings import Settings
from switchboard.handoff.transcript import Transcript
from switchboard.handoff.workflow import TenantSetup

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class HandoffParts:
    """What ``build`` wired into the runtime: the handoff workflow and the floor stream."""

    service: HandoffService
    floor: FloorStream


def load_setups(tenants_dir: Path) -> dict[str, TenantSetup]:
    return {t.id: TenantSetup(t, load_rules(tenants_dir / t.id / "handoff.yaml")) for t in load_tenants(tenants_dir)}


async def build(runtime: ServiceRuntime, settings: Settings, topics: ConversationTopics | None = None) -> HandoffParts:
    """Loads tenants, rules and agents; registers consumers of ``topics`` (the declared ones unless given), the
    console, the presence sweep and the floor stream."""
    topics = topics or ConversationTopics()
    tenants_dir = Path(settings.tenants_dir)
    setups = load_setups(tenants_dir)
    database = runtime.database()
    store = Handoffs.of(database)
    transcript = Transcript(database["transcript"])
    await asyncio.to_thread(store.ensure_indexes)
    await asyncio.to_thread(transcript.ensure_indexes)
    for tenant_id in setups:
        agents_file = tenants_dir / tenant_id / "agents.yaml"
        if agents_file.exists():
            await asyncio.to_thread(store.agents.seed, tenant_id, load_agents(agents_file))
    service = HandoffService(store=store, transcript=transcript, tenants=setups, publish=runtime.publish, topics=topics)
    runtime.consume(topics.decided, service.on_decided)
    runtime.consume(topics.inbound, service.on_inbound, group_id="switchboard-handoff-inbound")
    runtime.consume(topics.understood, service.on_understood, group_id="switchboard-handoff-understood")
    runtime.consume(topics.outbound, service.on_outbound, group_id="switchboard-handoff-transcript")
    assist = Assist(settings.assist)
    runtime.on_close(assist.close)
    floor = FloorStream(settings.floor, settings.kafka, topics, http_port=settings.http.port)
    runtime.background(floor.run)
    runtime.readiness.add("floor-stream", floor.readiness)
    Console(service, settings.console, assist, floor).install(runtime.http_app)

    async def sweep_presence() -> None:
        await service.recover()
        while True:
            await asyncio.sleep(settings.console.sweep_interval_s)
            await service.sweep(settings.console.presence_timeout_s)

    runtime.background(sweep_presence)
    log.info("handoff.tenants.loaded", tenants=",".join(setups))
    return HandoffParts(service, floor)
