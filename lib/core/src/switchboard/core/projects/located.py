"""YAML read with the line of every mapping, sequence and string, so a problem can name its line.

``yaml.compose`` builds nodes whose ``start_mark`` holds the position; this loader keeps that mark on
the constructed values (``dict``/``list``/``str`` subclasses), so checks walk ordinary data and still
know where each piece came from. A syntax error becomes a ``Problem`` at the error's mark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from switchboard.core.projects.problems import Findings


class LocatedDict(dict):
    """A mapping with its own line and the line of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A sequence with its own line and the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class LocatedStr(str):
    """A string scalar with its line."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings, sequences and strings remember their line."""


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = _line(node)
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            key = str(key)  # an unhashable key is a mistake the checks report by its text
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = _line(key_node)
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = _line(node)
    result.item_lines = [_line(child) for child in node.value]
    return result


def _string(loader: _Loader, node: yaml.ScalarNode) -> LocatedStr:
    result = LocatedStr(loader.construct_scalar(node))
    result.line = _line(node)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor("tag:yaml.org,2002:str", _string)


def line_of(value: Any, default: int | None = None) -> int | None:
    """The line a located value starts on (``default`` for numbers, booleans and None)."""
    return getattr(value, "line", None) or default


def load(path: Path, findings: Findings) -> tuple[bool, Any]:
    """(True, document) when ``path`` parses; else (False, None) with a problem at the error's line.

    An empty file is the document None."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        findings.error(path, None, f"not UTF-8 text: {error.reason} at byte {error.start}")
        return False, None
    except OSError as error:
        findings.error(path, None, f"cannot read: {error.strerror}")
        return False, None
    try:
        return True, yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = error.problem or error.context or "cannot parse"
        if error.context and error.problem:
            opened = error.context_mark
            since = f" that starts at line {opened.line + 1}" if opened and opened.line != mark.line else ""
            reason += f" ({error.context}{since})"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        findings.error(path, line, f"broken YAML: {reason}", column)
        return False, None
    except yaml.YAMLError as error:
        findings.error(path, None, f"broken YAML: {error}")
        return False, None
