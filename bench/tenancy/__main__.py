"""Tenancy benchmark: load time and memory per tenant, template turns with 1, 2 and 10 tenants loaded.

Run with ``make bench-tenancy`` (starts and stops a private FerretDB/Kafka stack), or against a running
database: ``.venvs/dialogue/bin/python -m bench.tenancy --mongo-uri mongodb://127.0.0.1:27017/``.

The tenants are the shipped ones plus copies of the demo tenant under new ids (``fleet.py``), in a
temporary tenants folder, served by the dialogue service's own ``TenantAssistants`` (lazy load, LRU,
load time and the memory figure it exports) with trackers in MongoDB. Turns go in as NLU readings
(``MessageUnderstood``), 8 concurrent conversations per tenant, as the service's consumer hands them
over: ``get`` the tenant's assistant, ``handle`` the turn. The 1-tenant phase is the baseline every
other phase is divided by; every round runs it first, then the others, on a fresh ``TenantAssistants``.
Progress goes to stderr, the report to stdout and bench/tenancy/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from bench.dialogue.scenario import Summary, long_conversation
from bench.tenancy.action_servers import action_servers
from bench.tenancy.fleet import build_fleet, synthetic_ids
from bench.tenancy.report import LruFigures, ModelBuild, Phase, TenantLoad, figures, markdown, pooled
from switchboard.dialogue.assistant import quiet_rasa
from switchboard.dialogue.decisions import OUTBOUND, Output
from switchboard.dialogue.model import ensure_model, model_path, model_version
from switchboard.dialogue.tenant_assistants import (
    AssistantLimits,
    LoadedAssistant,
    TenantAssistants,
    resident_bytes,
)
from switchboard.dialogue.testing import understood
from switchboard.dialogue.tracker_store import EVENTS, TRACKERS

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SHIPPED = (ROOT / "tenants" / "demo", ROOT / "tenants" / "broadband")
TEMPLATE = SHIPPED[0]
WARM_TURNS = 4
STARTED = time.perf_counter()


def progress(message: str) -> None:
    sys.stderr.write(f"[bench.tenancy {time.perf_counter() - STARTED:6.1f} s] {message}\n")
    sys.stderr.flush()


def answered(outputs: Sequence[Output]) -> bool:
    """A template turn is answered when it sends the customer a reply with text."""
    return any(output.kind == OUTBOUND and output.message.text for output in outputs)


class Conversations:
    """Template-turn conversations of the benchmark on one ``TenantAssistants``."""

    def __init__(self, assistants: TenantAssistants) -> None:
        self.assistants = assistants
        self.unanswered = 0

    async def turn(self, tenant_id: str, conversation: str, step_index: int) -> float:
        """One template turn as the service's consumer runs it; returns its seconds."""
        step = long_conversation(step_index + 1)[step_index]
        event = understood(
            conversation,
            step.text,
            step.intent,
            entities=dict(step.entities),
            language=step.language,
            tenant_id=tenant_id,
        )
        begin = time.perf_counter()
        assistant = await self.assistants.get(tenant_id)
        outputs = await assistant.handle(event)
        seconds = time.perf_counter() - begin
        self.unanswered += not answered(outputs)
        return seconds

    async def run(self, tenant_id: str, turns: int, samples: list[float] | None = None) -> None:
        conversation = f"bench-tenancy-{uuid.uuid4().hex[:10]}"
        for index in range(turns):
            seconds = await self.turn(tenant_id, conversation, index)
            if samples is not None:
                samples.append(seconds)

    async def concurrent(self, owners: Sequence[str], turns: int) -> tuple[list[float], float]:
        """One conversation per entry of ``owners`` (its tenant), all at once: every turn's seconds and
        the wall time of them all."""
        samples: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(self.run(tenant_id, turns, samples) for tenant_id in owners))
        return samples, time.perf_counter() - started


async def load(conversations: Conversations, tenant_id: str) -> TenantLoad:
    """Loads the tenant as its first message would, then warms it with one unmeasured conversation."""
    await conversations.assistants.get(tenant_id)
    loaded = conversations.assistants.loaded()[tenant_id]
    figure = TenantLoad(tenant_id, loaded.version, loaded.load_s, loaded.memory_bytes, resident_bytes())
    await conversations.run(tenant_id, WARM_TURNS)
    progress(f"loaded {tenant_id} in {loaded.load_s:.2f} s, +{loaded.memory_bytes / 2**20:.1f} MB")
    return figure


