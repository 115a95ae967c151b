"""Figures of the tenancy benchmark and its report: models, loads, template turns against the 1-tenant
baseline, and what an LRU smaller than the tenant count costs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bench.dialogue.scenario import Summary

MB = 2**20


@dataclass(frozen=True)
class ModelBuild:
    """One trained model and the tenants it serves; ``train_s`` is None when the cache already held it."""

    version: str
    tenants: tuple[str, ...]
    train_s: float | None


@dataclass(frozen=True)
class TenantLoad:
    """One tenant's load as ``TenantAssistants`` measures it, and the process's RSS after it."""

    tenant_id: str
    version: str
    load_s: float
    memory_bytes: int
    rss_after_bytes: int


@dataclass(frozen=True)
class Phase:
    """Template turns with ``loaded`` tenants in memory, ``active`` of them receiving conversations."""

    label: str
    loaded: int
    active: int
    conversations: int
    summary: Summary
    p50_by_round: tuple[float, ...] = ()


def pooled(
    label: str, loaded: int, active: int, conversations: int, runs: Sequence[tuple[Sequence[float], float]]
) -> Phase:
    """A phase measured in several rounds (each: every turn's seconds, the round's wall time): latency
    over all turns, messages/s over the rounds' summed wall time, and each round's p50 (ms)."""
    samples = [seconds for turns, _ in runs for seconds in turns]
    summary = Summary.of(label, samples, sum(wall_s for _, wall_s in runs))
    by_round = tuple(float(np.percentile(np.asarray(turns) * 1000, 50)) for turns, _ in runs)
    return Phase(label, loaded, active, conversations, summary, by_round)


@dataclass(frozen=True)
class Ratios:
    """A phase's figures divided by the baseline's (latency above 1 is slower, msg/s above 1 is faster)."""

    p50: float
    p99: float
    per_second: float

    @classmethod
    def of(cls, phase: Summary, baseline: Summary) -> Ratios:
        return cls(
            phase.p50_ms / baseline.p50_ms, phase.p99_ms / baseline.p99_ms, phase.per_second / baseline.per_second
        )


@dataclass(frozen=True)
class LruFigures:
    """Visits that cycle over more tenants than ``max_loaded``: each visit to an unloaded tenant reloads it."""

    max_loaded: int
    tenants: int
    visits: int
    reloads: int
    evictions: int
    reload_p50_s: float
    reload_max_s: float
    first_turn_p50_ms: float
    other_turns_p50_ms: float

    @classmethod
    def of(
        cls,
        max_loaded: int,
        tenants: int,
        reload_s: Sequence[float],
        evictions: int,
        first_turns_s: Sequence[float],
        other_turns_s: Sequence[float],
    ) -> LruFigures:
        """``first_turns_s``: each visit's first turn (which waits for the reload); ``reload_s``: one per reload."""
        if not first_turns_s or not other_turns_s:
            raise ValueError("no turns")
        reloads = np.asarray(reload_s) if len(reload_s) else np.zeros(1)
        return cls(
            max_loaded,
            tenants,
            len(first_turns_s),
            len(reload_s),
            evictions,
            float(np.median(reloads)),
            float(reloads.max()),
            float(np.median(first_turns_s) * 1000),
            float(np.median(other_turns_s) * 1000),
        )


def marginal_bytes(loads: Sequence[TenantLoad], start: int) -> float:
    """Process RSS added per tenant by the loads from index ``start`` on (``start`` ≥ 1): the growth
    from the RSS after load ``start - 1`` to the RSS after the last load, divided by their count."""
    if not 1 <= start < len(loads):
        raise ValueError(f"start must be in 1..{len(loads) - 1}")
    return (loads[-1].rss_after_bytes - loads[start - 1].rss_after_bytes) / (len(loads) - start)


