"""One Rasa assistant per tenant: trained once per content hash, loaded on first use, bounded, hot-swapped.

Every tenant folder ``tenants/<id>/`` (a Rasa project with our ``tenant.yaml``) is served. A tenant's
model is the cached one for the digest of its training inputs (``model.ensure_model``): a model
directory shared by replicas, so a pod start or a second replica trains nothing that is already
there. Assistants load on a tenant's first message and stay in an LRU of ``max_loaded``; a message
of a tenant whose model is still loading (or training) waits for it, and concurrent messages share
the one load. The watcher checks the loaded tenants' digests every ``reload_interval_s``: a changed
project is trained and loaded next to the old version, then swapped in; a turn in flight holds its
``Assistant`` and finishes on the version it started with. A tenant added at runtime is found on its
first message, so nothing restarts. Loads run one at a time: Rasa's model loading is not documented
as thread-safe, and on a small machine two loads would only slow each other down.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import Gauge, Histogram

from switchboard.core.copy import CopyCache
from switchboard.core.logs import get_logger
from switchboard.core.projects import validate_tenant
from switchboard.core.projects.profile import ProfileError, load_profile
from switchboard.core.tenant_watch import Stamp, stamp_of
from switchboard.core.tenants import TENANT_ID, TenantError, load_tenant
from switchboard.dialogue.action_endpoints import tenant_action_endpoint
from switchboard.dialogue.assistant import Assistant
from switchboard.dialogue.decisions import DecisionSettings
from switchboard.dialogue.errors import DialoguePermanentError
from switchboard.dialogue.model import TRAINING_INPUTS, ensure_model, model_version
from switchboard.dialogue.tracker_store import ConversationTrackerStore

log = get_logger(__name__)

TENANT_FILE = "tenant.yaml"
# A turn in flight keeps using the assistant it started with; its action endpoint closes after this.
RETIRE_AFTER_S = 60.0
LOAD_SECONDS = Histogram(
    "switchboard_dialogue_assistant_load_seconds",
    "Training (when no cached model) and loading of one tenant's assistant",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
TENANT_MEMORY = Gauge(
    "switchboard_dialogue_tenant_memory_bytes", "Resident memory the tenant's assistant added at load", ["tenant"]
)
LOADED = Gauge("switchboard_dialogue_tenants_loaded", "Tenants whose assistant is in memory")


@dataclass(frozen=True, slots=True)
class AssistantLimits:
    """How the per-tenant assistants are built and how many stay in memory."""

    cache_dir: Path
    max_loaded: int = 8
    action_timeout_s: float = 2.0
    turns_kept: int = 20
    kept_conversations: int = 1024
    decisions: DecisionSettings = field(default_factory=DecisionSettings)


@dataclass(frozen=True, slots=True)
class LoadedAssistant:
    """A tenant's assistant in memory and what loading it cost."""

    tenant_id: str
    version: str
    assistant: Assistant
    load_s: float
    memory_bytes: int
    actions: Any = None