async def close(assistants: Iterable[LoadedAssistant]) -> None:
    """Closes the assistants' action endpoints (their HTTP sessions) before the next setup. An evicted
    assistant's endpoint is closed by ``TenantAssistants`` only ``RETIRE_AFTER_S`` after the eviction,
    later than the benchmark ends, so the LRU phase closes the ones it saw evicted too (closing twice is
    harmless)."""
    for loaded in assistants:
        closing = getattr(loaded.actions, "close", None)
        if closing is not None:
            await closing()


def train(tenants_dir: Path, tenant_ids: Sequence[str], cache_dir: Path) -> list[ModelBuild]:
    """Every distinct model of the fleet, trained when the cache lacks it; copies share their source's."""
    by_version: dict[str, list[str]] = {}
    for tenant_id in tenant_ids:
        by_version.setdefault(model_version(tenants_dir / tenant_id), []).append(tenant_id)
    builds = []
    for version, served in by_version.items():
        project = tenants_dir / served[0]
        cached = model_path(project, cache_dir).exists()
        progress(f"model {version} for {len(served)} tenant(s): {'cached' if cached else 'training'}")
        started = time.perf_counter()
        ensure_model(project, cache_dir, show_progress=False)
        builds.append(ModelBuild(version, tuple(served), None if cached else time.perf_counter() - started))
    return builds


def empty_conversation_store(database: Any) -> None:
    """Deletes every stored conversation (trackers and their event log; indexes and the tenants' own
    records stay). Each phase starts on an empty store: FerretDB's cost of a write grows with the
    documents a collection holds, which would charge a later phase for an earlier one's traffic
    (that growth is the pipeline benchmark's subject, not this one's)."""
    for name in (TRACKERS, EVENTS):
        database[name].delete_many({})


async def phase(
    conversations: Conversations, label: str, owners: Sequence[str], turns: int
) -> tuple[list[float], float]:
    """One round of a phase, on an empty conversation store: every turn's seconds and the round's wall time."""
    await asyncio.to_thread(empty_conversation_store, conversations.assistants.database)
    samples, wall_s = await conversations.concurrent(owners, turns)
    summary = Summary.of(label, samples, wall_s)
    progress(
        f"{label}: {len(owners)} concurrent conversations of {turns} turns: p50 {summary.p50_ms:.1f} ms, "
        f"p99 {summary.p99_ms:.1f} ms, {summary.per_second:.1f} msg/s"
    )
    return samples, wall_s


async def lru(
    tenants_dir: Path, database: Any, limits: AssistantLimits, tenant_ids: Sequence[str], rounds: int, turns: int
) -> tuple[LruFigures, int]:
    """Visits every tenant in turn, ``rounds`` times, ``turns`` turns of its one conversation per visit,
    with fewer tenants kept than visited, on an empty conversation store; the first round fills the cache and
    is not counted."""
    await asyncio.to_thread(empty_conversation_store, database)
    assistants = TenantAssistants(tenants_dir, database, limits)
    conversations = Conversations(assistants)
    ids = {tenant_id: f"bench-tenancy-lru-{uuid.uuid4().hex[:10]}" for tenant_id in tenant_ids}
    done = {tenant_id: 0 for tenant_id in tenant_ids}
    reload_s: list[float] = []
    first: list[float] = []
    others: list[float] = []
    evicted: list[LoadedAssistant] = []
    evictions = 0
    for round_index in range(rounds):
        counted = round_index > 0
        for tenant_id in tenant_ids:
            before = assistants.loaded()
            for index in range(turns):
                seconds = await conversations.turn(tenant_id, ids[tenant_id], done[tenant_id])
                done[tenant_id] += 1
                if counted:
                    (first if index == 0 else others).append(seconds)
            after = assistants.loaded()
            gone = [loaded for gone_id, loaded in before.items() if gone_id not in after]
            evicted += gone
            if counted:
                evictions += len(gone)
                if tenant_id not in before:
                    reload_s.append(after[tenant_id].load_s)
        progress(f"LRU round {round_index + 1}/{rounds}: {len(assistants.loaded())} loaded")
    await close([*evicted, *assistants.loaded().values()])
    return LruFigures.of(
        limits.max_loaded, len(tenant_ids), reload_s, evictions, first, others
    ), conversations.unanswered


