"""``switchboard tenant new``: a complete tenant folder that validates and trains as written.

Static files come from ``templates/project`` (``$name`` placeholders); the language-dependent ones
(NLU data, domain, calibration, knowledge, test stories) are composed from ``templates/phrases.yml``
for the chosen languages. Secrets are generated here, at random, and the admin's password is
returned once and stored only as its scrypt hash.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml

from switchboard.core.language import SUPPORTED
from switchboard.core.tenants import TENANT_ID

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_CONDITION = "[{{type: slot, name: language, value: {code}}}]"


class ScaffoldError(ValueError):
    """The tenant cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class NewTenant:
    """What ``tenant new`` asks for."""

    tenant_id: str
    names: dict[str, str]
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scaffolded:
    """The tenant made: its folder, its files and the admin password (shown once, never stored)."""

    folder: Path
    files: tuple[Path, ...]
    admin_password: str


def parse_languages(text: str) -> tuple[str, ...]:
    """``zh,en`` as a tuple; the first is the default language."""
    codes = tuple(dict.fromkeys(code.strip() for code in text.split(",") if code.strip()))
    unknown = [code for code in codes if code not in SUPPORTED]
    if not codes or unknown:
        raise ScaffoldError(f"--languages: a comma-separated list of {', '.join(SUPPORTED)} (got {text!r})")
    return codes


def _quote(text: str) -> str:
    """A YAML scalar for any text: JSON strings are valid YAML."""
    return json.dumps(text, ensure_ascii=False)


def _hash_password(password: str) -> str:
    # The handoff service checks agents' passwords; its hash function is the one that must match.
    from switchboard.handoff.agents import hash_password

    return hash_password(password)


def scaffold(tenants_dir: Path, request: NewTenant) -> Scaffolded:
    """Writes ``tenants_dir/<id>/``; refuses a bad id or an existing folder (nothing is overwritten)."""
    if not TENANT_ID.match(request.tenant_id):
        rule = "2-32 characters: lowercase letters, digits and '-', starting with a letter"
        raise ScaffoldError(f"tenant id {request.tenant_id!r}: {rule}")
    target = tenants_dir / request.tenant_id
    if target.exists():
        raise ScaffoldError(f"{target} already exists; pick another id or remove the folder")
    tenants_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    values = _values(request, password)
    phrases = yaml.safe_load((TEMPLATES / "phrases.yml").read_text(encoding="utf-8"))
    files = {
        **_static_files(values),
        "data/nlu.yml": _nlu(phrases, request.languages),
        "domain.yml": _domain(phrases, request.languages, values),
        "calibration.yml": _calibration(phrases, request.languages),
        "tests/test_stories.yml": _test_stories(phrases, request.languages),
    }
    for code in request.languages:
        files[f"knowledge/{phrases['knowledge']['topic']}.{code}.md"] = phrases["knowledge"][code]
    files["actions/README.md"] = (
        "Custom actions of this tenant (a rasa_sdk action server) go here; see endpoints.yml.\n"
    )
    # Written in a sibling folder and renamed: a failure leaves no half-made tenant behind.
    staging = Path(tempfile.mkdtemp(prefix=f".{request.tenant_id}-", dir=tenants_dir))
    try:
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        os.chmod(staging, 0o755)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Scaffolded(target, tuple(sorted(target / name for name in files)), password)


def _values(request: NewTenant, password: str) -> dict[str, str]:
    names = {code: request.names.get(code) or request.tenant_id for code in SUPPORTED}
    phrases = yaml.safe_load((TEMPLATES / "phrases.yml").read_text(encoding="utf-8"))
    persona = phrases["persona"]
    languages = request.languages
    return {
        "tenant_id": request.tenant_id,
        "names": "\n".join(f"  {code}: {_quote(names[code])}" for code in languages),
        "name_zh": names["zh"],
        "name_en": names["en"],
        "languages": ", ".join(languages),
        "default_language": languages[0],
        "session_secret": secrets.token_urlsafe(32),
        "rest_api_key": secrets.token_urlsafe(32),
        "password_hash": _hash_password(password),
        "persona_names": "\n".join(f"    {code}: {_quote(persona['name'][code])}" for code in languages),
        "persona_styles": "\n".join(f"    {code}: {_quote(persona['style'][code])}" for code in languages),
    }


def _static_files(values: dict[str, str]) -> dict[str, str]:
    root = TEMPLATES / "project"
    return {
        path.relative_to(root).as_posix(): Template(path.read_text(encoding="utf-8")).substitute(values)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _nlu(phrases: dict, languages: tuple[str, ...]) -> str:
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in phrases["intents"].items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for code in languages for text in examples[code]]
    return "\n".join(lines) + "\n"


def _domain(phrases: dict, languages: tuple[str, ...], values: dict[str, str]) -> str:
    default = languages[0]
    intents = [*phrases["intents"], "nlu_fallback"]
    lines = [
        "# The assistant's domain. Every response has one variation per tenant language: the one without",
        f"# a condition is in the default language ({default}); the others are chosen by the `language`",
        "# slot, which the dialogue service fills each turn from the NLU reading.",
        'version: "3.1"',
        "",
        "session_config:",
        "  session_expiration_time: 60",
        "  carry_over_slots_to_new_session: true",
        "",
        "intents:",
        *(f"  - {name}" for name in intents),
        "",
        "entities:",
        "  - language",
        "",
        "slots:",
        "  language:",
        "    type: categorical",
        f"    values: [{', '.join(languages)}]",
        f"    initial_value: {default}",
        "    influence_conversation: false",
        "    mappings:",
        "      - type: from_entity",
        "        entity: language",
        "  # Set by the platform's actions: the task offered after an answer, and a person offered.",
        "  offered_task:",
        "    type: text",
        "    influence_conversation: false",
        "    mappings:",
        "      - type: custom",
        "  offered_handoff:",
        "    type: bool",
        "    initial_value: false",
        "    influence_conversation: false",
        "    mappings:",
        "      - type: custom",
        "",
        "# Run by the platform for every tenant (no action server needed).",
        "actions:",
        "  - action_generate_answer",
        "  - action_handoff",
        "",
        "responses:",
    ]
    for name, texts in phrases["responses"].items():
        lines.append(f"  {name}:")
        for code in languages:
            text = _quote(Template(texts[code]).substitute(values))
            if code == default:
                lines.append(f"    - text: {text}")
            else:
                lines += [f"    - condition: {LANGUAGE_CONDITION.format(code=code)}", f"      text: {text}"]
    return "\n".join(lines) + "\n"


def _calibration(phrases: dict, languages: tuple[str, ...]) -> str:
    lines = [
        "# Messages none of the intents fits. Training scores them to calibrate the nlu_fallback",
        "# threshold; they never train an intent. Add real out-of-scope questions your customers ask.",
        "out_of_scope:",
    ]
    lines += [f"  - {_quote(text)}" for code in languages for text in phrases["out_of_scope"][code]]
    return "\n".join(lines) + "\n"


def _test_stories(phrases: dict, languages: tuple[str, ...]) -> str:
    lines = [
        "# Conversations `switchboard test` runs through the running system, one story per language.",
        'version: "3.1"',
        "stories:",
    ]
    for code in languages:
        said = phrases["tests"][code]
        lines += [f"  - story: greet, thanks and goodbye ({code})", "    steps:"]
        for intent, response in (("greet", "utter_greet"), ("thank", "utter_thank"), ("goodbye", "utter_goodbye")):
            lines += [
                f"      - user: {_quote(said[intent])}",
                f"        intent: {intent}",
                f"      - action: {response}",
            ]
    return "\n".join(lines) + "\n"
