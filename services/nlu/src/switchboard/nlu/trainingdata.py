"""Rasa-format NLU training data (``nlu.yml``): intents with annotated examples, synonyms, regexes, lookups.

A Rasa user's file loads unchanged. Annotations use Rasa's markup: ``[SB1003](order_id)``,
``[耳机]{"entity": "product", "value": "SoundPods Pro"}`` and ``[text](entity:value)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from switchboard.nlu.errors import TrainingDataError

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Span:
    """An annotated entity: ``text[start:end]`` is the entity, ``value`` its normalised value."""

    entity: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[Span, ...] = ()


@dataclass
class TrainingData:
    """Everything one tenant's ``nlu.yml`` holds."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # lower-cased variant -> canonical value
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({example.intent for example in self.examples})

    def subset(self, examples: Iterable[Example]) -> TrainingData:
        """The same synonyms, regexes and lookups with other examples (train/test splits)."""
        return TrainingData(list(examples), self.synonyms, self.regexes, self.lookups)


def parse_example(markup: str, intent: str) -> Example:
    """One example line: annotations removed from the text, kept as spans."""
    text_parts: list[str] = []
    spans: list[Span] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION.finditer(markup):
        before = markup[cursor : match.start()]
        text_parts.append(before)
        length += len(before)
        surface = match.group("text")
        entity, value = _annotation_target(match, surface)
        spans.append(Span(entity, length, length + len(surface), value))
        text_parts.append(surface)
        length += len(surface)
        cursor = match.end()
    text_parts.append(markup[cursor:])
    return Example("".join(text_parts).strip(), intent, tuple(spans))


def _annotation_target(match: re.Match[str], surface: str) -> tuple[str, str]:
    if match.group("json"):
        try:
            spec = json.loads(match.group("json"))
        except json.JSONDecodeError as error:
            raise TrainingDataError(f"bad entity annotation {match.group(0)!r}: {error}") from None
        return str(spec["entity"]), str(spec.get("value", surface))
    entity, _, value = match.group("short").partition(":")
    return entity.strip(), (value.strip() or surface)


def _lines(block: object) -> list[str]:
    if isinstance(block, list):
        return [str(item).strip() for item in block]
    return [line.strip()[2:].strip() for line in str(block or "").splitlines() if line.strip().startswith("- ")]


def parse(document: dict) -> TrainingData:
    """Training data from a parsed Rasa NLU YAML document."""
    data = TrainingData()
    for block in document.get("nlu") or []:
        if "intent" in block:
            intent = str(block["intent"])
            data.examples.extend(parse_example(line, intent) for line in _lines(block.get("examples")))
        elif "synonym" in block:
            for variant in _lines(block.get("examples")):
                data.synonyms[variant.lower()] = str(block["synonym"])
        elif "regex" in block:
            patterns = _lines(block.get("examples"))
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise TrainingDataError(
                        f"regex {block['regex']!r}: {pattern!r} does not compile: {error}"
                    ) from None
            data.regexes.setdefault(str(block["regex"]), []).extend(patterns)
        elif "lookup" in block:
            data.lookups.setdefault(str(block["lookup"]), []).extend(_lines(block.get("examples")))
    for example in data.examples:
        for span in example.entities:
            if span.value != example.text[span.start : span.end]:
                data.synonyms.setdefault(example.text[span.start : span.end].lower(), span.value)
    if not data.examples:
        raise TrainingDataError("no intent examples in the training data")
    return data


def load(path: Path) -> TrainingData:
    """Reads a Rasa ``nlu.yml`` file, or every YAML file under a folder (Rasa's ``data/``: files without an
    ``nlu`` key, stories and rules, add nothing)."""
    files = sorted(f for f in path.rglob("*") if f.suffix in (".yml", ".yaml")) if path.is_dir() else [path]
    merged: dict = {"nlu": []}
    for file in files:
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise TrainingDataError(f"cannot read {file}: {error}") from None
        merged["nlu"].extend(document.get("nlu") or [])
    return parse(merged)