@dataclass
class Measured:
    """What the phases of one run measured."""

    loads: list[TenantLoad]
    phases: list[Phase]
    lru: LruFigures | None
    unanswered: int


async def measure(args: argparse.Namespace, tenants_dir: Path, tenant_ids: Sequence[str], database: Any) -> Measured:
    """``args.rounds`` times on a fresh ``TenantAssistants``: load 1, 2, then every tenant, template turns
    after each step (the 1-tenant baseline first in every round, side by side with the others); then
    the LRU phase. Loads are reported from the first round, the only one whose process has never held
    an assistant (later rounds reuse memory the earlier ones freed)."""
    per_tenant, turns, count = args.conversations, args.turns, len(tenant_ids)
    limits = AssistantLimits(cache_dir=args.cache_dir, max_loaded=count)
    # label -> (loaded tenants, owner of each concurrent conversation)
    plan = {
        "1 tenant (baseline)": (1, [tenant_ids[0]] * per_tenant),
        "2 tenants": (2, [tenant_id for tenant_id in tenant_ids[:2] for _ in range(per_tenant)]),
        f"{count} tenants": (count, [tenant_id for tenant_id in tenant_ids for _ in range(per_tenant)]),
        f"{count} tenants, {per_tenant} conversations in all": (
            count,
            [tenant_ids[index % count] for index in range(per_tenant)],
        ),
    }
    runs: dict[str, list[tuple[list[float], float]]] = {label: [] for label in plan}
    loads: list[TenantLoad] = []
    unanswered = 0
    for round_index in range(args.rounds):
        progress(f"round {round_index + 1}/{args.rounds}: a fresh TenantAssistants (max_loaded {count})")
        conversations = Conversations(TenantAssistants(tenants_dir, database, limits))
        for label, (loaded, owners) in plan.items():
            for tenant_id in tenant_ids[len(conversations.assistants.loaded()) : loaded]:
                figure = await load(conversations, tenant_id)
                if round_index == 0:
                    loads.append(figure)
            runs[label].append(await phase(conversations, label, owners, turns))
        unanswered += conversations.unanswered
        await close(conversations.assistants.loaded().values())
        del conversations
        gc.collect()
    phases = [
        pooled(label, loaded, len(set(owners)), len(owners), runs[label]) for label, (loaded, owners) in plan.items()
    ]

    lru_figures = None
    if args.lru_max_loaded < count:
        progress(f"LRU: max_loaded {args.lru_max_loaded}, {count} tenants visited in turn")
        small = AssistantLimits(cache_dir=args.cache_dir, max_loaded=args.lru_max_loaded)
        lru_figures, missed = await lru(tenants_dir, database, small, tenant_ids, args.lru_rounds, args.lru_turns)
        unanswered += missed
    return Measured(loads, phases, lru_figures, unanswered)


