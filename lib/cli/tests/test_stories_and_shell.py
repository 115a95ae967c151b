"""``switchboard test`` and ``shell`` without a running system: reading test stories, matching replies
to the domain's responses in the conversation's language, the NLU report, and a clear error when the
system is not up."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.cli.main import main
from switchboard.cli.nlu_report import cross_validate, score
from switchboard.cli.rest import RestClient, RestError, rest_key
from switchboard.cli.stories import Turn, check_turn, conversation_language, read_responses, read_test_stories
from switchboard.core.testing import free_port


@pytest.fixture()
def tenant(tmp_path: Path) -> Path:
    assert main(["--tenants-dir", str(tmp_path), "tenant", "new", "acme", "--name-en", "Acme"]) == 0
    return tmp_path / "acme"


def test_the_scaffolded_test_stories_are_read_as_turns(tenant: Path) -> None:
    stories = read_test_stories(tenant / "tests" / "test_stories.yml")
    assert [story.name for story in stories] == ["greet, thanks and goodbye (zh)", "greet, thanks and goodbye (en)"]
    assert [(t.text, t.intent, t.actions) for t in stories[1].turns] == [
        ("hello", "greet", ["utter_greet"]),
        ("thank you", "thank", ["utter_thank"]),
        ("bye", "goodbye", ["utter_goodbye"]),
    ]
    assert not stories[0].problem


def test_a_story_that_cannot_be_sent_says_why(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_text("stories:\n  - story: s\n    steps:\n      - intent: greet\n      - action: utter_greet\n")
    [story] = read_test_stories(path)
    assert story.problem == "intent 'greet' has no user: text to send"


def test_replies_are_matched_in_the_conversation_language(tenant: Path) -> None:
    responses = read_responses(tenant, "zh")
    turn = Turn("hello", "greet", ["utter_greet"])
    english = "Hello, this is Acme's virtual assistant. How can I help?"
    assert check_turn(turn, [english], responses, "en") == ""
    assert "expected utter_greet in zh" in check_turn(turn, [english], responses, "zh")
    assert check_turn(turn, [], responses, "en") == "expected utter_greet in en, got 'no reply'"
    assert "unexpected reply 'more'" in check_turn(turn, [english, "more"], responses, "en")


def test_placeholders_match_any_text_and_custom_actions_any_reply(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text(
        "responses:\n  utter_hours:\n    - text: Agents work {start}-{end} ({timezone}).\n"
        "  utter_bye:\n    - text: Bye!\n"
    )
    responses = read_responses(tmp_path, "en")
    assert (
        check_turn(Turn("x", None, ["utter_hours"]), ["Agents work 09:00-21:00 (Asia/Shanghai)."], responses, "en")
        == ""
    )
    turn = Turn("x", None, ["action_check_order", "utter_bye"])
    assert check_turn(turn, ["Order SB1 shipped.", "Tracking: 123", "Bye!"], responses, "en") == ""
    assert check_turn(Turn("x", None, ["action_handoff"]), [], responses, "en") == ""
    assert "not a response of the domain" in check_turn(Turn("x", None, ["utter_nope"]), ["?"], responses, "en")


def test_conversation_language_follows_the_text() -> None:
    assert conversation_language("你好", "en", ["zh", "en"]) == "zh"
    assert conversation_language("hello", "zh", ["zh", "en"]) == "en"
    assert conversation_language("12345", "en", ["zh", "en"]) == "en"
    assert conversation_language("你好", "en", ["en"]) == "en"


def test_the_rest_key_is_read_from_channels_or_the_environment(tenant: Path, monkeypatch) -> None:
    assert len(rest_key(tenant)) >= 40
    (tenant / "channels.yaml").write_text("web:\n  rest_api_key: env:ACME_REST_KEY\n")
    with pytest.raises(RestError, match="set it"):
        rest_key(tenant)
    monkeypatch.setenv("ACME_REST_KEY", "k")
    assert rest_key(tenant) == "k"


def test_a_system_that_is_not_up_is_a_clear_error(tenant: Path, capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RestError, match="is the system up"):
        RestClient(url, "k", timeout_s=2).send("hello")
    argv = ["--tenants-dir", str(tenant.parent)]
    assert main([*argv, "test", "acme", "--url", url]) == 2
    assert "is the system up? start it with `make up`" in capsys.readouterr().err
    from switchboard.cli import shell

    assert shell.run(tenant, url, lines=["hello"]) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_nlu_scores_per_intent() -> None:
    report = score(["a", "a", "b", "b"], ["a", "b", "b", "b"], folds=2)
    a, b = report.intents
    assert (a.precision, a.recall, a.support) == (1.0, 0.5, 2)
    assert (round(b.precision, 3), b.recall) == (0.667, 1.0)
    assert report.accuracy == 0.75
    assert report.confusions == (("a", "b", 1),)


@pytest.mark.slow
def test_nlu_cross_validation_of_a_new_tenant(tenant: Path, capsys) -> None:
    report = cross_validate(tenant.parent, "acme", folds=3)
    assert {s.intent for s in report.intents} >= {"greet", "human_agent", "stop"}
    assert 0.3 < report.accuracy <= 1.0
    assert main(["--tenants-dir", str(tenant.parent), "test", "acme", "--nlu", "--no-stories", "--folds", "3"]) == 0
    out = capsys.readouterr().out
    assert "intent" in out and "precision" in out and "accuracy" in out
