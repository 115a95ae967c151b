"""What the platform reads of a tenant's Rasa project to treat its messages: tasks, reference ids, facts.

Dialogue (question-or-task arbitration), the generator (cache key, safety check) and handoff (the facts
agents see) must not know one tenant's intents or id formats; they take this record, derived once from
the project (``load_profile``):

- task intents: intents a rule or story answers by running a form or a custom action of the tenant
  (``action_*``/``validate_*``, not a platform action), except the conversation intents whose meaning
  the platform fixes (``affirm``, ``deny``, ``stop``, ...: a yes, a no and a cancel are no tasks);
- reference ids: the ``regex:`` entries of the NLU data (``order_id``, ``account_id``), read by
  ``reference_in``/``references_in`` full-width and spaced too ("SB1005" typed full-width, "sb 1005");
- the look-up intent a message that is only a reference id starts: the intent whose NLU examples
  include the bare id (``- [LN100004](account_id)``), else the one task intent whose form asks for
  the id first;
- case entities (a message naming one is about one case): the reference ids and the entities that
  fill a form's required slots;
- fact entities (shown to agents): every entity the domain declares but the platform's own.

Where derivation cannot decide, ``arbitration.yml`` in the tenant folder says it (both keys optional)::

    lookup_intent: check_order          # all six order tasks ask for the order id first
    task_intents: [check_order, ...]    # replaces the derived list
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from switchboard.core.projects.problems import Findings
from switchboard.core.projects.project import Project, _examples, read_project
from switchboard.core.projects.rasa_names import DEFAULT_ACTIONS, DEFAULT_INTENTS, PLATFORM_ACTIONS

SETTINGS_FILE = "arbitration.yml"
# Intents whose meaning the platform fixes (arbitration reads them by name): never a task, whatever runs.
CONVERSATION_INTENTS = frozenset(
    {"affirm", "deny", "stop", "greet", "goodbye", "thank", "chitchat", "human_agent", "complaint"}
    | {"policy_question", "business_info", "nlu_fallback"}
)
# Entities the dialogue service sets itself (the language of the message, the task arbitration offers).
PLATFORM_ENTITIES = frozenset({"language", "offered_task"})
# An example that is only one annotated entity: "[LN100004](account_id)", "[SB1002](order_id)。".
_BARE_EXAMPLE = re.compile(r"^\W*\[[^\]]+\]\((?P<entity>\w+)\)\W*$")
# Letters then digits, spaced or hyphenated ("sb 1005", "SB-1005"): joined, a candidate for the patterns.
_SPACED_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,8})[\s\-]*(\d+)(?![0-9])")


class ProfileError(ValueError):
    """A tenant's ``arbitration.yml`` or a ``regex:`` of its NLU data cannot be used; the message names the file."""


@dataclass(frozen=True, slots=True)
class ReferenceId:
    """One entity the tenant's NLU reads by regular expressions (Rasa's default: case-insensitive)."""

    entity: str
    patterns: tuple[re.Pattern[str], ...]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, id upper-cased) of every id in ``text``, which is already NFKC-normalized."""
        found = {(m.start(), m.end(), m.group().upper()) for p in self.patterns for m in p.finditer(text)}
        for match in _SPACED_ID.finditer(text):
            joined = (match.group(1) + match.group(2)).upper()
            if any(p.fullmatch(joined) for p in self.patterns):
                found.add((match.start(), match.end(), joined))
        return sorted(found)


@dataclass(frozen=True, slots=True)
class ProjectProfile:
    """The tenant's tasks, reference ids and facts, as its Rasa project declares them."""

    intents: frozenset[str] = frozenset()
    task_intents: frozenset[str] = frozenset()
    reference_ids: tuple[ReferenceId, ...] = ()
    lookup_intent: str | None = None
    case_entities: frozenset[str] = frozenset()
    fact_entities: tuple[str, ...] = ()
    # The domain has ``utter_offer_task``: a question about the customer's own case may offer the task.
    offers_tasks: bool = False

    def reference_spans(self, text: str) -> list[tuple[str, int, int, str]]:
        """(entity, start, end, id) of every reference id in the NFKC form of ``text``."""
        plain = normalized(text)
        return [(ref.entity, *span) for ref in self.reference_ids for span in ref.spans(plain)]

    def references_in(self, text: str) -> list[str]:
        """Every reference id ``text`` names, upper case, sorted, once each."""
        return sorted({value for *_, value in self.reference_spans(text)})

    def reference_in(self, text: str) -> tuple[str, str] | None:
        """(entity, id) of the one reference id ``text`` names; None for none or two different ones."""
        found = {(entity, value) for entity, _, _, value in self.reference_spans(text)}
        return found.pop() if len(found) == 1 else None

    def without_references(self, text: str) -> str:
        """The NFKC form of ``text`` with each reference id replaced by a space."""
        plain = normalized(text)
        for _, start, end, _ in sorted(self.reference_spans(plain), key=lambda span: -span[1]):
            plain = plain[:start] + " " + plain[end:]
        return plain


def normalized(text: str) -> str:
    """NFKC: full-width letters, digits and punctuation as their ASCII forms."""
    return unicodedata.normalize("NFKC", text or "").strip()


