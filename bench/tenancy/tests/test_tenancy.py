"""The tenancy benchmark's pure parts: the synthetic tenants, memory and ratio figures, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.dialogue.scenario import Summary
from bench.tenancy.fleet import build_fleet, copy_tenant, synthetic_ids
from bench.tenancy.report import (
    MB,
    LruFigures,
    ModelBuild,
    Phase,
    Ratios,
    TenantLoad,
    figures,
    marginal_bytes,
    markdown,
    pooled,
)
from switchboard.core.tenants import TENANT_ID, load_tenant
from switchboard.dialogue.model import model_version

TENANTS = Path(__file__).resolve().parents[3] / "tenants"


def test_synthetic_ids_are_tenant_ids_in_order() -> None:
    ids = synthetic_ids(10)
    assert ids[0] == "loadtest-01" and ids[-1] == "loadtest-10" and ids == sorted(ids)
    assert all(TENANT_ID.fullmatch(tenant_id) for tenant_id in ids)
    assert synthetic_ids(0) == []
    assert synthetic_ids(2, prefix="bulk") == ["bulk-01", "bulk-02"]
    with pytest.raises(ValueError):
        synthetic_ids(-1)


def test_a_copy_is_its_own_tenant_served_by_the_source_model(tmp_path: Path) -> None:
    copy = copy_tenant(TENANTS / "demo", tmp_path, "loadtest-01")
    assert load_tenant(copy / "tenant.yaml").id == "loadtest-01"
    # The model cache is keyed by the training inputs only: the copy reuses the demo's trained model.
    assert model_version(copy) == model_version(TENANTS / "demo")
    assert (copy / "tenant.yaml").read_text(encoding="utf-8").count("id: loadtest-01") == 1


def fake_tenant(folder: Path, tenant_yaml: str) -> Path:
    """A small tenant folder: its tenant file, a training input, tests and byte-code."""
    (folder / "data").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "actions" / "__pycache__").mkdir(parents=True)
    (folder / "tenant.yaml").write_text(tenant_yaml, encoding="utf-8")
    (folder / "data" / "nlu.yml").write_text("version: '3.1'\n", encoding="utf-8")
    (folder / "tests" / "test_stories.yml").write_text("stories: []\n", encoding="utf-8")
    (folder / "actions" / "__pycache__" / "actions.cpython-310.pyc").write_bytes(b"\0")
    return folder


FAKE_TENANT = """# id: not this comment
id: source
name:
  en: Source shop
owner:
  id: not-this-nested-id
