"""Dialogue benchmark: our turn vs bare Rasa, and per-turn cost as a conversation grows.

Run with ``make bench-dialogue`` (starts and stops a private FerretDB/Kafka stack), or against a
running database: ``.venvs/dialogue/bin/python -m bench.dialogue --mongo-uri mongodb://127.0.0.1:27017/``.

1. Side by side, the same scripted order conversations, one turn at a time in one process:
   * ours: NLU reading in (``MessageUnderstood``), decisions out, tracker in MongoDB;
   * bare Rasa: ``Agent.handle_text`` with Rasa's own NLU and its default in-memory tracker store.
2. Latency at the first message, early (turns 2-6) and around turns 50 and 200 of long
   conversations: our tracker store vs Rasa's default
   (``InMemoryTrackerStore``), both fed the same NLU readings, so only the tracker store differs.
Custom actions run in-process in every setup. The report goes to stdout and bench/dialogue/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from bench.dialogue.scenario import ORDER_SCRIPT, Mark, Step, Summary, long_conversation, markdown, turn_latency
from switchboard.core.projects.profile import load_profile
from switchboard.core.tenants import load_tenant
from switchboard.dialogue.action_runner import InProcessActionEndpoint
from switchboard.dialogue.actions import platform_actions
from switchboard.dialogue.assistant import Assistant, parse_data_of, quiet_rasa
from switchboard.dialogue.model import assistant_digest, ensure_model
from switchboard.dialogue.testing import understood
from switchboard.dialogue.tracker_store import ConversationTrackerStore

ROOT = Path(__file__).resolve().parents[2]
TENANT = ROOT / "tenants" / "demo"
PROFILE = load_profile(TENANT)
HERE = Path(__file__).resolve().parent
# The first message on its own (it does first-turn-only work), then five turns early, at 50 and at 200.
MARKS = (Mark.first(), Mark.around(1), Mark.around(50), Mark.around(200))
REFERENCE = MARKS[1]


def demo_actions_in_process(mongo_uri: str, database: str, timeout_s: float) -> InProcessActionEndpoint:
    """The platform's and the demo shop's actions in this process: the turn is measured without the
    action server's HTTP hop, as before the shop's actions moved to their own server."""
    import inspect
    import sys

    from rasa_sdk import Action

    os.environ.update(SHOP_MONGO_URI=mongo_uri, SHOP_MONGO_DATABASE=database, SHOP_TENANT_ID="demo")
    sys.path.insert(0, str(TENANT))
    shop_actions = importlib.import_module("actions.actions")
    own = [
        member()
        for _, member in inspect.getmembers(shop_actions, inspect.isclass)
        if issubclass(member, Action) and member.__module__ == shop_actions.__name__
    ]
    platform = platform_actions(load_tenant(TENANT / "tenant.yaml"), profile=PROFILE)
    return InProcessActionEndpoint([*platform, *own], timeout_s)


def baseline_model(cache_dir: Path) -> Path:
    """The bare baseline: the same assistant trained with Rasa's NLU on the tenant's NLU data."""
    from rasa.model_training import train

    nlu_data = TENANT / "data" / "nlu.yml"
    digest = hashlib.sha256(
        (assistant_digest(TENANT) + (HERE / "baseline_config.yml").read_text() + nlu_data.read_text()).encode()
    ).hexdigest()[:20]
    target = cache_dir / f"baseline-{digest}.tar.gz"
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    os.environ["RASA_CACHE_DIRECTORY"] = str(cache_dir / "rasa-cache")
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        result = train(
            domain=str(TENANT / "domain.yml"),
            config=str(HERE / "baseline_config.yml"),
            training_files=[str(TENANT / "data")],
            output=scratch,
            fixed_model_name="baseline",
        )
        if result.code != 0 or not result.model:
            raise SystemExit(f"training the baseline failed (code {result.code})")
        shutil.move(result.model, target)
    return target


def message_of(conversation: str, step: Step):
    return understood(conversation, step.text, step.intent, entities=dict(step.entities), language=step.language)


async def ours(assistant: Assistant, conversations: int) -> Summary:
    samples: list[float] = []
    started = time.perf_counter()
    for index in range(conversations):
        conversation = f"bench-ours-{index}-{uuid.uuid4().hex[:6]}"
        for step in ORDER_SCRIPT:
            event = message_of(conversation, step)
            begin = time.perf_counter()
            await assistant.handle(event)
            samples.append(time.perf_counter() - begin)
    return Summary.of("ours: NLU reading in, decision out, tracker in MongoDB", samples, time.perf_counter() - started)


async def bare(agent, conversations: int) -> Summary:
    samples: list[float] = []
    started = time.perf_counter()
    for index in range(conversations):
        conversation = f"bench-bare-{index}-{uuid.uuid4().hex[:6]}"
        for step in ORDER_SCRIPT:
            begin = time.perf_counter()
            await agent.handle_text(step.text, sender_id=conversation)
            samples.append(time.perf_counter() - begin)
    return Summary.of(
        "bare Rasa: Agent.handle_text, Rasa NLU, in-memory tracker", samples, time.perf_counter() - started
    )


async def growth(handle: Callable[[str, Step], Awaitable[object]], turns: int, repeats: int) -> list[list[float]]:
    """Seconds per turn of ``repeats`` conversations of ``turns`` turns each, handled by ``handle``."""
    runs = []
    for _ in range(repeats):
        conversation = f"bench-long-{uuid.uuid4().hex[:10]}"
        samples = []
        for step in long_conversation(turns):
            begin = time.perf_counter()
            await handle(conversation, step)
            samples.append(time.perf_counter() - begin)
        runs.append(samples)
    return runs


def our_turn(assistant: Assistant) -> Callable[[str, Step], Awaitable[object]]:
    async def handle(conversation: str, step: Step) -> object:
        return await assistant.handle(message_of(conversation, step))

    return handle


def rasa_default_turn(agent) -> Callable[[str, Step], Awaitable[object]]:
    """Rasa's own turn (``handle_message``, saving through its tracker store), fed the same readings."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    async def handle(conversation: str, step: Step) -> object:
        event = message_of(conversation, step)
        message = UserMessage(
            step.text,
            CollectingOutputChannel(),
            conversation,
            parse_data=parse_data_of(event, PROFILE),
            message_id=event.envelope.event_id,
        )
        return await agent.handle_message(message)

    return handle


