"""Writes benchmark items back as Rasa NLU YAML, so DIET trains on exactly our split."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

import yaml


def markup(text: str, entities: Iterable[dict]) -> str:
    """Rasa's inline annotation of ``text``: ``[surface](entity)`` or ``[surface]{"entity": .., "value": ..}``."""
    out, cursor = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        surface = text[entity["start"] : entity["end"]]
        out.append(text[cursor : entity["start"]])
        if entity.get("value", surface) == surface:
            out.append(f"[{surface}]({entity['entity']})")
        else:
            spec = json.dumps({"entity": entity["entity"], "value": entity["value"]}, ensure_ascii=False)
            out.append(f"[{surface}]{spec}")
        cursor = entity["end"]
    out.append(text[cursor:])
    return "".join(out)


def _block(lines: Iterable[str]) -> str:
    return "".join(f"- {line}\n" for line in lines)


class _Literal(str):
    pass


def _literal(dumper: yaml.Dumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


yaml.add_representer(_Literal, _literal, Dumper=yaml.SafeDumper)


def to_rasa_yaml(
    items: Iterable, synonyms: dict[str, str] | None = None, regexes: dict | None = None, lookups: dict | None = None
) -> str:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_intent[item.intent].append(markup(item.text, item.entities))
    blocks: list[dict] = [
        {"intent": intent, "examples": _Literal(_block(lines))} for intent, lines in sorted(by_intent.items())
    ]
    grouped: dict[str, list[str]] = defaultdict(list)
    for variant, canonical in (synonyms or {}).items():
        grouped[canonical].append(variant)
    blocks += [
        {"synonym": canonical, "examples": _Literal(_block(variants))}
        for canonical, variants in sorted(grouped.items())
    ]
    blocks += [
        {"regex": name, "examples": _Literal(_block(patterns))} for name, patterns in sorted((regexes or {}).items())
    ]
    blocks += [
        {"lookup": name, "examples": _Literal(_block(values))} for name, values in sorted((lookups or {}).items())
    ]
    return yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False, width=10_000)