def figures(
    header: dict[str, Any],
    models: Sequence[ModelBuild],
    loads: Sequence[TenantLoad],
    phases: Sequence[Phase],
    lru: LruFigures | None,
    copies_from: int,
) -> dict[str, Any]:
    """The JSON document: everything the report shows, ratios against the first phase included."""
    baseline = phases[0].summary
    return {
        **header,
        "models": [asdict(model) for model in models],
        "loads": [asdict(load) for load in loads],
        "memory": {
            "median_service_figure_bytes": float(np.median([load.memory_bytes for load in loads[1:]])),
            "marginal_rss_per_copy_bytes": marginal_bytes(loads, copies_from),
            "first_load_bytes": loads[0].memory_bytes,
            "rss_before_first_load_bytes": loads[0].rss_after_bytes - loads[0].memory_bytes,
        },
        "phases": [
            {**asdict(phase), "ratio_to_baseline": asdict(Ratios.of(phase.summary, baseline))} for phase in phases
        ],
        "baseline": phases[0].label,
        "lru": asdict(lru) if lru else None,
    }


def _trained(model: ModelBuild) -> str:
    return "cached" if model.train_s is None else f"trained in {model.train_s:.1f} s"


def _tenants(ids: Sequence[str]) -> str:
    return ", ".join(ids) if len(ids) <= 3 else f"{ids[0]}, {ids[1]} … {ids[-1]} ({len(ids)})"


def markdown(
    title: str,
    lines: Sequence[str],
    models: Sequence[ModelBuild],
    loads: Sequence[TenantLoad],
    phases: Sequence[Phase],
    lru: LruFigures | None,
    copies_from: int,
) -> str:
    """The report. ``phases[0]`` is the baseline every phase is divided by; ``loads[copies_from:]`` are
    the copies whose RSS growth gives the marginal memory per tenant."""
    baseline = phases[0].summary
    service = np.median([load.memory_bytes for load in loads[1:]]) / MB
    out = [f"# {title}", "", *lines, "", "## Models", "", "| model | tenants served | training |", "|---|---|---|"]
    out += [f"| {m.version} | {_tenants(m.tenants)} | {_trained(m)} |" for m in models]
    out += [
        "",
        "## Loads (in load order)",
        "",
        "| tenant | model | load s | memory MB (service's figure) | process RSS after MB |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {load.tenant_id} | {load.version} | {load.load_s:.2f} | {load.memory_bytes / MB:.1f} "
            f"| {load.rss_after_bytes / MB:.0f} |"
            for load in loads
        ),
        "",
        f"Memory per loaded tenant: {service:.1f} MB (median of the service's figure over loads 2-{len(loads)}); "
        f"{marginal_bytes(loads, copies_from) / MB:.1f} MB process RSS growth per tenant over the last "
        f"{len(loads) - copies_from} loads; the first load ({loads[0].tenant_id}, {loads[0].memory_bytes / MB:.1f} MB) "
        "also pays what the process loads once (Rasa's policy modules and their libraries). The process held "
        f"{(loads[0].rss_after_bytes - loads[0].memory_bytes) / MB:.0f} MB before its first tenant (Rasa, "
        "TensorFlow and the service's imports).",
        "",
        "## Template turns",
        "",
        "| phase | loaded tenants | tenants with traffic | concurrent conversations | turns | p50 ms | p99 ms "
        "| msg/s | p50 / baseline | p99 / baseline | msg/s / baseline | p50 by round ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases:
        s, r = phase.summary, Ratios.of(phase.summary, baseline)
        out.append(
            f"| {phase.label} | {phase.loaded} | {phase.active} | {phase.conversations} | {s.turns} "
            f"| {s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.per_second:.1f} "
            f"| {r.p50:.2f}x | {r.p99:.2f}x | {r.per_second:.2f}x "
            f"| {' / '.join(f'{p50:.1f}' for p50 in phase.p50_by_round)} |"
        )
    if lru is not None:
        out += [
            "",
            f"## LRU smaller than the tenant count (max_loaded {lru.max_loaded}, "
            f"{lru.tenants} tenants visited in turn)",
            "",
            "| visits | reloads | evictions | reload p50 s | reload max s | first turn of a visit p50 ms "
            "| other turns p50 ms |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {lru.visits} | {lru.reloads} | {lru.evictions} | {lru.reload_p50_s:.2f} | {lru.reload_max_s:.2f} "
            f"| {lru.first_turn_p50_ms:.1f} | {lru.other_turns_p50_ms:.1f} |",
        ]
    return "\n".join(out) + "\n"
