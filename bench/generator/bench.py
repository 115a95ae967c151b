"""Benchmark of the generator's model runtime: our continuous batching vs plain ``model.generate()``.

For 1, 4 and 8 concurrent requests (all arriving at once), both sides answer the same prompts greedily
with the same model in the same process: the baseline one request at a time with ``model.generate()``,
the runtime all together through ``LocalGenerator.stream``. Reported per side: generated tokens per second
over the wall time, and time to first token per request (from arrival). Results go to
``bench/generator/results/`` as JSON and a markdown report. Run it with ``make bench-generator``.

On a machine with a CUDA GPU, ``--device cuda`` measures the GPU path (bf16, transformers' continuous
batching manager) and, when vLLM is installed, vLLM on the same prompts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PROMPTS = [
    "How do I return a pair of shoes that do not fit?",
    "My parcel has not arrived after two weeks. What can I do?",
    "Can I change the delivery address of an order I placed yesterday?",
    "What payment methods do you accept?",
    "How long does a refund take to reach my card?",
    "Do you ship to Canada, and how much does it cost?",
    "I received a damaged item. How do I get a replacement?",
    "How can I reset the password of my account?",
]


@dataclass(frozen=True, slots=True)
class Sample:
    """One request's measurements: seconds from arrival to its first token and to its end, tokens written."""

    first_token_s: float
    done_s: float
    tokens: int
    text: str


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction in [0, 1]) of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: Sequence[Sample], wall_s: float) -> dict[str, float]:
    """Throughput over the wall time of the whole level, and time-to-first-token statistics."""
    tokens = sum(sample.tokens for sample in samples)
    ttft = [sample.first_token_s for sample in samples]
    return {
        "requests": len(samples),
        "tokens": tokens,
        "wall_s": round(wall_s, 3),
        "tokens_per_s": round(tokens / wall_s, 2) if wall_s > 0 else 0.0,
        "ttft_mean_s": round(sum(ttft) / len(ttft), 3),
        "ttft_p50_s": round(percentile(ttft, 0.5), 3),
        "ttft_max_s": round(max(ttft), 3),
    }


def speedup(runtime: dict[str, float], baseline: dict[str, float]) -> float:
    """How many times the runtime's throughput exceeds the baseline's."""
    return round(runtime["tokens_per_s"] / baseline["tokens_per_s"], 2) if baseline["tokens_per_s"] else 0.0


def render_markdown(report: dict[str, Any]) -> str:
    """The short human-readable report written next to the JSON."""
    lines = [
        "# Generator model runtime benchmark",
        "",
        f"Model `{report['model_id']}` on {report['machine']['device']}, {report['machine']['torch_threads']} torch "
        f"thread(s), {report['machine']['cpus']} CPUs visible; greedy, {report['max_new_tokens']} new tokens at most "
        f"per request; all requests of a level arrive at once. Run {report['started']}"
        f"{_load_note(report['machine'])}.",
        "",
        "| concurrent | baseline tok/s | runtime tok/s | speedup "
        "| baseline TTFT p50 / max (s) | runtime TTFT p50 / max (s) | same text |",
        "|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for level in report["levels"]:
        base, run = level["baseline"], level["runtime"]
        lines.append(
            f"| {level['concurrency']} | {base['tokens_per_s']} | {run['tokens_per_s']} | {level['speedup']}x | "
            f"{base['ttft_p50_s']} / {base['ttft_max_s']} | {run['ttft_p50_s']} / {run['ttft_max_s']} | "
            f"{'yes' if level['same_text'] else 'no'} |"
        )
    goal = next((level for level in report["levels"] if level["concurrency"] == 8), None)
    if goal is not None:
        verdict = "met" if goal["speedup"] >= 3 else "not met"
        lines += ["", f"Goal of at least 3x throughput at 8 concurrent requests: **{verdict}** ({goal['speedup']}x)."]
    lines += [
        "",
        "Baseline: `model.generate()` one request after the other (later requests wait in line, which their TTFT "
        "includes). Runtime: `LocalGenerator.stream` for all requests at once (continuous batching). The runtime's "
        "tokens are counted by re-encoding its streamed text; with identical greedy text the counts agree to a token.",
        "",
        f"GPU: {report['gpu']['note']}",
        "",
    ]
    return "\n".join(lines)


def _load_note(machine: dict[str, Any]) -> str:
    load = machine.get("load_average")
    return f", load average {load[0]:.1f} (other work shared the CPUs)" if load else ""


async def run_baseline(loaded: Any, prompts: Sequence[list[int]], max_new_tokens: int) -> tuple[list[Sample], float]:
    """Plain ``model.generate()``, one request after the other, all having arrived at the start."""
    import torch
    from transformers.generation.streamers import BaseStreamer

    class FirstToken(BaseStreamer):
        def __init__(self) -> None:
            self.calls = 0
            self.first: float | None = None

        def put(self, value: Any) -> None:
            self.calls += 1
            if self.calls == 2 and self.first is None:  # the first call carries the prompt
                self.first = time.monotonic()

        def end(self) -> None:
            pass

    samples = []
    arrived = time.monotonic()
    for prompt in prompts:
        streamer = FirstToken()
        ids = torch.tensor([prompt], device=loaded.model.device)
        with torch.inference_mode():
            output = loaded.model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=loaded.pad_token_id,
                streamer=streamer,
            )
        done = time.monotonic()
        new = [t for t in output[0, len(prompt) :].tolist() if t not in loaded.eos_token_ids]
        text = loaded.tokenizer.decode(new, skip_special_tokens=True)
        samples.append(Sample((streamer.first or done) - arrived, done - arrived, len(new), text))
        await asyncio.sleep(0)
    return samples, time.monotonic() - arrived