async def run(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import InMemoryTrackerStore

    quiet_rasa(own_logging=False)
    load_before = os.getloadavg()[0]
    cache_dir = ROOT / ".run" / "models"
    model = ensure_model(TENANT, cache_dir)
    bare_model = baseline_model(cache_dir)
    database_name = f"bench_dialogue_{uuid.uuid4().hex[:8]}"
    client = MongoClient(args.mongo_uri, serverSelectionTimeoutMS=3000)
    try:
        database = client[database_name]
        actions = demo_actions_in_process(args.mongo_uri, database_name, timeout_s=5.0)
        store = ConversationTrackerStore(None, database)
        store.ensure_indexes()
        assistant = Assistant.load(model, store, actions, profile=PROFILE)
        bare_agent = Agent.load(str(bare_model), action_endpoint=actions)
        default_agent = Agent.load(str(model), action_endpoint=actions)
        default_agent.tracker_store = default_agent.processor.tracker_store = InMemoryTrackerStore(default_agent.domain)

        # Warm both paths (imports, caches, first Mongo connections) before measuring.
        await ours(assistant, 2)
        await bare(bare_agent, 2)
        summaries = [await ours(assistant, args.conversations), await bare(bare_agent, args.conversations)]
        turns = MARKS[-1].turns.stop - 1
        per_turn = {
            "ours (MongoDB, windowed)": await growth(our_turn(assistant), turns, args.repeats),
            "Rasa default (InMemoryTrackerStore)": await growth(rasa_default_turn(default_agent), turns, args.repeats),
        }
    finally:
        client.drop_database(database_name)
        client.close()
    at = {name: {mark.label: turn_latency(runs, mark.turns) for mark in MARKS} for name, runs in per_turn.items()}
    load = (load_before, os.getloadavg()[0])
    header = (
        f"# Dialogue benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (load average {load[0]:.1f} at start, "
        f"{load[1]:.1f} at the end), Python {platform.python_version()}; "
        f"{args.conversations} conversations of {len(ORDER_SCRIPT)} turns side by side; "
        f"{args.repeats} conversations of {turns} turns for per-turn latency "
        f"(median of the named turns across them; the first message apart, see the README). "
        f"Database: {args.mongo_uri}\n"
    )
    figures = {
        "side_by_side": [asdict(summary) for summary in summaries],
        "per_turn_ms": at,
        "marks": {mark.label: [mark.turns.start, mark.turns.stop - 1] for mark in MARKS},
        "reference": REFERENCE.label,
        "repeats": args.repeats,
        "load_average": list(load),
    }
    return header + "\n" + markdown(summaries, at, reference=REFERENCE.label) + "\n", figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dialogue", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mongo-uri", default=os.environ.get("SWITCHBOARD_TEST_MONGO_URI", "mongodb://127.0.0.1:27017/")
    )
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "results" / "latest.md",
        help="the report; its figures go next to it as .json",
    )
    args = parser.parse_args()
    report, figures = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    # The report is the program's output.
    os.write(1, report.encode())


if __name__ == "__main__":
    main()
