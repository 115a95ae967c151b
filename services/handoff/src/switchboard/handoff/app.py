"""Composition root of the handoff service: tenants, rules and agents loaded; consumers, console, presence sweep,
the supervisor floor stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from switchboard.core.copy import COPY_FILE, load_copy
from switchboard.core.logs import get_logger
from switchboard.core.projects.profile import load_profile
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.tenant_watch import TenantWatch
from switchboard.core.tenants import TenantError, load_tenant
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


# domain.yml (or domain/): the entities shown to agents as key facts.
TENANT_FILES = ("handoff.yaml", "agents.yaml", COPY_FILE, "domain.yml", "domain")


def reload_setups(watch: TenantWatch, setups: dict[str, TenantSetup], store: Handoffs) -> list[str]:
    """Applies the tenants added, changed or removed since the last look to ``setups`` (in place: the service
    reads the same dict) and seeds their agents; a tenant whose files no longer load keeps its setup."""
    changes = watch.changes()
    loaded = []
    for tenant_id in changes.updated:
        folder = watch.tenants_dir / tenant_id
        try:
            tenant = load_tenant(folder / "tenant.yaml")
            facts = load_profile(folder).fact_entities
            setup = TenantSetup(tenant, load_rules(folder / "handoff.yaml"), load_copy(folder), facts)
            agents = load_agents(folder / "agents.yaml") if (folder / "agents.yaml").exists() else None
        except Exception as error:  # noqa: BLE001 - any unreadable file: logged, the previous setup serves
            log.error("handoff.tenant.invalid", tenant_id=tenant_id, error=str(error))
            continue
        setups[tenant_id] = setup
        if agents is not None:
            store.agents.seed(tenant_id, agents)
        loaded.append(tenant_id)
    for tenant_id in changes.removed:
        setups.pop(tenant_id, None)
    return loaded


async def build(runtime: ServiceRuntime, settings: Settings, topics: ConversationTopics | None = None) -> HandoffParts:
    """Loads tenants, rules and agents; registers consumers of ``topics`` (the declared ones unless given), the
    console, the presence sweep and the floor stream."""
    topics = topics or ConversationTopics()
    tenants_dir = Path(settings.tenants_dir)
    database = runtime.database()
    store = Handoffs.of(database)
    transcript = Transcript(database["transcript"])
    await asyncio.to_thread(store.ensure_indexes)
    await asyncio.to_thread(transcript.ensure_indexes)
    # The first look loads every tenant; one that does not load is logged and the others are served.
    watch = TenantWatch(tenants_dir, TENANT_FILES)
    setups: dict[str, TenantSetup] = {}
    await asyncio.to_thread(reload_setups, watch, setups, store)
    if not setups:
        raise TenantError(f"no tenant under {tenants_dir.resolve()} loads: set HANDOFF_TENANTS_DIR")
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

    async def reload_tenants() -> None:
        # A tenant added or changed at runtime is served without a restart.
        while True:
            await asyncio.sleep(settings.tenants_reload_s)
            for tenant_id in await asyncio.to_thread(reload_setups, watch, setups, store):
                log.info("handoff.tenant.loaded", tenant_id=tenant_id)

    runtime.background(reload_tenants)
    log.info("handoff.tenants.loaded", tenants=",".join(setups))
    return HandoffParts(service, floor)
