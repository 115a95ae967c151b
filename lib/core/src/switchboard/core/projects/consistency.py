"""Checks across the Rasa project's files: NLU data against the domain, stories and rules against the
domain, responses in every tenant language, and custom actions against ``endpoints.yml``."""

from __future__ import annotations

import re

from switchboard.core.projects.located import LocatedDict, line_of
from switchboard.core.projects.problems import Findings
from switchboard.core.projects.project import Place, Project
from switchboard.core.projects.rasa_names import DEFAULT_ACTIONS, DEFAULT_INTENTS, DEFAULT_SLOTS, PLATFORM_ACTIONS


def check_nlu_data(project: Project, findings: Findings) -> None:
    first_block: dict[str, Place] = {}
    for intent, place in project.data.intent_blocks:
        if intent in first_block:
            first = first_block[intent]
            findings.error(
                place.file,
                place.line,
                f"intent {intent!r} is defined twice (first at {_where(first, place)}): merge the examples into one",
            )
        else:
            first_block[intent] = place
    seen: dict[str, tuple[str, Place]] = {}
    for text, intent, place in project.data.examples:
        key = " ".join(text.lower().split())
        if key in seen:
            other_intent, other = seen[key]
            if other_intent != intent:
                findings.error(
                    place.file,
                    place.line,
                    f"example {text!r} of {intent!r} is also an example of {other_intent!r} ({_where(other, place)})",
                )
            else:
                findings.warning(place.file, place.line, f"example {text!r} appears twice in intent {intent!r}")
        else:
            seen[key] = (intent, place)
    domain = project.domain
    if not domain.files or not any(path in project.documents for path in domain.files):
        return
    for intent, place in first_block.items():
        if intent not in domain.intents:
            findings.error(place.file, place.line, f"intent {intent!r} has NLU examples but the domain lacks it")
    for intent, place in domain.intents.items():
        if intent not in first_block and intent not in DEFAULT_INTENTS:
            findings.warning(place.file, place.line, f"intent {intent!r} has no NLU examples: NLU never predicts it")


def check_steps(project: Project, findings: Findings) -> None:
    domain = project.domain
    if not any(path in project.documents for path in domain.files):
        return
    actions = set(domain.actions) | set(domain.responses) | set(domain.forms) | DEFAULT_ACTIONS
    for step in [*project.data.steps, *project.data.test_steps]:
        where = f"{step.story!r}"
        if step.kind == "intent" and step.name not in domain.intents and step.name not in DEFAULT_INTENTS:
            findings.error(step.place.file, step.place.line, f"{where}: intent {step.name!r} is not in the domain")
        elif step.kind == "action" and step.name not in actions:
            kind = "response" if step.name.startswith("utter_") else "action"
            findings.error(step.place.file, step.place.line, f"{where}: {kind} {step.name!r} is not in the domain")
        elif step.kind == "active_loop" and step.name not in domain.forms and step.name != "null":
            findings.error(step.place.file, step.place.line, f"{where}: active_loop {step.name!r} is not a domain form")
        elif step.kind == "slot" and step.name not in domain.slots and step.name not in DEFAULT_SLOTS:
            findings.error(step.place.file, step.place.line, f"{where}: slot {step.name!r} is not in the domain")
    for name, place in domain.actions.items():
        if name.startswith("utter_") and name not in domain.responses:
            findings.warning(place.file, place.line, f"action {name!r} has no response: only an action server runs it")


def check_response_languages(project: Project, languages: tuple[list[str], str] | None, findings: Findings) -> None:
    """A response must speak every tenant language: the variation without a ``language`` condition is
    the default language's, each other is marked ``condition: [{type: slot, name: language, value: <code>}]``."""
    if languages is None:
        return
    wanted, default = languages
    for name, response in project.domain.responses.items():
        if not response.variations:
            continue
        spoken = {language or default for language, _ in response.variations}
        for language, line in response.variations:
            if language is not None and language not in wanted:
                findings.warning(response.place.file, line, f"response {name!r}: {language!r} is not a tenant language")
        missing = [code for code in wanted if code not in spoken]
        if missing:
            have = ", ".join(sorted(spoken))
            findings.error(
                response.place.file,
                response.place.line,
                f"response {name!r} has a variation in {have} only, none in {', '.join(missing)}: add one with "
                f"condition: [{{type: slot, name: language, value: {missing[0]}}}]",
            )


def custom_actions(project: Project) -> dict[str, Place]:
    """Domain actions that only an action server can run: neither responses, forms, Rasa's nor the platform's."""
    domain = project.domain
    return {
        name: place
        for name, place in domain.actions.items()
        if not name.startswith("utter_")
        and name not in PLATFORM_ACTIONS
        and name not in DEFAULT_ACTIONS
        and name not in domain.forms
    }


_ENV_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-(?P<default>[^}]*))?\}(?P<rest>.*)$")


def _env_default(url: str) -> str:
    """The url as written, or for ``${VAR:-default}...`` the default (checked where the variable is unset);
    a bare ``${VAR}`` is taken on trust: its value exists only where the service runs."""
    match = _ENV_REFERENCE.match(url)
    if match is None:
        return url
    default = match.group("default")
    return (default + match.group("rest")) if default is not None else "http://"


def check_action_endpoint(project: Project, findings: Findings) -> None:
    path = project.folder / "endpoints.yml"
    document = project.documents.get(path)
    endpoint = document.get("action_endpoint") if isinstance(document, LocatedDict) else None
    url = endpoint.get("url") if isinstance(endpoint, dict) else None
    if endpoint is not None and not (isinstance(url, str) and _env_default(url).startswith(("http://", "https://"))):
        line = line_of(endpoint, document.line_of("action_endpoint"))
        findings.error(path, line, "action_endpoint: url must be an http:// or https:// address of the action server")
        return
    if url or path in project.broken:
        return
    for name, place in custom_actions(project).items():
        findings.error(
            place.file,
            place.line,
            f"custom action {name!r} needs an action server: set action_endpoint: url: in endpoints.yml",
        )


def _where(first: Place, here: Place) -> str:
    if first.file == here.file:
        return f"line {first.line}"
    return f"{first.file.name}:{first.line}"
