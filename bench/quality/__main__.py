"""Answer quality through the real pipeline: the held-out set over REST and NLU, scored per language.

    make bench-quality                                 # own Kafka + FerretDB, own services, then stops them
    make bench-quality BENCH_ARGS="--baseline HEAD~1"  # also the same eval on a worktree of that commit
    make bench-quality-dev                             # the development split (--split dev): tune on this one
    python -m bench.quality --limit 20                 # a quick look; Kafka/Mongo from SWITCHBOARD_TEST_*

Writes bench/quality/results/quality.json, report.md and transcript.jsonl (every text sent, what came back).
``--split dev`` reads bench/quality/data/dev/ and writes the same three files to bench/quality/results/dev/,
so a development run never overwrites the held-out results.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.quality import metrics, report, runner
from bench.quality.evalset import SPLITS, data_dir, load_conversations, load_emotions, load_items
from bench.quality.stack import Infra, Stack

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
SPLIT_TITLES = {"heldout": "held-out", "dev": "development"}


def results_dir(split: str) -> Path:
    """Where a split's results go: the held-out set's in results/, the development split's in results/dev/."""
    return RESULTS if split == "heldout" else RESULTS / split


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def default_baseline() -> str:
    """The merge-base with main when on another branch, else the previous commit."""
    try:
        base = git("merge-base", "HEAD", "main")
    except subprocess.CalledProcessError:
        base = ""
    return base if base and base != git("rev-parse", "HEAD") else "HEAD~1"


async def evaluate(stack: Stack, args: argparse.Namespace) -> tuple[dict[str, metrics.Figures], list[dict]]:
    items = load_items(split=args.split)[: args.limit or None]
    conversations = load_conversations(split=args.split)[: args.limit or None]
    emotions = load_emotions(split=args.split)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        client = runner.Client(stack, http)
        for text in ("你好", "hello", "运费多少", "how long do refunds take"):  # warm caches and connections
            await client.say("quality-warmup", text)
        item_results = await runner.run_items(client, items)
        conversation_results = [await runner.run_conversation(client, c) for c in conversations]
        emotion_results = await runner.run_emotions(client, emotions) if emotions is not None else None
    allowed = metrics.allowed_numbers(stack.root)
    figures = {
        lang: metrics.figures(lang, item_results, conversation_results, emotion_results, allowed)
        for lang in metrics.LANGUAGES
    }
    return figures, report.transcript(item_results, conversation_results)


def run_tree(
    root: Path, infra: Infra, args: argparse.Namespace, models_dir: Path = REPO / ".run" / "models"
) -> tuple[dict[str, metrics.Figures], list[dict]]:
    """``models_dir``: where the tree's services keep trained models. A baseline gets its own, or its
    services would load the newest model the current tree trained (its NLU serves the newest version)."""
    stack = Stack(root=root, infra=infra, state_dir=REPO / ".run" / "quality", models_dir=models_dir)
    stack.use_model = args.use_model
    stack.start()
    try:
        stack.wait_ready()
        return asyncio.run(evaluate(stack, args))
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--baseline",
        nargs="?",
        const="",
        default=None,
        metavar="REF",
        help="also evaluate REF (default: merge-base with main, else HEAD~1) in a git worktree",
    )
    parser.add_argument("--use-model", action="store_true", help="let the generator's LLM write (default: extractive)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N items and N conversations")
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="heldout",
        help="which evaluation set: heldout (the default, reported) or dev (the development split to tune on)",
    )
    parser.add_argument(
        "--results", type=Path, default=None, help="default: bench/quality/results/, for --split dev results/dev/"
    )
    args = parser.parse_args()
    args.results = args.results or results_dir(args.split)
    infra = Infra(
        kafka=os.environ.get("SWITCHBOARD_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
        mongo=os.environ.get("SWITCHBOARD_TEST_MONGO_URI", "mongodb://127.0.0.1:27117/"),
        pythons={
            "services": os.environ.get("SWITCHBOARD_SERVICES_PYTHON", str(REPO / ".venvs/services/bin/python")),
            "dialogue": os.environ.get("SWITCHBOARD_DIALOGUE_PYTHON", str(REPO / ".venvs/dialogue/bin/python")),
        },
    )
    started = time.monotonic()
    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    current, transcript = run_tree(REPO, infra, args)
    baseline = None
    baseline_ref = ""
    if args.baseline is not None:
        baseline_ref = git("rev-parse", "--short", args.baseline or default_baseline())
        with tempfile.TemporaryDirectory(prefix="quality-baseline-") as scratch:
            worktree = Path(scratch) / "tree"
            git("worktree", "add", "--detach", str(worktree), baseline_ref)
            try:
                baseline, _ = run_tree(worktree, infra, args, REPO / ".run" / "quality" / f"models-{baseline_ref}")
            finally:
                git("worktree", "remove", "--force", str(worktree))
    header = [
        f"Commit {commit}{' (with uncommitted changes)' if dirty else ''}"
        + (f", baseline {baseline_ref}" if baseline else "")
        + f"; generator {'with its model' if args.use_model else 'extractive (no model)'};"
        f" {platform.machine()}, {os.cpu_count()} CPUs; {time.monotonic() - started:.0f}s.",
        f"Split: {args.split} ({data_dir(args.split).relative_to(REPO)}). "
        f"Items: {len(load_items(split=args.split)[: args.limit or None])} single-turn, "
        f"{len(load_conversations(split=args.split)[: args.limit or None])} conversations"
        + (
            ""
            if load_emotions(split=args.split) is not None
            else f"; emotion skipped: {(data_dir(args.split) / 'emotion.yaml').relative_to(REPO)} is absent"
        )
        + ". ✓/✗: target met or not.",
    ]
    meta = {
        "commit": commit,
        "dirty": dirty,
        "baseline_commit": baseline_ref or None,
        "use_model": args.use_model,
        "split": args.split,
    }
    title = f"Answer quality on the {SPLIT_TITLES[args.split]} demo set ({args.split} split)"
    report.write(args.results, meta, current, baseline, header, transcript, title)
    sys.stdout.write((args.results / "report.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
