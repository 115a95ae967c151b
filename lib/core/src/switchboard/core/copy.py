"""Tenant copy: every text the platform itself says to a customer (phone prompts and menu, the WeChat notice,
handoff, rating and fallback messages, agent-hours phrases) and the slots it keeps to itself, per tenant and
per language.

The platform's copy is one shipped file, ``copy_defaults.yaml`` next to this module; a tenant's
``tenants/<id>/copy.yaml`` is merged over it (mapping by mapping, lists replaced), so a tenant writes only what
it words differently and a missing file means the defaults. This module is the one place that says which texts
exist and which placeholders each takes; services read the record, never a file.
"""

from __future__ import annotations

import copy as _copy
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from switchboard.core.language import DEFAULT_LANGUAGE, SUPPORTED
from switchboard.core.logs import get_logger
from switchboard.core.tenant_watch import Stamp, stamp_of

log = get_logger(__name__)

COPY_FILE = "copy.yaml"
DEFAULTS_FILE = "copy_defaults.yaml"


class CopyError(ValueError):
    """A copy file is unreadable or invalid; the message names the file and each key at fault."""


class Text(BaseModel, extra="forbid"):
    """One text in every language Switchboard serves."""

    zh: str
    en: str

    def of(self, language: str) -> str:
        """The text in ``language`` (a code such as ``en`` or a tag such as ``en-US``); the default language's
        text for a language Switchboard does not serve."""
        code = language.split("-")[0].lower()
        return str(getattr(self, code if code in SUPPORTED else DEFAULT_LANGUAGE))

    def format(self, language: str, **values: object) -> str:
        """The text in ``language`` with its placeholders filled."""
        return self.of(language).format(**values)


class MenuOption(BaseModel, extra="forbid"):
    """One option of the phone's keypad menu: the digit, what it is called, the message it sends."""

    digit: str
    label: Text
    payload: str


class VoiceCopy(BaseModel, extra="forbid"):
    greeting: Text
    filler: Text
    again: Text
    menu: Text
    press: Text
    give_up: Text
    transfer: Text
    anything_else: Text
    menu_options: list[MenuOption]


class WeChatCopy(BaseModel, extra="forbid"):
    unsupported_message: Text


class HandoffCopy(BaseModel, extra="forbid"):
    outside_hours: Text
    queued: Text
    queued_wait: Text
    with_agent: Text


class CsatCopy(BaseModel, extra="forbid"):
    prompt: Text


class BusinessCopy(BaseModel, extra="forbid"):
    zone_names: dict[str, Text]
    on_duty: Text
    off_duty: Text

    def zone_name(self, zone: str, language: str) -> str:
        """How the time zone ``zone`` is said: its name here, else its id."""
        named = self.zone_names.get(zone)
        return named.of(language) if named is not None else zone


class FallbackCopy(BaseModel, extra="forbid"):
    actions_unavailable: Text


class SlotsCopy(BaseModel, extra="forbid"):
    internal: list[str]


class TenantCopy(BaseModel, extra="forbid"):
    """What one tenant's customers are told by the platform, merged over the platform's defaults."""

    voice: VoiceCopy
    wechat: WeChatCopy
    handoff: HandoffCopy
    csat: CsatCopy
    business: BusinessCopy
    fallback: FallbackCopy
    slots: SlotsCopy

    def problems(self) -> list[CopyProblem]:
        """Placeholders each text must and may use, and menu rules: checked after the fields parse."""
        found: list[CopyProblem] = []
        for section_name in ("voice", "wechat", "handoff", "csat", "business", "fallback"):
            section = getattr(self, section_name)
            for field_name in _fields(section):
                value = getattr(section, field_name)
                if isinstance(value, Text):
                    found += _placeholder_problems((section_name, field_name), value)
        for zone, text in self.business.zone_names.items():
            found += _placeholder_problems(("business", "zone_names", zone), text, rule_key="business.zone_names")
        digits: set[str] = set()
        for index, option in enumerate(self.voice.menu_options):
            where = ("voice", "menu_options", str(index))
            if len(option.digit) != 1 or option.digit not in "0123456789":
                found.append(CopyProblem((*where, "digit"), "one digit, 0-9"))
            elif option.digit in digits:
                found.append(CopyProblem((*where, "digit"), f"digit {option.digit} is used twice"))
            digits.add(option.digit)
            if not option.payload.strip():
                found.append(CopyProblem((*where, "payload"), "the message the digit sends, such as /human_agent"))
            found += _placeholder_problems((*where, "label"), option.label, rule_key="voice.menu_options.label")
        return found


