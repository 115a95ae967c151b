"""Tenant project validation: a clean project has no errors, and every kind of mistake is reported with
its file and line, without stopping the checks of other tenants."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.core.projects import Problem, Severity, validate_tenant, validate_tenants

FILES = {
    "tenant.yaml": """\
id: shop
name: {zh: 小店, en: Little Shop}
languages: [zh, en]
default_language: zh
""",
    "config.yml": """\
recipe: default.v1
policies:
  - name: RulePolicy
  - name: MemoizationPolicy
""",
    "domain.yml": """\
version: "3.1"
intents:
  - greet
  - human_agent
  - nlu_fallback
slots:
  language:
    type: categorical
    values: [zh, en]
    mappings:
      - type: custom
actions:
  - action_handoff
responses:
  utter_greet:
    - text: 您好！
    - condition: [{type: slot, name: language, value: en}]
      text: Hello!
  utter_default:
    - text: 抱歉，没听懂。
    - condition: [{type: slot, name: language, value: en}]
      text: Sorry, I did not get that.
""",
    "data/nlu.yml": """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - 你好
    - hello
- intent: human_agent
  examples: |
    - 转人工
    - a person please
""",
    "data/rules.yml": """\
version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
  - rule: a person
    steps:
      - intent: human_agent
      - action: action_handoff
  - rule: fallback
    steps:
      - intent: nlu_fallback
      - action: utter_default
""",
    "tests/test_stories.yml": """\
version: "3.1"
stories:
  - story: greet
    steps:
      - user: hello
        intent: greet
      - action: utter_greet
