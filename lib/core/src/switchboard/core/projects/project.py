"""A tenant folder read once: every YAML file parsed with lines, the domain merged, the training data indexed.

The checks work on this index (``Project``) and never read files themselves, so a broken file is
reported once and the other checks go on with what did parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from switchboard.core.projects import located
from switchboard.core.projects.located import LocatedDict, LocatedList, line_of
from switchboard.core.projects.problems import Findings

YAML_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a name is defined or used."""

    file: Path
    line: int | None


@dataclass(slots=True)
class Response:
    """One domain response: its variations' languages (None: no language condition) and their lines."""

    place: Place
    variations: list[tuple[str | None, int | None]] = field(default_factory=list)


@dataclass(slots=True)
class Domain:
    """The domain of the project, merged over ``domain.yml`` or every file of ``domain/``."""

    files: list[Path] = field(default_factory=list)
    intents: dict[str, Place] = field(default_factory=dict)
    entities: dict[str, Place] = field(default_factory=dict)
    slots: dict[str, Place] = field(default_factory=dict)
    actions: dict[str, Place] = field(default_factory=dict)
    forms: dict[str, Place] = field(default_factory=dict)
    responses: dict[str, Response] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a story, rule or test story: ``kind`` is intent, action, active_loop or slot."""

    kind: str
    name: str
    place: Place
    story: str


@dataclass(slots=True)
class TrainingData:
    """The ``nlu:`` intent blocks and the steps of every story and rule under ``data/`` (and ``tests/``)."""

    intent_blocks: list[tuple[str, Place]] = field(default_factory=list)
    examples: list[tuple[str, str, Place]] = field(default_factory=list)  # (text, intent, place)
    steps: list[Step] = field(default_factory=list)
    test_steps: list[Step] = field(default_factory=list)


@dataclass(slots=True)
class Project:
    """Everything the checks need of one tenant folder."""

    folder: Path
    documents: dict[Path, Any] = field(default_factory=dict)  # every YAML file that parsed
    broken: set[Path] = field(default_factory=set)
    domain: Domain = field(default_factory=Domain)
    data: TrainingData = field(default_factory=TrainingData)

    def document(self, name: str) -> Any:
        return self.documents.get(self.folder / name)

    def has(self, name: str) -> bool:
        return (self.folder / name) in self.documents


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files a Rasa project or our loaders read: the folder's own, ``domain/``, ``data/``, ``tests/``."""
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES]
    for sub in ("domain", "data", "tests"):
        if (folder / sub).is_dir():
            found.extend(p for p in (folder / sub).rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)
    return sorted(found)


def read_project(folder: Path, findings: Findings) -> Project:
    project = Project(folder)
    for path in yaml_files(folder):
        ok, document = located.load(path, findings)
        if ok:
            project.documents[path] = document
        else:
            project.broken.add(path)
    _read_domain(project, findings)
    for path, document in project.documents.items():
        relative = path.relative_to(folder).parts
        if relative[0] in ("data", "tests") and isinstance(document, dict):
            _read_training(path, document, project.data, findings, test=relative[0] == "tests")
    return project


def domain_files(folder: Path) -> list[Path]:
    if (folder / "domain").is_dir():
        return sorted(p for p in (folder / "domain").rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)
    return [folder / "domain.yml"] if (folder / "domain.yml").is_file() else []


def _names(value: Any) -> list[tuple[str, int | None, Any]]:
    """Names of a domain list whose items are ``name`` or ``{name: options}``; a mapping works too."""
    found: list[tuple[str, int | None, Any]] = []
    if isinstance(value, LocatedList):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                found.extend((str(key), value.line_of(index), options) for key, options in item.items())
            elif item is not None:
                found.append((str(item), value.line_of(index), None))
    elif isinstance(value, LocatedDict):
        found.extend((str(key), value.line_of(key), options) for key, options in value.items())
    return found