def load_profile(folder: Path) -> ProjectProfile:
    """The profile of the tenant whose Rasa project is ``folder``; a folder without one has an empty profile.

    Broken project files count as absent (``switchboard validate`` reports them); a broken
    ``arbitration.yml`` or ``regex:`` raises ``ProfileError``."""
    project = read_project(folder, Findings())
    settings = _settings(folder / SETTINGS_FILE)
    domain = _domain_sections(project)
    intents = frozenset(project.domain.intents)
    forms = _form_slots(domain["forms"])
    tasks = _task_intents(project, forms)
    if "task_intents" in settings:
        tasks = frozenset(_names(settings["task_intents"], folder / SETTINGS_FILE, "task_intents", intents))
    references = _reference_ids(project)
    reference_entities = {ref.entity for ref in references}
    slot_entities = _slot_entities(domain["slots"])
    lookup = settings.get("lookup_intent")
    if lookup is not None:
        [lookup] = _names([lookup], folder / SETTINGS_FILE, "lookup_intent", intents)
    else:
        lookup = _lookup_intent(project, reference_entities, tasks, forms, slot_entities)
    required = {slot for slots in forms.values() for slot in slots}
    case = reference_entities | {entity for slot in required for entity in slot_entities.get(slot, ())}
    return ProjectProfile(
        intents=intents,
        task_intents=tasks,
        reference_ids=references,
        lookup_intent=lookup,
        case_entities=frozenset(case),
        fact_entities=tuple(name for name in project.domain.entities if name not in PLATFORM_ENTITIES),
        offers_tasks="utter_offer_task" in project.domain.responses,
    )


def _settings(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ProfileError(f"{path}: cannot read: {error}") from error
    if document is None:
        return {}
    if not isinstance(document, dict) or set(document) - {"lookup_intent", "task_intents"}:
        raise ProfileError(f"{path}: expected a mapping with lookup_intent and/or task_intents")
    return document


def _names(value: Any, path: Path, key: str, intents: frozenset[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProfileError(f"{path}: {key}: expected intent names")
    unknown = [item for item in value if item not in intents]
    if unknown:
        raise ProfileError(f"{path}: {key}: not intents of the domain: {', '.join(unknown)}")
    return list(value)


def _domain_sections(project: Project) -> dict[str, dict[str, Any]]:
    """The ``slots:`` and ``forms:`` mappings of every domain file, merged."""
    merged: dict[str, dict[str, Any]] = {"slots": {}, "forms": {}}
    for path in project.domain.files:
        document = project.documents.get(path)
        if isinstance(document, dict):
            for section, target in merged.items():
                value = document.get(section)
                if isinstance(value, dict):
                    target.update({str(name): options for name, options in value.items()})
    return merged


def _form_slots(forms: dict[str, Any]) -> dict[str, list[str]]:
    """Each form's required slots, in the order it asks for them."""
    found = {}
    for name, options in forms.items():
        required = options.get("required_slots") if isinstance(options, dict) else None
        found[name] = [str(slot) for slot in required] if isinstance(required, list) else []
    return found


def _slot_entities(slots: dict[str, Any]) -> dict[str, list[str]]:
    """The entities each slot is filled from (its ``from_entity`` mappings)."""
    found: dict[str, list[str]] = {}
    for name, options in slots.items():
        mappings = options.get("mappings") if isinstance(options, dict) else None
        for mapping in mappings if isinstance(mappings, list) else []:
            if isinstance(mapping, dict) and mapping.get("type") == "from_entity" and mapping.get("entity"):
                found.setdefault(name, []).append(str(mapping["entity"]))
    return found


def _task_intents(project: Project, forms: dict[str, list[str]]) -> frozenset[str]:
    """Intents a rule or story answers with a form or one of the tenant's custom actions."""
    tasks = set()
    steps = project.data.steps
    for step, following in pairwise(steps):
        if step.kind != "intent" or following.kind != "action" or following.story != step.story:
            continue
        action = following.name
        custom = action.startswith(("action_", "validate_")) and action not in DEFAULT_ACTIONS | PLATFORM_ACTIONS
        if (action in forms or custom) and step.name not in CONVERSATION_INTENTS | DEFAULT_INTENTS:
            tasks.add(step.name)
    return frozenset(tasks & set(project.domain.intents)) if project.domain.intents else frozenset(tasks)


def _reference_ids(project: Project) -> tuple[ReferenceId, ...]:
    patterns: dict[str, list[re.Pattern[str]]] = {}
    for path, document in sorted(project.documents.items()):
        if path.relative_to(project.folder).parts[0] != "data" or not isinstance(document, dict):
            continue
        blocks = document.get("nlu")
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict) or "regex" not in block:
                continue
            entity = str(block["regex"])
            for text in _examples(block.get("examples")):
                try:
                    patterns.setdefault(entity, []).append(re.compile(text, re.IGNORECASE))
                except re.error as error:
                    raise ProfileError(f"{path}: regex {entity!r}: {text!r} does not compile: {error}") from None
    return tuple(ReferenceId(entity, tuple(found)) for entity, found in patterns.items())


def _lookup_intent(
    project: Project,
    references: set[str],
    tasks: frozenset[str],
    forms: dict[str, list[str]],
    slot_entities: dict[str, list[str]],
) -> str | None:
    """The intent trained on bare reference ids; else the one task whose form asks for one first."""
    bare = {
        intent
        for text, intent, _ in project.data.examples
        if (match := _BARE_EXAMPLE.match(text)) and match["entity"] in references
    }
    if len(bare) == 1:
        return bare.pop()
    if bare:
        return None
    first_asks = {form for form, slots in forms.items() if slots and set(slot_entities.get(slots[0], ())) & references}
    starting = {
        step.name
        for step, following in pairwise(project.data.steps)
        if step.kind == "intent" and following.kind == "action" and following.name in first_asks
    }
    starting &= tasks
    return starting.pop() if len(starting) == 1 else None