""",
    "channels.yaml": "web:\n  session_secret: s\n  rest_api_key: k\n",
    "agents.yaml": "agents: []\n",
    "handoff.yaml": "default_queue: general\n",
    "calibration.yml": "out_of_scope: [write me a poem]\n",
    "knowledge/returns.zh.md": "# 退货\n## 七天\n七天无理由退货。\n",
    "knowledge/returns.en.md": "# Returns\n## Seven days\nReturns within 7 days.\n",
}


def write_tenant(root: Path, tenant_id: str = "shop", **changes: str | None) -> Path:
    """A small valid tenant under ``root``; ``changes`` replace (or, with None, delete) files by name."""
    folder = root / tenant_id
    files = {**FILES, **{name.replace("__", "/").replace("_dot_", "."): text for name, text in changes.items()}}
    for name, text in files.items():
        if text is None:
            continue
        if name == "tenant.yaml":
            text = text.replace("id: shop", f"id: {tenant_id}")
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def only_error(problems: list[Problem]) -> Problem:
    found = errors(problems)
    assert len(found) == 1, "\n".join(p.format() for p in problems)
    return found[0]


def test_a_clean_project_has_no_problems(tmp_path: Path) -> None:
    assert validate_tenant(write_tenant(tmp_path)) == []


def test_broken_yaml_names_its_line_and_column(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "domain.yml", "  utter_greet:\n", "  utter_greet:\n   - text: [oops\n")
    problem = only_error(validate_tenant(folder))
    assert problem.file == folder / "domain.yml"
    # The error shows where the parser gave up, and the message where the unclosed list opened.
    assert problem.line == 17
    assert problem.column is not None
    assert problem.message.startswith("broken YAML")
    assert "starts at line 16" in problem.message
    assert problem.format(tmp_path).startswith("shop/domain.yml:17:")


def test_a_broken_file_does_not_stop_the_other_checks(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path, handoff_dot_yaml="reasons: {a: 1\n")
    edit(folder, "config.yml", "RulePolicy", "RulesPolicy")
    found = errors(validate_tenant(folder))
    assert {p.file.name for p in found} == {"handoff.yaml", "config.yml"}


def test_unknown_policy_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "config.yml", "MemoizationPolicy", "MemorisationPolicy")
    problem = only_error(validate_tenant(folder))
    assert (problem.file.name, problem.line) == ("config.yml", 4)
    assert "unknown policy MemorisationPolicy" in problem.message
    assert "did you mean MemoizationPolicy" in problem.message


def test_a_policy_removed_in_rasa_3_names_its_replacement(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "config.yml", "MemoizationPolicy", "FormPolicy")
    assert "removed in Rasa 3; use RulePolicy" in only_error(validate_tenant(folder)).message


def test_a_policy_module_path_that_cannot_be_found_is_only_a_warning(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "config.yml", "MemoizationPolicy", "no_such_package.policies.MyPolicy")
    [problem] = validate_tenant(folder)
    assert problem.severity is Severity.WARNING
    assert problem.line == 4
    assert "no_such_package.policies cannot be found" in problem.message


def test_a_policy_shipped_in_the_project_is_found_without_importing_it(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    (folder / "policies.py").write_text("raise RuntimeError('never imported')\nclass MyPolicy: ...\n")
    edit(folder, "config.yml", "MemoizationPolicy", "policies.MyPolicy")
    assert validate_tenant(folder) == []
    edit(folder, "config.yml", "policies.MyPolicy", "policies.OtherPolicy")
    [problem] = validate_tenant(folder)
    assert "defines no class OtherPolicy" in problem.message


def test_pipeline_components_are_warnings_that_say_why(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(
        folder,
        "config.yml",
        "policies:",
        "pipeline:\n  - name: WhitespaceTokenizer\n  - name: DIETClassifier\npolicies:",
    )
    problems = validate_tenant(folder)
    assert [(p.severity, p.line) for p in problems] == [(Severity.WARNING, 3), (Severity.WARNING, 4)]
    assert "WhitespaceTokenizer does not run: the NLU service tokenizes" in problems[0].message
    assert "DIETClassifier does not run: intents come from" in problems[1].message


def test_duplicate_intent_names_both_places(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    nlu = folder / "data" / "nlu.yml"
    nlu.write_text(nlu.read_text() + "- intent: greet\n  examples: |\n    - hi there\n")
    problem = only_error(validate_tenant(folder))
    assert (problem.file.name, problem.line) == ("nlu.yml", 11)
    assert "intent 'greet' is defined twice (first at line 3)" in problem.message


def test_the_same_example_in_two_intents_is_an_error(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "data/nlu.yml", "    - a person please", "    - Hello")
    assert "also an example of 'greet'" in only_error(validate_tenant(folder)).message


def test_intents_missing_from_the_domain_and_from_the_data(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "domain.yml", "  - human_agent\n", "  - goodbye\n")
    problems = validate_tenant(folder)
    messages = {(p.severity, p.file.name, p.message.split(":")[0]) for p in problems}
    assert (Severity.ERROR, "nlu.yml", "intent 'human_agent' has NLU examples but the domain lacks it") in messages
    assert (Severity.WARNING, "domain.yml", "intent 'goodbye' has no NLU examples") in messages
    # The rule and the test story that name it are errors too, at their lines.
    assert any(
        p.file.name == "rules.yml" and p.line == 9 and "'human_agent' is not in the domain" in p.message
        for p in problems
    )


def test_stories_naming_unknown_actions_responses_forms_and_slots(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    stories = folder / "data" / "stories.yml"
    stories.write_text(
        'version: "3.1"\nstories:\n  - story: s\n    steps:\n      - intent: greet\n'
        "      - action: utter_welcome\n      - action: action_refund\n      - active_loop: order_form\n"
        "      - slot_was_set:\n          - order_id: SB1\n",
        encoding="utf-8",
    )
    found = {(p.line, p.message) for p in errors(validate_tenant(folder))}
    assert found == {
        (6, "'s': response 'utter_welcome' is not in the domain"),
        (7, "'s': action 'action_refund' is not in the domain"),
        (8, "'s': active_loop 'order_form' is not a domain form"),
        (10, "'s': slot 'order_id' is not in the domain"),
    }


def test_a_response_in_one_language_only(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "domain.yml", "    - condition: [{type: slot, name: language, value: en}]\n      text: Hello!\n", "")
    problem = only_error(validate_tenant(folder))
    assert (problem.file.name, problem.line) == ("domain.yml", 15)
    assert "response 'utter_greet' has a variation in zh only, none in en" in problem.message


def test_a_single_language_tenant_needs_no_conditions(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "tenant.yaml", "languages: [zh, en]\ndefault_language: zh", "languages: [en]\ndefault_language: en")
    edit(
        folder,
        "domain.yml",
        "    - text: 您好！\n    - condition: [{type: slot, name: language, value: en}]\n",
        "    - ",
    )
    problems = validate_tenant(folder)
    assert not errors(problems)
    # The other response's zh variation is now spoken in a language the tenant does not have.
    assert [p.message for p in problems if "not a tenant language" in p.message] == []


def test_a_custom_action_without_an_action_server(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "domain.yml", "  - action_handoff\n", "  - action_handoff\n  - action_check_order\n")
    problem = only_error(validate_tenant(folder))
    assert (problem.file.name, problem.line) == ("domain.yml", 14)
    assert "custom action 'action_check_order' needs an action server" in problem.message
    (folder / "endpoints.yml").write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n")
    assert validate_tenant(folder) == []
    (folder / "endpoints.yml").write_text("action_endpoint:\n  url: 127.0.0.1:5055\n")
    problem = only_error(validate_tenant(folder))
    assert (problem.file.name, problem.line) == ("endpoints.yml", 2)


def test_tenant_yaml_rules_name_the_field_line(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "tenant.yaml", "default_language: zh", "default_language: zh\ntimezone: Mars/Olympus")
    problem = only_error(validate_tenant(folder))
    assert (problem.file.name, problem.line) == ("tenant.yaml", 5)
    assert "unknown time zone" in problem.message
    edit(folder, "tenant.yaml", "timezone: Mars/Olympus", "colour: blue")
    problem = only_error(validate_tenant(folder))
    assert (problem.line, problem.message.split(":")[0]) == (5, "colour")


def test_tenant_id_must_match_the_folder(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    edit(folder, "tenant.yaml", "id: shop", "id: other")
    assert "must match its folder name 'shop'" in only_error(validate_tenant(folder)).message


def test_knowledge_file_names_text_and_languages(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    (folder / "knowledge" / "Returns.md").write_text("# x\n## y\nz\n")
    (folder / "knowledge" / "empty.en.md").write_text("# Only a title\n")
    (folder / "knowledge" / "long.zh.md").write_text("# 长\n## 一\n" + "很" * 1600 + "\n")
    problems = validate_tenant(folder)
    by_file = {(p.file.name, p.severity, p.line): p.message for p in problems}
    assert "<topic>.<lang>.md" in by_file[("Returns.md", Severity.ERROR, None)]
    assert "no text" in by_file[("empty.en.md", Severity.ERROR, 1)]
    assert "at most 1500" in by_file[("long.zh.md", Severity.ERROR, 2)]
    assert "only long.zh.md answers this topic" in by_file[("long.en.md", Severity.WARNING, None)]


def test_missing_files_are_named(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path, config_dot_yml=None, channels_dot_yaml=None)
    problems = validate_tenant(folder)
    assert [(p.file.name, p.severity) for p in problems] == [
        ("channels.yaml", Severity.WARNING),
        ("config.yml", Severity.ERROR),
    ]


def test_a_domain_folder_is_merged(tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)
    text = (folder / "domain.yml").read_text()
    (folder / "domain.yml").unlink()
    head, responses = text.split("responses:\n")
    (folder / "domain").mkdir()
    (folder / "domain" / "core.yml").write_text(head)
    (folder / "domain" / "responses.yml").write_text('version: "3.1"\nresponses:\n' + responses)
    assert validate_tenant(folder) == []


def test_one_broken_tenant_does_not_stop_the_others(tmp_path: Path) -> None:
    write_tenant(tmp_path, "alpha", domain_dot_yml="intents: [greet\n")
    write_tenant(tmp_path, "beta")
    (tmp_path / "gamma").mkdir()  # an empty folder: every required file is missing
    reports = {report.tenant_id: report for report in validate_tenants(tmp_path)}
    assert sorted(reports) == ["alpha", "beta", "gamma"]
    assert not reports["alpha"].ok and "broken YAML" in reports["alpha"].errors[0].message
    assert reports["beta"].ok and reports["beta"].summary() == "beta: ok (0 errors, 0 warnings)"
    assert {p.file.name for p in reports["gamma"].errors} >= {"config.yml", "tenant.yaml", "domain.yml", "data"}


@pytest.mark.parametrize("name", ["channels.yaml", "tenant.yaml"])
def test_a_file_that_is_not_a_mapping(tmp_path: Path, name: str) -> None:
    folder = write_tenant(tmp_path)
    (folder / name).write_text("- a\n- list\n")
    problem = only_error(validate_tenant(folder))
    assert (problem.file.name, problem.line) == (name, 1)
