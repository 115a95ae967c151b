"""What Rasa receives for an NLU reading: intent, ranking, entities, language, emotion."""

from __future__ import annotations

from switchboard.core.projects.profile import load_profile
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.assistant import metadata_of, parse_data_of
from switchboard.dialogue.testing import understood

DEMO = load_profile(repo_root() / "tenants" / "demo")
BROADBAND = load_profile(repo_root() / "tenants" / "broadband")


def test_reading_becomes_rasa_parse_data_with_the_language_entity() -> None:
    event = understood("c", "不对，订单号是 SB1003 😅", "deny", entities={"order_id": "SB1003"}, language="zh")
    data = parse_data_of(event, DEMO)
    assert data["intent"]["name"] == "deny"
    assert data["intent_ranking"][0]["name"] == "deny"
    assert data["text"] == "不对，订单号是 SB1003 😅"
    assert data["message_id"] == event.envelope.event_id
    order, language = data["entities"]
    assert (order["entity"], order["value"], order["start"], order["end"]) == ("order_id", "SB1003", 8, 14)
    assert (language["entity"], language["value"]) == ("language", "zh")


def test_mixed_language_leaves_the_conversation_language_alone() -> None:
    data = parse_data_of(understood("c", "SB1001 到哪了 thanks", "check_order", language="mixed"), DEMO)
    assert all(entity["entity"] != "language" for entity in data["entities"])


def test_no_reading_counts_as_not_understood() -> None:
    data = parse_data_of(understood("c", "……", ""), DEMO)
    assert data["intent"]["name"] == "nlu_fallback"


def test_an_id_nlu_missed_is_read_by_the_tenants_own_patterns() -> None:
    data = parse_data_of(understood("c", "ln 100004", "nlu_fallback", language="en"), BROADBAND)
    assert data["intent"]["name"] == "inform"
    assert ("account_id", "LN100004") in [(entity["entity"], entity["value"]) for entity in data["entities"]]
    # The shop's patterns know no account number.
    shop = parse_data_of(understood("c", "ln 100004", "nlu_fallback", language="en"), DEMO)
    assert shop["intent"]["name"] == "nlu_fallback"
    assert [entity["entity"] for entity in shop["entities"]] == ["language"]


def test_emotion_goes_to_the_metadata() -> None:
    metadata = metadata_of(understood("c", "气死了", "complaint", emotion="ANGRY", emotion_score=0.8))
    assert metadata["emotion"]["label"] == "ANGRY"
    assert abs(metadata["emotion"]["score"] - 0.8) < 1e-6
    assert metadata["channel"] == "CHANNEL_WEB"