def logs_to_stderr() -> None:
    """Rasa's logging setup (which the service's own loggers go through here too) writes to stdout, which
    carries the report: its lines go to stderr instead."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)


async def run(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    quiet_rasa(own_logging=False)
    logs_to_stderr()
    load_before = os.getloadavg()[0]
    database_name = f"bench_tenancy_{uuid.uuid4().hex[:8]}"
    client = MongoClient(args.mongo_uri, serverSelectionTimeoutMS=3000)
    with tempfile.TemporaryDirectory(prefix="bench-tenancy-") as scratch:
        tenants_dir = Path(scratch) / "tenants"
        tenants_dir.mkdir()
        tenant_ids = build_fleet(SHIPPED, TEMPLATE, synthetic_ids(args.copies), tenants_dir)
        if args.fresh_cache:
            args.cache_dir = Path(scratch) / "models"
        progress(f"{len(tenant_ids)} tenants in {tenants_dir}: {', '.join(tenant_ids)}")
        models = train(tenants_dir, tenant_ids, args.cache_dir)
        try:
            progress("starting the shipped tenants' action servers")
            with action_servers(ROOT, args.mongo_uri, database_name, Path(scratch)) as urls:
                os.environ.update(urls)
                measured = await measure(args, tenants_dir, tenant_ids, client[database_name])
        finally:
            client.drop_database(database_name)
            client.close()
    unanswered = measured.unanswered
    loads, phases, lru_figures = measured.loads, measured.phases, measured.lru
    if unanswered:
        raise SystemExit(f"{unanswered} template turns got no reply: the figures would not be of template turns")
    averages = (load_before, os.getloadavg()[0])
    import rasa

    header = {
        "date_utc": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": list(averages),
        "python": platform.python_version(),
        "rasa": rasa.__version__,
        "tenants": tenant_ids,
        "conversations_per_tenant": args.conversations,
        "turns_per_conversation": args.turns,
        "rounds": args.rounds,
        "database": args.mongo_uri,
        "wall_s": time.perf_counter() - STARTED,
    }
    copies_from = len(SHIPPED)
    lines = [
        f"Machine: {header['machine']}, {header['cpus']} CPUs (load average {averages[0]:.1f} at start, "
        f"{averages[1]:.1f} at the end), Python {header['python']}, Rasa {header['rasa']}; "
        f"run took {header['wall_s']:.0f} s. "
        f"Tenants: {', '.join(tenant_ids)} ({len(tenant_ids) - copies_from} copies of {TEMPLATE.name} under new ids). "
        "Template turns (greet, chitchat, thank, hello: answered from domain responses; the demo's custom slot "
        f"mapping calls its action server every turn, which runs beside it), {args.turns} per conversation, every "
        f"turn counted (the first message included); {args.conversations} concurrent conversations "
        f"per tenant with traffic unless the phase says otherwise. Trackers in MongoDB ({args.mongo_uri}).",
        "",
        "Load time and memory are `TenantAssistants`' own figures, as the service logs them "
        "(`dialogue.tenant.loaded`) and exports them (`switchboard_dialogue_assistant_load_seconds`, "
        "`switchboard_dialogue_tenant_memory_bytes`): the time from the tenant's first message to its assistant "
        "in memory (validation, model cache look-up, `Agent.load`), and the process's resident memory (RSS) "
        "after the load minus before it (loads of the first round). Template turns: "
        f"{args.rounds} round{'s' if args.rounds != 1 else ''}, each on a fresh `TenantAssistants` that loads 1, 2, "
        "then all tenants, the phases in the table's order; figures pool the rounds' turns, the last column shows "
        "each round's p50 (the machine's noise). Baseline: the 1-tenant phase, first in every round, in the same "
        "process.",
    ]
    report = markdown(
        f"Tenancy benchmark, {header['date_utc']} UTC", lines, models, loads, phases, lru_figures, copies_from
    )
    return report, figures(header, models, loads, phases, lru_figures, copies_from)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tenancy", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mongo-uri", default=os.environ.get("SWITCHBOARD_TEST_MONGO_URI", "mongodb://127.0.0.1:27017/")
    )
    parser.add_argument("--copies", type=int, default=8, help="copies of the demo tenant next to the shipped ones")
    parser.add_argument("--conversations", type=int, default=8, help="concurrent conversations per tenant")
    parser.add_argument("--turns", type=int, default=12, help="template turns per conversation")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every phase, pooled (baseline first in each)")
    parser.add_argument(
        "--lru-max-loaded", type=int, default=4, help="max_loaded of the LRU phase (skipped when ≥ tenants)"
    )
    parser.add_argument("--lru-rounds", type=int, default=3, help="rounds over every tenant (the first is not counted)")
    parser.add_argument("--lru-turns", type=int, default=3, help="turns per visit in the LRU phase")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".run" / "models", help="the models' cache")
    parser.add_argument(
        "--fresh-cache", action="store_true", help="train into an empty model cache (the report shows training time)"
    )
    parser.add_argument("--results", type=Path, default=HERE / "results", help="where tenancy.json and report.md go")
    args = parser.parse_args()
    report, document = asyncio.run(run(args))
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "report.md").write_text(report, encoding="utf-8")
    (args.results / "tenancy.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    # The report is the program's output.
    os.write(1, report.encode())


if __name__ == "__main__":
    main()