@dataclass(frozen=True, slots=True)
class Placeholders:
    """The placeholders a text must use (``required``) and may use (``optional``)."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


# Texts not named here take no placeholder. The services fill exactly these names.
PLACEHOLDERS: dict[str, Placeholders] = {
    "voice.greeting": Placeholders(optional=("name",)),
    "voice.press": Placeholders(required=("digit", "label")),
    "handoff.outside_hours": Placeholders(required=("ticket",), optional=("start", "end")),
    "handoff.queued": Placeholders(required=("position",), optional=("wait",)),
    "handoff.queued_wait": Placeholders(required=("minutes",)),
    "handoff.with_agent": Placeholders(optional=("agent",)),
}


@dataclass(frozen=True, slots=True)
class CopyProblem:
    """One mistake in a copy file: the key path (``voice.greeting.en``) and what is wrong."""

    key: tuple[str, ...]
    message: str

    def format(self) -> str:
        return f"{'.'.join(self.key)}: {self.message}" if self.key else self.message


def _fields(model: BaseModel) -> list[str]:
    fields = getattr(type(model), "model_fields", None) or model.__fields__  # pydantic 2, else 1
    return list(fields)


def _placeholder_problems(key: tuple[str, ...], text: Text, rule_key: str | None = None) -> list[CopyProblem]:
    rule = PLACEHOLDERS.get(rule_key or ".".join(key), Placeholders())
    allowed = set(rule.required) | set(rule.optional)
    takes = f"takes {', '.join('{' + name + '}' for name in sorted(allowed))}" if allowed else "takes no placeholder"
    found = []
    for code in SUPPORTED:
        where = (*key, code)
        try:
            used = [
                (name, spec, conversion)
                for _, name, spec, conversion in string.Formatter().parse(text.of(code))
                if name is not None
            ]
        except ValueError as error:
            found.append(CopyProblem(where, f"{error} (write a literal brace as {{{{ or }}}})"))
            continue
        names = {name for name, _, _ in used}
        for name, spec, conversion in used:
            if name not in allowed:
                found.append(CopyProblem(where, f"unknown placeholder {{{name}}}: this text {takes}"))
            elif spec or conversion:
                found.append(CopyProblem(where, f"placeholder {{{name}}}: write it plain, without a format"))
        for name in rule.required:
            if name not in names:
                found.append(CopyProblem(where, f"missing placeholder {{{name}}}: this text {takes}"))
    return found


@lru_cache(maxsize=1)
def _defaults_document() -> dict[str, Any]:
    text = resources.files("switchboard.core").joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merge key by key, any other value (a list too) replaces."""
    result = _copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = _copy.deepcopy(value)
    return result


def parse_copy(document: object) -> tuple[TenantCopy | None, list[CopyProblem]]:
    """A tenant's copy from the content of its ``copy.yaml`` (None: an empty file), with every problem found;
    the copy is None when there are problems."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        return None, [CopyProblem((), "expected a mapping of sections (voice:, wechat:, handoff:, ...)")]
    try:
        tenant_copy = TenantCopy(**merged(_defaults_document(), document))
    except ValidationError as error:
        return None, [CopyProblem(tuple(str(part) for part in e["loc"]), e["msg"]) for e in error.errors()]
    problems = tenant_copy.problems()
    return (None if problems else tenant_copy), problems


@lru_cache(maxsize=1)
def default_copy() -> TenantCopy:
    """The platform's copy, for a tenant without ``copy.yaml``."""
    tenant_copy, problems = parse_copy({})
    if tenant_copy is None:
        raise CopyError(f"{DEFAULTS_FILE}: {'; '.join(p.format() for p in problems)}")
    return tenant_copy


def load_copy(folder: Path) -> TenantCopy:
    """The copy of the tenant whose folder is ``folder``: its ``copy.yaml`` over the defaults, or the defaults."""
    path = folder / COPY_FILE
    if not path.exists():
        return default_copy()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CopyError(f"{path}: cannot read: {error}") from error
    tenant_copy, problems = parse_copy(document)
    if tenant_copy is None:
        raise CopyError(f"{path}: {'; '.join(problem.format() for problem in problems)}")
    return tenant_copy


class CopyCache:
    """Each tenant's copy for a service without a tenant watch of its own: read on first use, read again when
    its ``copy.yaml`` changes (one stat per look). A file that stops loading keeps the copy it replaced."""

    def __init__(self, tenants_dir: Path) -> None:
        self.tenants_dir = tenants_dir
        self._cached: dict[str, tuple[Stamp, TenantCopy]] = {}

    def get(self, tenant_id: str) -> TenantCopy:
        folder = self.tenants_dir / tenant_id
        stamp = stamp_of(folder, (COPY_FILE,))
        cached = self._cached.get(tenant_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            tenant_copy = load_copy(folder)
        except CopyError as error:
            log.error("tenant.copy.invalid", tenant_id=tenant_id, error=str(error))
            tenant_copy = cached[1] if cached is not None else default_copy()
        self._cached[tenant_id] = (stamp, tenant_copy)
        return tenant_copy

    def source(self, tenant_id: str) -> Callable[[], TenantCopy]:
        """A reader of one tenant's current copy, for the parts that serve that tenant only."""
        return lambda: self.get(tenant_id)
