"""A tenant's profile is derived from its Rasa project: task intents, reference ids, the look-up intent, facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.core.projects.profile import ProfileError, load_profile
from switchboard.core.testing import full_width
from switchboard.core.testing.plugin import repo_root

TENANTS = repo_root() / "tenants"

# What `rasa init` writes (trimmed): no forms, no custom actions, no regexes.
RASA_INIT = {
    "domain.yml": """\
version: "3.1"
intents: [greet, goodbye, affirm, deny, mood_great, mood_unhappy, bot_challenge]
responses:
  utter_greet:
  - text: "Hey! How are you?"
  utter_happy:
  - text: "Great, carry on!"
""",
    "data/nlu.yml": """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hello
- intent: mood_great
  examples: |
    - perfect
""",
    "data/stories.yml": """\
version: "3.1"
stories:
- story: happy path
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy
""",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_demo_shop() -> None:
    profile = load_profile(TENANTS / "demo")
    assert profile.task_intents == {
        "check_order",
        "return_item",
        "damaged_item",
        "refund_status",
        "change_address",
        "invoice",
    }
    assert [ref.entity for ref in profile.reference_ids] == ["order_id"]
    # Every order task asks for the order id first: arbitration.yml names the look-up.
    assert profile.lookup_intent == "check_order"
    assert profile.case_entities == {"order_id", "phone_last4", "phone_number"}
    assert "order_id" in profile.fact_entities and "product" in profile.fact_entities
    assert "language" not in profile.fact_entities and "offered_task" not in profile.fact_entities
    assert profile.offers_tasks
    assert profile.reference_in("订单号" + full_width("SB1005")) == ("order_id", "SB1005")
    assert profile.reference_in("sb 1005") == ("order_id", "SB1005")


def test_the_broadband_helpdesk() -> None:
    profile = load_profile(TENANTS / "broadband")
    # Yes, no and stop run custom actions too, but are no tasks.
    assert profile.task_intents == {"check_outage", "report_fault", "check_bill", "change_plan"}
    assert [ref.entity for ref in profile.reference_ids] == ["account_id"]
    # Its NLU data trains `inform` on bare account numbers ("- [LN100004](account_id)").
    assert profile.lookup_intent == "inform"
    assert profile.case_entities == {"account_id"}
    assert profile.fact_entities == ("account_id",)
    assert not profile.offers_tasks
    assert profile.references_in("LN100004, ln 100002 and SB1002") == ["LN100002", "LN100004"]
    assert profile.reference_in(full_width("LN100004")) == ("account_id", "LN100004")


def test_a_rasa_init_project_has_no_tasks_and_no_reference_ids(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, RASA_INIT))
    assert profile.task_intents == frozenset()
    assert profile.reference_ids == ()
    assert profile.lookup_intent is None
    assert profile.case_entities == frozenset()
    assert profile.fact_entities == ()
    assert profile.references_in("SB1002 LN100004") == []
    assert profile.reference_in("SB1002") is None
    assert profile.without_references("SB1002 3721") == "SB1002 3721"


def test_a_folder_without_a_project_has_an_empty_profile(tmp_path: Path) -> None:
    profile = load_profile(tmp_path)
    assert profile.intents == frozenset() and profile.task_intents == frozenset()


def test_a_custom_action_task_without_a_form_and_a_single_form_look_up(tmp_path: Path) -> None:
    files = {
        "domain.yml": """\
intents: [greet, affirm, weather, track_parcel]
entities: [parcel_id, city, language]
slots:
  parcel_id:
    type: text
    mappings: [{type: from_entity, entity: parcel_id}]
forms:
  parcel_form:
    required_slots: [parcel_id]
actions: [action_weather, action_answer_yes]
""",
        "data/rules.yml": """\
rules:
- rule: weather
  steps: [{intent: weather}, {action: action_weather}]
- rule: yes
  steps: [{intent: affirm}, {action: action_answer_yes}]
- rule: parcel
  steps: [{intent: track_parcel}, {action: parcel_form}, {active_loop: parcel_form}]
- rule: hello
  steps: [{intent: greet}, {action: utter_greet}]
""",
        "data/nlu.yml": """\
nlu:
- regex: parcel_id
  examples: |
    - PX\\d{8}
""",
    }
    profile = load_profile(write(tmp_path, files))
    assert profile.task_intents == {"weather", "track_parcel"}
    assert profile.lookup_intent == "track_parcel"
    assert profile.fact_entities == ("parcel_id", "city")
    assert profile.reference_in("my parcel px 12345678") == ("parcel_id", "PX12345678")


def test_arbitration_yml_overrides_and_is_checked(tmp_path: Path) -> None:
    write(tmp_path, RASA_INIT)
    write(tmp_path, {"arbitration.yml": "lookup_intent: mood_great\ntask_intents: [mood_unhappy]\n"})
    profile = load_profile(tmp_path)
    assert (profile.lookup_intent, profile.task_intents) == ("mood_great", {"mood_unhappy"})
    write(tmp_path, {"arbitration.yml": "lookup_intent: check_order\n"})
    with pytest.raises(ProfileError, match="check_order"):
        load_profile(tmp_path)
    write(tmp_path, {"arbitration.yml": "lookup: mood_great\n"})
    with pytest.raises(ProfileError, match=r"arbitration\.yml"):
        load_profile(tmp_path)


def test_a_regex_that_does_not_compile_names_its_file(tmp_path: Path) -> None:
    write(tmp_path, RASA_INIT)
    write(tmp_path, {"data/regex.yml": "nlu:\n- regex: broken\n  examples: |\n    - (SB\\d{4}\n"})
    with pytest.raises(ProfileError, match=r"regex\.yml"):
        load_profile(tmp_path)
