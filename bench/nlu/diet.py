"""Rasa 3.6 DIET side of the benchmark; runs in the dialogue (Rasa) environment.

    .venvs/dialogue/bin/python bench/nlu/diet.py --work <folder> --name demo

Reads ``<folder>/<name>/{train.yml,config.yml,test.json}``, trains with Rasa's own trainer, parses
every test text one at a time through ``Agent.parse_message`` and writes ``diet.json``
(predictions, per-message seconds, training seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


async def _parse_all(model_path: str, texts: list[str]) -> tuple[list[dict], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    await agent.parse_message("warm up")
    predictions, seconds = [], []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        seconds.append(time.perf_counter() - started)
        predictions.append(
            {
                "intent": (parsed.get("intent") or {}).get("name"),
                "entities": [[e["entity"], e["start"], e["end"]] for e in parsed.get("entities", [])],
            }
        )
    return predictions, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    from rasa.model_training import train_nlu
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    folder = args.work / args.name
    started = time.perf_counter()
    model_path = train_nlu(
        config=str(folder / "config.yml"),
        nlu_data=str(folder / "train.yml"),
        output=str(folder / "models"),
        fixed_model_name="diet",
    )
    train_seconds = time.perf_counter() - started
    if not model_path:
        raise SystemExit("Rasa produced no model")
    texts = [item["text"] for item in json.loads((folder / "test.json").read_text(encoding="utf-8"))]
    predictions, seconds = asyncio.run(_parse_all(model_path, texts))
    result = {"train_seconds": round(train_seconds, 1), "predictions": predictions, "seconds": seconds}
    (folder / "diet.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
