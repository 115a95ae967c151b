"""Helpers of the runtime benchmark (bench/generator/bench.py): statistics and the markdown report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[5] / "bench" / "generator" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generator_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_percentile_is_nearest_rank(bench) -> None:
    assert bench.percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0
    assert bench.percentile([5.0], 0.99) == 5.0
    assert bench.percentile([1.0, 2.0, 3.0], 1.0) == 3.0
    with pytest.raises(ValueError):
        bench.percentile([], 0.5)


def test_summary_counts_tokens_over_the_wall_time(bench) -> None:
    samples = [bench.Sample(0.5, 2.0, 20, "a"), bench.Sample(1.5, 4.0, 30, "b")]
    summary = bench.summarize(samples, wall_s=4.0)
    assert summary["tokens"] == 50 and summary["tokens_per_s"] == 12.5
    assert summary["ttft_mean_s"] == 1.0 and summary["ttft_p50_s"] == 0.5 and summary["ttft_max_s"] == 1.5
    assert bench.speedup({"tokens_per_s": 30.0}, {"tokens_per_s": 10.0}) == 3.0
    assert bench.speedup({"tokens_per_s": 30.0}, {"tokens_per_s": 0.0}) == 0.0


def test_the_report_shows_every_level_and_the_goal(bench) -> None:
    level = {"tokens_per_s": 10.0, "ttft_p50_s": 0.1, "ttft_max_s": 0.2}
    report = {
        "model_id": "m@1",
        "max_new_tokens": 32,
        "started": "2026-01-01T00:00:00Z",
        "machine": {"device": "cpu", "torch_threads": 1, "cpus": 2},
        "levels": [
            {"concurrency": 1, "baseline": level, "runtime": level, "speedup": 1.0, "same_text": True},
            {
                "concurrency": 8,
                "baseline": level,
                "runtime": {**level, "tokens_per_s": 25.0},
                "speedup": 2.5,
                "same_text": False,
            },
        ],
        "gpu": {"ran": False, "note": bench.vllm_note("cpu")},
    }
    text = bench.render_markdown(report)
    assert "| 1 | 10.0 | 10.0 | 1.0x |" in text and "| 8 | 10.0 | 25.0 | 2.5x |" in text
    assert "**not met** (2.5x)" in text
    assert "not run: no CUDA device" in text
