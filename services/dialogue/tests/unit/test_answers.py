"""Reading the form's answers from text: order ids and phone digits (full-width too), cancels,
changes of mind, damage, and which fallbacks are questions."""

from __future__ import annotations

import pytest

from switchboard.core.projects.profile import load_profile
from switchboard.core.testing import full_width
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.answers import answers_question, cancels, changes_mind, last4_in, says_damaged
from switchboard.dialogue.arbitration import arbitrated_intent

DEMO = load_profile(repo_root() / "tenants" / "demo")
BROADBAND = load_profile(repo_root() / "tenants" / "broadband")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订单号" + full_width("SB1005"), "SB1005"),
        ("sb 1002 pls", "SB1002"),
        ("SB1002 and SB1003", None),
        ("1002", None),
    ],
)
def test_order_ids_are_read_full_width_and_spaced(text: str, expected: str | None) -> None:
    found = DEMO.reference_in(text)
    assert (found[1] if found else None) == expected
    assert found is None or found[0] == "order_id"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("账号" + full_width("LN100004"), ("account_id", "LN100004")),
        ("it's ln 100002", ("account_id", "LN100002")),
        ("SB1002", None),
        ("LN100001 or LN100002", None),
    ],
)
def test_another_tenants_ids_are_read_by_its_own_patterns(text: str, expected: tuple | None) -> None:
    assert BROADBAND.reference_in(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (full_width("3721"), "3721"),
        ("啊不对，手机后四位是3721", "3721"),
        ("wrong digits, it's 3721", "3721"),
        ("SB1002 3721", "3721"),
        ("我是2025年在你们店买的东西", None),
        ("3721 or 5580", None),
        ("SB1002", None),
    ],
)
def test_phone_digits_are_read_from_answers_not_from_any_sentence(text: str, expected: str | None) -> None:
    assert last4_in(text, DEMO) == expected


@pytest.mark.parametrize("text", ["算了不退了", "取消退货", "never mind, forget the return", "stop", "Cancel it"])
def test_explicit_cancels(text: str) -> None:
    assert cancels(text)


@pytest.mark.parametrize(
    "text", ["不想要了，保温效果一般", "不需要了", "不喜欢", "不合适", "doesn't fit", "dont need it"]
)
def test_reasons_that_sound_like_stop_are_no_cancel(text: str) -> None:
    assert not cancels(text)


def test_changes_of_mind_and_damage() -> None:
    assert changes_mind("hold on, changed my mind, just tell me where SB1001 is")
    assert changes_mind("算了，帮我查下物流")
    assert not changes_mind("订单号是SB1002")
    assert all(says_damaged(t) for t in ["漏水", "开不了机", "it's broken", "坏了"])
    assert not any(says_damaged(t) for t in ["不喜欢", "doesn't fit", "买重复了"])


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("phone_last4", full_width("3721"), True),
        ("phone_last4", "hmm", False),
        ("product", "杯子", True),
        ("product", "算了", False),
    ],
)
def test_a_fallback_that_answers_the_pending_question(slot: str, text: str, expected: bool) -> None:
    assert answers_question(slot, text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("保温杯能放冰块吗", "policy_question"),
        ("do you ship to canada", "policy_question"),
        ("warranty?", "policy_question"),
        ("asdfgh", "nlu_fallback"),
        ("哈哈哈哈", "nlu_fallback"),
        ("算了算了，不退了", "stop"),
    ],
)
def test_fallbacks_worded_as_questions_go_to_the_knowledge_base(text: str, expected: str) -> None:
    assert arbitrated_intent("nlu_fallback", text, [], DEMO) == expected