def _read_domain(project: Project, findings: Findings) -> None:
    domain = project.domain
    domain.files = domain_files(project.folder)
    for path in domain.files:
        document = project.documents.get(path)
        if document is None:
            continue
        if not isinstance(document, dict):
            findings.error(path, line_of(document, 1), "a domain file is a mapping (intents:, responses:, ...)")
            continue
        for section, target in (
            ("intents", domain.intents),
            ("entities", domain.entities),
            ("slots", domain.slots),
            ("actions", domain.actions),
            ("forms", domain.forms),
        ):
            for name, line, _ in _names(document.get(section)):
                if name in target and section in ("intents", "actions", "slots", "forms"):
                    first = target[name]
                    findings.error(
                        path, line, f"{section[:-1]} {name!r} is declared twice (first at {_where(first, path)})"
                    )
                    continue
                target[name] = Place(path, line)
        responses = document.get("responses")
        if isinstance(responses, LocatedDict):
            for name, variations in responses.items():
                _read_response(domain, path, str(name), responses.line_of(name), variations, findings)


def _read_response(domain: Domain, path: Path, name: str, line: int, variations: Any, findings: Findings) -> None:
    if name in domain.responses:
        first = domain.responses[name].place
        findings.error(path, line, f"response {name!r} is declared twice (first at {_where(first, path)})")
        return
    response = Response(Place(path, line))
    domain.responses[name] = response
    if not isinstance(variations, LocatedList) or not variations:
        findings.error(path, line, f"response {name!r} needs a list of variations (- text: ...)")
        return
    for index, variation in enumerate(variations):
        if not isinstance(variation, dict):
            findings.error(path, variations.line_of(index), f"response {name!r}: a variation is a mapping (text: ...)")
            continue
        response.variations.append((_language_condition(variation.get("condition")), variations.line_of(index)))


def _language_condition(condition: Any) -> str | None:
    """The value a variation's condition requires of the ``language`` slot; None when it has none."""
    if not isinstance(condition, list):
        return None
    for item in condition:
        if isinstance(item, dict) and item.get("type") == "slot" and item.get("name") == "language":
            value = item.get("value")
            return None if value is None else str(value)
    return None


def _where(place: Place, here: Path) -> str:
    if place.file == here:
        return f"line {place.line}"
    return f"{place.file.name}:{place.line}"


def _read_training(path: Path, document: dict, data: TrainingData, findings: Findings, *, test: bool) -> None:
    blocks = document.get("nlu")
    if isinstance(blocks, LocatedList):
        for index, block in enumerate(blocks):
            if isinstance(block, dict) and "intent" in block:
                intent = str(block["intent"])
                place = Place(path, blocks.line_of(index))
                data.intent_blocks.append((intent, place))
                for text in _examples(block.get("examples")):
                    data.examples.append((text, intent, Place(path, line_of(block.get("examples"), place.line))))
    steps = data.test_steps if test else data.steps
    for section, kind in (("stories", "story"), ("rules", "rule")):
        entries = document.get(section)
        if entries is None:
            continue
        if not isinstance(entries, LocatedList):
            findings.error(path, line_of(entries, 1), f"{section}: expected a list of {section}")
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                findings.error(path, entries.line_of(index), f"{section}: each item is a mapping ({kind}: ..., steps:)")
                continue
            title = str(entry.get(kind) or f"{kind} at line {entries.line_of(index)}")
            for part in ("condition", "steps"):
                _read_steps(path, entry.get(part), title, steps)


def _examples(value: Any) -> list[str]:
    """Example texts of a block: Rasa's ``- text`` lines, or a list of strings / ``{text: ...}``."""
    if isinstance(value, str):
        return [line.strip()[2:].strip() for line in value.splitlines() if line.strip().startswith("- ")]
    if isinstance(value, list):
        return [str(item.get("text", "")) if isinstance(item, dict) else str(item) for item in value]
    return []


def _read_steps(path: Path, value: Any, title: str, steps: list[Step]) -> None:
    if not isinstance(value, LocatedList):
        return
    for index, step in enumerate(value):
        if not isinstance(step, dict):
            continue
        place = Place(path, value.line_of(index))
        for key in ("intent", "action", "active_loop"):
            name = step.get(key)
            if isinstance(name, str) and name:
                steps.append(Step(key, str(name), Place(path, step.line_of(key)), title))
        if isinstance(step.get("or"), list):
            _read_steps(path, step["or"], title, steps)
        slots = step.get("slot_was_set")
        if isinstance(slots, list):
            for item in slots:
                names = item.keys() if isinstance(item, dict) else [item]
                steps.extend(Step("slot", str(name), Place(path, line_of(item, place.line)), title) for name in names)