async def run_runtime(
    generator: Any, loaded: Any, questions: Sequence[str], max_new_tokens: int
) -> tuple[list[Sample], float]:
    """All requests streamed at once through the runtime."""
    from switchboard.generator.llm import ChatMessage

    arrived = time.monotonic()

    async def one(question: str) -> Sample:
        first: float | None = None
        parts = []
        async for delta in generator.stream([ChatMessage("user", question)], max_new_tokens=max_new_tokens):
            first = first or time.monotonic()
            parts.append(delta)
        done = time.monotonic()
        text = "".join(parts)
        tokens = len(loaded.tokenizer.encode(text, add_special_tokens=False))
        return Sample((first or done) - arrived, done - arrived, tokens, text)

    samples = await asyncio.gather(*(one(question) for question in questions))
    return list(samples), time.monotonic() - arrived


def vllm_note(device: str) -> str:
    if device != "cuda":
        return "not run: no CUDA device on this machine (the GPU and vLLM comparison needs `--device cuda`)."
    try:
        import vllm  # noqa: F401 - only probing whether it is installed
    except ImportError:
        return "transformers' continuous batching measured on CUDA; vLLM is not installed, so it was not compared."
    return "vLLM is installed; its comparison is not implemented in this benchmark yet."


async def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", default="1,4,8", help="comma-separated levels")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--int8", action="store_true", help="int8 dynamic quantization (cpu)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import torch
    import transformers

    from switchboard.generator.llm import ChatMessage, LocalGenerator, ModelSettings, ensure_default_model
    from switchboard.generator.llm.loading import load
    from switchboard.generator.llm.prompts import PromptEncoder

    settings = ModelSettings(device=args.device, quantize_int8=args.int8, warmup=True, max_batch_size=8)
    path = await ensure_default_model(settings)
    loaded = await asyncio.to_thread(load, path, settings)
    generator = LocalGenerator(settings, loaded=loaded)
    await generator.start()
    encoder = PromptEncoder(loaded.tokenizer, max_tokens=settings.max_prompt_tokens)
    levels = []
    try:
        for concurrency in (int(level) for level in args.concurrency.split(",")):
            questions = [PROMPTS[i % len(PROMPTS)] for i in range(concurrency)]
            prompts = [encoder.encode([ChatMessage("user", q)]) for q in questions]
            base_samples, base_wall = await run_baseline(loaded, prompts, args.max_new_tokens)
            run_samples, run_wall = await run_runtime(generator, loaded, questions, args.max_new_tokens)
            baseline, runtime = summarize(base_samples, base_wall), summarize(run_samples, run_wall)
            levels.append(
                {
                    "concurrency": concurrency,
                    "baseline": baseline,
                    "runtime": runtime,
                    "speedup": speedup(runtime, baseline),
                    "same_text": [s.text for s in base_samples] == [s.text for s in run_samples],
                }
            )
            logging.getLogger("bench").warning("level %s: %s", concurrency, json.dumps(levels[-1]))
    finally:
        await generator.close()
    report = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model_id": loaded.model_id,
        "max_new_tokens": args.max_new_tokens,
        "machine": {
            "device": args.device,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "python": platform.python_version(),
        },
        "settings": {"max_batch_size": settings.max_batch_size, "batch_window_ms": settings.batch_window_ms},
        "levels": levels,
        "gpu": {"ran": args.device == "cuda", "note": vllm_note(args.device)},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"runtime-{args.device}{'-int8' if args.int8 else ''}"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{stem}.md").write_text(render_markdown(report))
    return report


if __name__ == "__main__":
    asyncio.run(main())