def resident_bytes() -> int:
    """This process's resident memory (Linux ``/proc``; 0 where there is none)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    import resource

    return pages * resource.getpagesize()


def _check_project(tenant_id: str, project: Path) -> None:
    """The project's problems, each naming file and line: warnings logged (among them the Rasa NLU pipeline
    components our NLU service replaces), errors refuse the load with all of them in the message."""
    problems = validate_tenant(project)
    for problem in problems:
        if not problem.is_error:
            log.warning("dialogue.tenant.problem", tenant_id=tenant_id, problem=problem.format(project.parent))
    errors = [problem.format(project.parent) for problem in problems if problem.is_error]
    if errors:
        raise DialoguePermanentError(f"tenant {tenant_id!r} does not validate: " + "; ".join(errors))


class TenantAssistants:
    """The assistants of every tenant under ``tenants_dir``."""

    def __init__(self, tenants_dir: Path, database: Any, limits: AssistantLimits) -> None:
        if limits.max_loaded < 1:
            raise ValueError("max_loaded must be at least 1")
        self.tenants_dir = tenants_dir
        self.database = database
        self.limits = limits
        self._loaded: OrderedDict[str, LoadedAssistant] = OrderedDict()
        self._loading: dict[str, asyncio.Task[LoadedAssistant]] = {}
        self._load_lock = asyncio.Lock()
        self._indexes_ready = False
        self._retiring: set[asyncio.Future[None]] = set()
        self._stamps: dict[str, Stamp] = {}
        # Each tenant's copy.yaml, read again when it changes: no retraining, no reload of the assistant.
        self.copies = CopyCache(tenants_dir)

    def known(self) -> list[str]:
        """Tenant ids with a folder and a ``tenant.yaml``, sorted."""
        return sorted(path.parent.name for path in self.tenants_dir.glob(f"*/{TENANT_FILE}"))

    def loaded(self) -> dict[str, LoadedAssistant]:
        return dict(self._loaded)

    async def get(self, tenant_id: str) -> Assistant:
        """The tenant's current assistant; waits while it trains or loads."""
        current = self._loaded.get(tenant_id)
        if current is not None:
            self._loaded.move_to_end(tenant_id)
            return current.assistant
        return (await self._load_shared(tenant_id)).assistant

    async def refresh(self) -> list[str]:
        """Swaps in a new version of every loaded tenant whose project changed; returns those tenants.

        A project that no longer trains or loads keeps its old version serving (the error is logged)."""
        changed = []
        for tenant_id, current in list(self._loaded.items()):
            project = self.tenants_dir / tenant_id
            # A stat of the training inputs first: the digest reads every file, so only a changed stamp pays it.
            stamp = await asyncio.to_thread(stamp_of, project, TRAINING_INPUTS)
            if stamp == self._stamps.get(tenant_id):
                continue
            try:
                version = await asyncio.to_thread(model_version, project)
            except OSError as error:
                log.warning("dialogue.tenant.unreadable", tenant_id=tenant_id, error=str(error))
                continue
            if version == current.version:
                self._stamps[tenant_id] = stamp  # touched, not changed
                continue
            try:
                await self._load_shared(tenant_id)
            except Exception as error:  # noqa: BLE001 - the old version keeps serving; the reason is logged
                log.error("dialogue.tenant.reload_failed", tenant_id=tenant_id, error=str(error))
                continue
            changed.append(tenant_id)
        return changed

    async def watch(self, interval_s: float) -> None:
        """Runs ``refresh`` every ``interval_s`` (a background task of the service)."""
        while True:
            await asyncio.sleep(interval_s)
            for tenant_id in await self.refresh():
                log.info("dialogue.tenant.reloaded", tenant_id=tenant_id, version=self._loaded[tenant_id].version)

    async def _load_shared(self, tenant_id: str) -> LoadedAssistant:
        task = self._loading.get(tenant_id)
        if task is None:
            task = asyncio.ensure_future(self._load(tenant_id))
            self._loading[tenant_id] = task
            task.add_done_callback(lambda _: self._loading.pop(tenant_id, None))
        # Shielded: a waiter cancelled (its handler's deadline) leaves the load running for the others.
        return await asyncio.shield(task)

    async def _load(self, tenant_id: str) -> LoadedAssistant:
        project = self._project(tenant_id)
        async with self._load_lock:
            started = time.perf_counter()
            memory_before = resident_bytes()
            # Taken before training: an edit made while the model trains shows at the next refresh.
            stamp = await asyncio.to_thread(stamp_of, project, TRAINING_INPUTS)
            await asyncio.to_thread(_check_project, tenant_id, project)
            try:
                tenant = load_tenant(project / TENANT_FILE)
            except TenantError as error:
                raise DialoguePermanentError(str(error)) from None
            try:
                profile = await asyncio.to_thread(load_profile, project)
            except ProfileError as error:
                raise DialoguePermanentError(str(error)) from None
            model = await asyncio.to_thread(ensure_model, project, self.limits.cache_dir, show_progress=False)
            store = ConversationTrackerStore(
                None,
                self.database,
                turns_kept=self.limits.turns_kept,
                kept_conversations=self.limits.kept_conversations,
            )
            if not self._indexes_ready:
                await asyncio.to_thread(store.ensure_indexes)
                self._indexes_ready = True
            copy = self.copies.source(tenant_id)
            actions = tenant_action_endpoint(
                project, tenant, self.database, self.limits.action_timeout_s, profile=profile, copy=copy
            )
            assistant = await asyncio.to_thread(
                functools.partial(
                    Assistant.load, model, store, actions, self.limits.decisions, profile=profile, copy=copy
                )
            )
            loaded = LoadedAssistant(
                tenant_id,
                model.name.removeprefix("dialogue-").removesuffix(".tar.gz"),
                assistant,
                time.perf_counter() - started,
                max(0, resident_bytes() - memory_before),
                actions,
            )
        replaced = self._loaded.get(tenant_id)
        if replaced is not None:
            self._retire(replaced)
        self._loaded[tenant_id] = loaded
        self._stamps[tenant_id] = stamp
        self._loaded.move_to_end(tenant_id)
        self._evict()
        LOAD_SECONDS.observe(loaded.load_s)
        TENANT_MEMORY.labels(tenant_id).set(loaded.memory_bytes)
        log.info(
            "dialogue.tenant.loaded",
            tenant_id=tenant_id,
            version=loaded.version,
            load_s=round(loaded.load_s, 3),
            memory_mb=round(loaded.memory_bytes / 2**20, 1),
        )
        return loaded

    def _project(self, tenant_id: str) -> Path:
        # The id comes from an event: only a well-formed id names a folder (never a path).
        if not TENANT_ID.fullmatch(tenant_id):
            raise DialoguePermanentError(f"tenant id {tenant_id!r} is not a tenant id")
        project = self.tenants_dir / tenant_id
        if not (project / TENANT_FILE).is_file():
            raise DialoguePermanentError(f"unknown tenant {tenant_id!r}: {project / TENANT_FILE} does not exist")
        return project

    def _retire(self, old: LoadedAssistant) -> None:
        """Closes an unloaded or replaced assistant's action endpoint once turns that hold it are done."""
        close = getattr(old.actions, "close", None)
        if close is None:
            return

        async def later() -> None:
            await asyncio.sleep(RETIRE_AFTER_S)
            await close()

        task = asyncio.ensure_future(later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def _evict(self) -> None:
        while len(self._loaded) > self.limits.max_loaded:
            tenant_id, evicted = self._loaded.popitem(last=False)
            self._retire(evicted)
            TENANT_MEMORY.remove(tenant_id)
            log.info("dialogue.tenant.evicted", tenant_id=tenant_id, version=evicted.version)
        LOADED.set(len(self._loaded))