"""


def test_copy_rewrites_only_the_top_level_id_line(tmp_path: Path) -> None:
    source = fake_tenant(tmp_path / "source", FAKE_TENANT)
    (tmp_path / "out").mkdir()
    copy = copy_tenant(source, tmp_path / "out", "loadtest-03")
    assert copy == tmp_path / "out" / "loadtest-03"
    assert (copy / "tenant.yaml").read_text(encoding="utf-8") == FAKE_TENANT.replace(
        "\nid: source\n", "\nid: loadtest-03\n"
    )
    assert (copy / "data" / "nlu.yml").read_text(encoding="utf-8") == "version: '3.1'\n"
    assert not (copy / "tests").exists() and not (copy / "actions" / "__pycache__").exists()
    # The source is left as it was.
    assert (source / "tenant.yaml").read_text(encoding="utf-8") == FAKE_TENANT


@pytest.mark.parametrize("tenant_yaml", ["name: nobody\n", "owner:\n  id: nested-only\n# id: commented\n"])
def test_copy_refuses_a_tenant_file_without_an_id_line(tmp_path: Path, tenant_yaml: str) -> None:
    source = fake_tenant(tmp_path / "source", tenant_yaml)
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match="no top-level 'id:'"):
        copy_tenant(source, tmp_path / "out", "loadtest-01")


def test_fleet_copies_the_shipped_tenants_in_their_order_then_the_template_without_tests(tmp_path: Path) -> None:
    shipped = [fake_tenant(tmp_path / "src" / name, f"id: {name}\n") for name in ("zeta", "alpha")]
    (tmp_path / "fleet").mkdir()
    ids = build_fleet(shipped, shipped[1], synthetic_ids(3), tmp_path / "fleet")
    # Shipped first and as given (not sorted), then the copies: the order the benchmark loads them in.
    assert ids == ["zeta", "alpha", "loadtest-01", "loadtest-02", "loadtest-03"]
    assert sorted(path.name for path in (tmp_path / "fleet").iterdir()) == sorted(ids)
    for tenant_id in ids:
        folder = tmp_path / "fleet" / tenant_id
        assert (folder / "tenant.yaml").read_text(encoding="utf-8") == f"id: {tenant_id}\n"
        assert (folder / "data" / "nlu.yml").is_file()
        assert not (folder / "tests").exists() and not (folder / "actions" / "__pycache__").exists()
    # The sources keep their tests.
    assert (shipped[1] / "tests" / "test_stories.yml").is_file()


def test_fleet_of_the_shipped_tenants_loads_and_shares_the_demo_model(tmp_path: Path) -> None:
    ids = build_fleet([TENANTS / "demo", TENANTS / "broadband"], TENANTS / "demo", synthetic_ids(2), tmp_path)
    assert ids == ["demo", "broadband", "loadtest-01", "loadtest-02"]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(ids)
    assert load_tenant(tmp_path / "broadband" / "tenant.yaml").id == "broadband"
    assert model_version(tmp_path / "broadband") != model_version(tmp_path / "loadtest-02")


def loads(*rss_mb: int) -> list[TenantLoad]:
    return [TenantLoad(f"t{i}", "v", 1.0 + i, (10 + i) * MB, rss * MB) for i, rss in enumerate(rss_mb)]


def test_marginal_memory_is_the_rss_growth_over_the_later_loads() -> None:
    # After the first two loads the process holds 500 MB; four more loads bring it to 580 MB.
    assert marginal_bytes(loads(400, 500, 520, 540, 560, 580), start=2) == pytest.approx(20 * MB)
    with pytest.raises(ValueError):
        marginal_bytes(loads(400, 500), start=0)
    with pytest.raises(ValueError):
        marginal_bytes(loads(400, 500), start=2)


def test_ratios_divide_by_the_baseline() -> None:
    ratios = Ratios.of(Summary("x", 80, 30.0, 90.0, 20.0), Summary("base", 8, 10.0, 30.0, 40.0))
    assert (ratios.p50, ratios.p99, ratios.per_second) == pytest.approx((3.0, 3.0, 0.5))


def test_pooled_phase_takes_every_round_turn_and_the_summed_wall_time() -> None:
    first = [0.010, 0.020, 0.030]
    second = [0.040, 0.050, 0.060]
    phase = pooled("2 tenants", 2, 2, 3, [(first, 1.0), (second, 2.0)])
    assert (phase.loaded, phase.active, phase.conversations) == (2, 2, 3)
    assert phase.summary.turns == 6 and phase.summary.per_second == pytest.approx(2.0)
    # Percentiles over the pooled turns (linear interpolation): the 99th lies 0.95 of the way from 50 to 60 ms.
    assert phase.summary.p50_ms == pytest.approx(35.0) and phase.summary.p99_ms == pytest.approx(59.5)
    assert phase.p50_by_round == pytest.approx((20.0, 50.0))


def test_lru_figures_split_visits_and_reloads() -> None:
    # Four visits, three of them reloads (the fourth found its tenant still loaded), two evictions.
    lru = LruFigures.of(
        4, 10, [1.0, 3.0, 2.0], evictions=2, first_turns_s=[1.1, 3.1, 2.1, 0.05], other_turns_s=[0.02, 0.04]
    )
    assert (lru.visits, lru.reloads, lru.evictions) == (4, 3, 2)
    assert lru.reload_p50_s == pytest.approx(2.0) and lru.reload_max_s == pytest.approx(3.0)
    assert lru.first_turn_p50_ms == pytest.approx(1600.0) and lru.other_turns_p50_ms == pytest.approx(30.0)
    no_reload = LruFigures.of(4, 3, [], evictions=0, first_turns_s=[0.01], other_turns_s=[0.01])
    assert no_reload.reloads == 0 and no_reload.reload_max_s == 0.0
    with pytest.raises(ValueError):
        LruFigures.of(4, 10, [1.0], evictions=1, first_turns_s=[], other_turns_s=[0.1])


def report_parts() -> tuple[list[ModelBuild], list[TenantLoad], list[Phase], LruFigures]:
    models = [
        ModelBuild("aaa", ("demo", "loadtest-01", "loadtest-02", "loadtest-03"), None),
        ModelBuild("bbb", ("broadband",), 7.5),
    ]
    phases = [
        Phase("1 tenant (baseline)", 1, 1, 8, Summary("t", 96, 40.0, 100.0, 25.0), (38.0, 42.0)),
        Phase("4 tenants", 4, 4, 32, Summary("t", 384, 120.0, 300.0, 24.0), (110.0, 130.0)),
    ]
    lru = LruFigures.of(2, 4, [1.5, 2.5], 2, [1.6, 2.6], [0.04, 0.05])
    return models, loads(400, 500, 520, 540), phases, lru


def test_report_shows_loads_memory_phases_against_the_baseline_and_the_lru() -> None:
    models, tenant_loads, phases, lru = report_parts()
    report = markdown("Tenancy", ["a line"], models, tenant_loads, phases, lru, copies_from=2)
    assert report.startswith("# Tenancy\n\na line\n")
    assert "| aaa | demo, loadtest-01 … loadtest-03 (4) | cached |" in report
    assert "| bbb | broadband | trained in 7.5 s |" in report
    assert "| t1 | v | 2.00 | 11.0 | 500 |" in report
    # Median of the service's figure over loads 2-4 (11, 12, 13 MB); RSS growth 500 -> 540 MB over 2 loads.
    assert "Memory per loaded tenant: 12.0 MB" in report and "20.0 MB process RSS growth per tenant" in report
    assert (
        "| 1 tenant (baseline) | 1 | 1 | 8 | 96 | 40.0 | 100.0 | 25.0 | 1.00x | 1.00x | 1.00x | 38.0 / 42.0 |" in report
    )
    assert "| 4 tenants | 4 | 4 | 32 | 384 | 120.0 | 300.0 | 24.0 | 3.00x | 3.00x | 0.96x | 110.0 / 130.0 |" in report
    # The first load's RSS before it: 400 MB after, 10 MB of it the load's.
    assert "The process held 390 MB before its first tenant" in report
    assert "max_loaded 2, 4 tenants" in report
    assert "| 2 | 2 | 2 | 2.00 | 2.50 | 2100.0 | 45.0 |" in report
    assert "LRU" not in markdown("Tenancy", [], models, tenant_loads, phases, None, copies_from=2)


def test_report_has_one_template_turn_row_per_phase_in_order() -> None:
    models, tenant_loads, phases, lru = report_parts()
    report = markdown("Tenancy", [], models, tenant_loads, phases, lru, copies_from=2)
    section = report.split("## Template turns\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    # The header row, then one row per phase.
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows[1:]] == [phase.label for phase in phases]


def test_figures_are_json_with_ratios_to_the_first_phase() -> None:
    models, tenant_loads, phases, lru = report_parts()
    document = json.loads(json.dumps(figures({"cpus": 2}, models, tenant_loads, phases, lru, copies_from=2)))
    assert document["cpus"] == 2 and document["baseline"] == "1 tenant (baseline)"
    assert document["phases"][1]["ratio_to_baseline"] == pytest.approx({"p50": 3.0, "p99": 3.0, "per_second": 0.96})
    assert document["memory"]["marginal_rss_per_copy_bytes"] == pytest.approx(20 * MB)
    assert document["memory"]["median_service_figure_bytes"] == pytest.approx(12 * MB)
    assert document["lru"]["reloads"] == 2 and document["models"][1]["train_s"] == 7.5
