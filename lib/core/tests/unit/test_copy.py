"""Tenant copy: the defaults, a tenant's file merged over them, and every kind of mistake named by file and key."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from switchboard.core.copy import (
    COPY_FILE,
    PLACEHOLDERS,
    CopyCache,
    CopyError,
    Text,
    default_copy,
    load_copy,
)
from switchboard.core.projects import validate_tenant

REPO = Path(__file__).resolve().parents[4]
DEFAULTS = REPO / "lib" / "core" / "src" / "switchboard" / "core" / "copy_defaults.yaml"


def _tenant(tmp_path: Path, text: str | None, name: str = "shop") -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    if text is not None:
        (folder / COPY_FILE).write_text(text, encoding="utf-8")
    return folder


def _keys(document: dict, prefix: str = "") -> list[str]:
    """Dotted keys down to the texts (a text is a mapping of language codes) and lists."""
    found = []
    for key, value in document.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and not set(value) <= {"zh", "en"} and key != "zone_names":
            found += _keys(value, dotted + ".")
        else:
            found.append(dotted)
    return found


def test_a_tenant_without_copy_yaml_gets_the_platform_defaults(tmp_path: Path) -> None:
    copy = load_copy(_tenant(tmp_path, None))
    assert copy == default_copy()
    defaults = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    assert copy.voice.greeting.of("en") == defaults["voice"]["greeting"]["en"]
    assert copy.handoff.outside_hours.of("zh") == defaults["handoff"]["outside_hours"]["zh"]
    # The platform's menu is a person only: the tasks behind other digits are the tenant's to name.
    assert [(o.digit, o.payload) for o in copy.voice.menu_options] == [("0", "/human_agent")]
    assert set(copy.slots.internal) == {"requested_slot", "session_started_metadata", "offered_handoff", "offered_task"}


def test_every_default_text_is_in_both_languages_and_keeps_its_placeholder_rules() -> None:
    copy = default_copy()
    assert copy.problems() == []
    press = copy.voice.press
    assert press.format("zh", digit=1, label="人工") != press.format("en", digit=1, label="agent")
    for key in PLACEHOLDERS:
        section, name = key.split(".")
        text = getattr(getattr(copy, section), name)
        assert isinstance(text, Text) and text.zh and text.en


def test_a_tenant_overrides_one_language_of_one_text_and_keeps_the_rest(tmp_path: Path) -> None:
    folder = _tenant(tmp_path, "handoff:\n  outside_hours:\n    en: 'Closed now ({start}-{end}); ticket {ticket}.'\n")
    copy = load_copy(folder)
    assert (
        copy.handoff.outside_hours.format("en", start="9", end="5", ticket="CB-1") == "Closed now (9-5); ticket CB-1."
    )
    assert copy.handoff.outside_hours.of("zh") == default_copy().handoff.outside_hours.of("zh")
    assert copy.voice == default_copy().voice


def test_a_list_replaces_the_default_list(tmp_path: Path) -> None:
    folder = _tenant(
        tmp_path,
        "voice:\n  menu_options:\n    - {digit: '1', label: {zh: 账单, en: bills}, payload: /check_bill}\n"
        "slots:\n  internal: [requested_slot, my_flag]\n",
    )
    copy = load_copy(folder)
    assert [(o.digit, o.label.of("en"), o.payload) for o in copy.voice.menu_options] == [("1", "bills", "/check_bill")]
    assert copy.slots.internal == ["requested_slot", "my_flag"]


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("voice:\n  greetin: {en: hi}\n", "voice.greetin", "xtra"),
        ("handoffs: {}\n", "handoffs", "xtra"),
        ("csat:\n  prompt: {fr: Notez-nous}\n", "csat.prompt.fr", ""),
        ("voice:\n  press: {en: 'Press {digit}'}\n", "voice.press.en", "missing placeholder {label}"),
        ("handoff:\n  queued: {zh: '请稍候{wait}'}\n", "handoff.queued.zh", "missing placeholder {position}"),
        ("wechat:\n  unsupported_message: {en: 'Hi {name}'}\n", "wechat.unsupported_message.en", "unknown placeholder"),
        ("voice:\n  greeting: {en: 'Hi {nam}'}\n", "voice.greeting.en", "unknown placeholder {nam}"),
        ("voice:\n  greeting: {en: 'Hi {name'}\n", "voice.greeting.en", "literal brace"),
        ("handoff:\n  queued_wait: {en: ' {minutes:>3}'}\n", "handoff.queued_wait.en", "without a format"),
        (
            "voice:\n  menu_options:\n    - {digit: '12', label: {zh: a, en: b}, payload: /x}\n",
            "voice.menu_options.0.digit",
            "one digit",
        ),
        (
            "voice:\n  menu_options:\n    - {digit: '1', label: {zh: a, en: b}, payload: /x}\n"
            "    - {digit: '1', label: {zh: c, en: d}, payload: /y}\n",
            "voice.menu_options.1.digit",
            "used twice",
        ),
        ("- a list\n", "", "expected a mapping"),
    ],
)
def test_mistakes_are_errors_naming_file_and_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    folder = _tenant(tmp_path, text)
    with pytest.raises(CopyError) as error:
        load_copy(folder)
    assert str(error.value).startswith(f"{folder / COPY_FILE}: ")
    assert f"{key}:" in str(error.value) and message in str(error.value), str(error.value)


def test_an_empty_or_commented_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_copy(_tenant(tmp_path, "# nothing worded differently\n")) == default_copy()


def test_a_broken_yaml_file_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = _tenant(tmp_path, "voice: [\n")
    with pytest.raises(CopyError, match=re.escape(str(folder / COPY_FILE))):
        load_copy(folder)


def test_texts_are_picked_by_code_or_tag_and_an_unserved_language_gets_the_default() -> None:
    text = Text(zh="你好", en="hello")
    assert (text.of("zh"), text.of("en"), text.of("en-US"), text.of("zh-CN"), text.of("fr")) == (
        "你好",
        "hello",
        "hello",
        "你好",
        "你好",
    )


def test_the_shipped_tenants_have_their_own_menus_and_slots() -> None:
    demo, broadband = load_copy(REPO / "tenants" / "demo"), load_copy(REPO / "tenants" / "broadband")
    assert {o.payload for o in demo.voice.menu_options} == {"/check_order", "/return_item", "/human_agent"}
    assert "order_items" in demo.slots.internal
    domain = yaml.safe_load((REPO / "tenants" / "broadband" / "domain.yml").read_text(encoding="utf-8"))
    payloads = {o.payload for o in broadband.voice.menu_options}
    assert payloads <= {f"/{intent}" for intent in domain["intents"]} and "/check_outage" in payloads
    assert "order_items" not in broadband.slots.internal
    assert "连通宽带" in broadband.wechat.unsupported_message.of("zh")
    assert "LinkNet" in broadband.wechat.unsupported_message.of("en")
    assert broadband.voice.greeting != demo.voice.greeting


def test_validate_reports_copy_mistakes_at_their_line(tmp_path: Path) -> None:
    folder = _tenant(tmp_path, "voice:\n  filler: {en: ok}\n  greetin: {en: hi}\n")
    problems = [p for p in validate_tenant(folder) if p.file.name == COPY_FILE]
    assert [(p.line, p.is_error) for p in problems] == [(3, True)]
    assert "voice.greetin" in problems[0].message


def test_the_cache_reads_a_changed_file_again_and_keeps_the_last_good_copy(tmp_path: Path) -> None:
    folder = _tenant(tmp_path, "csat:\n  prompt: {en: Rate us}\n")
    cache = CopyCache(tmp_path)
    read = cache.source("shop")
    assert read().csat.prompt.of("en") == "Rate us"
    path = folder / COPY_FILE
    path.write_text("csat:\n  prompt: {en: Rate us please}\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert read().csat.prompt.of("en") == "Rate us please"
    path.write_text("csat:\n  prompt: {en: 'Rate {us}'}\n", encoding="utf-8")
    os.utime(path, ns=(2, 2))
    assert read().csat.prompt.of("en") == "Rate us please"
    path.unlink()
    assert read() == default_copy()
    assert cache.get("other") == default_copy()


def test_the_readme_documents_every_key_with_its_default() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Tenant copy", 1)[1].split("\n## ", 1)[0]
    defaults = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    for key in _keys(defaults):
        assert f"`{key}`" in section, key
    for key, rule in PLACEHOLDERS.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{key}`"))
        for name in rule.required + rule.optional:
            assert f"{{{name}}}" in row, (key, name)
