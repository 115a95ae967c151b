"""Question-or-task arbitration: policy questions read as task intents become knowledge questions."""

from __future__ import annotations

import pytest

from switchboard.core.projects.profile import load_profile
from switchboard.core.testing import full_width
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.arbitration import arbitrate, arbitrated_intent

DEMO = load_profile(repo_root() / "tenants" / "demo")
ORDER = [{"entity": "order_id", "value": "SB1002"}]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("退货运费谁出", "return_item"),
        ("退款多久到账", "refund_status"),
        ("发票会寄到哪里", "invoice"),
        ("how do I return something", "return_item"),
        ("买多少钱可以免运费", "check_order"),
        ("what's your return policy", "return_item"),
        ("退货要自己付运费吗？", "return_item"),
    ],
)
def test_general_questions_read_as_tasks_are_knowledge_questions(text: str, intent: str) -> None:
    assert arbitrated_intent(intent, text, [], DEMO) == "policy_question"


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [
        ("I want to return SB1002", "return_item", ORDER),
        ("SB1002 的退款多久到账", "refund_status", ORDER),
        ("我要退货", "return_item", []),
        ("查一下我的订单", "check_order", []),
        ("我的快递到哪了？", "check_order", []),
        ("where is my refund", "refund_status", []),
        ("how long until my refund arrives", "refund_status", []),
    ],
)
def test_task_requests_stay_tasks(text: str, intent: str, entities: list[dict[str, str]]) -> None:
    assert arbitrated_intent(intent, text, entities, DEMO) == intent


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("人工客服几点上班", "human_agent", "business_info"),
        ("what are your agent hours", "policy_question", "business_info"),
        ("转人工", "human_agent", "human_agent"),
        ("I want to talk to a human", "human_agent", "human_agent"),
        ("how long does shipping take", "policy_question", "policy_question"),
        ("what's the shipping cost, and when do you dispatch?", "policy_question", "policy_question"),
        ("when are you guys open?", "policy_question", "business_info"),
    ],
)
def test_questions_about_agents_hours_are_business_info(text: str, intent: str, expected: str) -> None:
    assert arbitrated_intent(intent, text, [], DEMO) == expected


def test_the_arbitrated_intent_leads_the_ranking_and_keeps_the_rest() -> None:
    parse_data = {
        "text": "退货运费谁出",
        "intent": {"name": "return_item", "confidence": 0.8},
        "intent_ranking": [{"name": "return_item", "confidence": 0.8}, {"name": "policy_question", "confidence": 0.1}],
        "entities": [],
    }
    result = arbitrate(parse_data, DEMO)
    assert result["intent"] == {"name": "policy_question", "confidence": 0.8}
    assert [item["name"] for item in result["intent_ranking"]] == ["policy_question", "return_item"]
    assert parse_data["intent"]["name"] == "return_item"


@pytest.mark.parametrize("text", ["SB1002", "订单号：SB1002", "order #sb1002", full_width("SB1002"), " SB-1002 "])
@pytest.mark.parametrize("intent", ["nlu_fallback", "policy_question", "affirm"])
def test_a_bare_order_number_is_a_look_at_that_order(text: str, intent: str) -> None:
    assert arbitrated_intent(intent, text, ORDER, DEMO) == "check_order"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("SB1002", "return_item"), ("SB1002 退货运费谁出", "policy_question"), ("SB1002 is late again", "complaint")],
)
def test_an_order_number_with_more_said_keeps_its_reading(text: str, intent: str) -> None:
    assert arbitrated_intent(intent, text, ORDER, DEMO) == intent


def reading(text: str, intent: str, entities: list[dict[str, str]] | None = None) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": 0.8}, "entities": entities or []}


def offer_of(parse_data: dict) -> str | None:
    return next((e["value"] for e in parse_data["entities"] if e["entity"] == "offered_task"), None)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I moved house, is it possible to change where my order goes", "change_address"),
        ("when will I get my money back after sending the return", "refund_status"),
        ("my laptop has a manufacturing defect, is that covered", "damaged_item"),
        ("我刚搬了家，订单能改寄到新住处吗", "change_address"),
        ("货寄回去以后，钱多久能退到我这", "refund_status"),
    ],
)
def test_a_question_about_the_customers_own_case_is_answered_and_the_task_offered(text: str, intent: str) -> None:
    result = arbitrate(reading(text, intent), DEMO)
    assert result["intent"]["name"] == "policy_question"
    assert offer_of(result) == intent


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [
        ("can you change my delivery address", "change_address", []),
        ("帮我查下退款到哪了", "refund_status", []),
        ("where is my order?", "check_order", []),
        ("我的快递到哪了？", "check_order", []),
        ("is it possible to change the address of SB1003", "change_address", ORDER),
        ("I want to return the watch", "return_item", []),
    ],
)
def test_a_request_to_act_or_a_named_order_stays_the_task(text: str, intent: str, entities: list) -> None:
    result = arbitrate(reading(text, intent, entities), DEMO)
    assert result["intent"]["name"] == intent
    assert offer_of(result) is None


def test_an_emoji_after_the_question_mark_still_ends_a_general_question() -> None:
    assert arbitrated_intent("return_item", "买错颜色了，不说原因也能退吗？🙏", [], DEMO) == "policy_question"


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("actually forget it, leave the address as it is", "change_address", "stop"),
        ("算了，不退了", "return_item", "stop"),
        ("算了不退了，我想查一下物流", "check_order", "check_order"),
    ],
)
def test_a_cancel_worded_with_the_task_stops_unless_it_asks_for_another(text: str, intent: str, expected: str) -> None:
    assert arbitrated_intent(intent, text, [], DEMO) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你们的仓库在哪个城市", "policy_question"),
        ("do you sell gift cards?", "policy_question"),
        ("你叫什么名字", "chitchat"),
        ("are you a bot?", "chitchat"),
        ("今天天气真不错", "chitchat"),
    ],
)
def test_a_question_about_the_shop_read_as_chitchat_goes_to_the_knowledge_base(text: str, expected: str) -> None:
    assert arbitrated_intent("chitchat", text, [], DEMO) == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("刚付完款就便宜了二十块，能补给我吗😭", "complaint", "policy_question"),
        ("why hasn't my order shipped yet??", "complaint", "complaint"),
        ("你们这服务太差了，我要投诉", "complaint", "complaint"),
        ("worst service ever, can I talk to a manager?", "complaint", "complaint"),
        ("am I chatting with a robot or a real person", "human_agent", "chitchat"),
        ("你是机器人吗", "human_agent", "chitchat"),
        ("别让机器人回了，我要跟人工说", "human_agent", "human_agent"),
        ("stop the bot, let me talk to a human", "human_agent", "human_agent"),
    ],
)
def test_a_question_read_as_a_complaint_or_a_bot_question_read_as_a_request_for_a_person(
    text: str, intent: str, expected: str
) -> None:
    assert arbitrated_intent(intent, text, [], DEMO) == expected


BROADBAND = load_profile(repo_root() / "tenants" / "broadband")


@pytest.mark.parametrize("text", ["LN100004", "账号：" + full_width("LN100004"), "ln 100004", "account #LN100004"])
@pytest.mark.parametrize("intent", ["nlu_fallback", "policy_question", "affirm"])
def test_a_bare_broadband_account_number_starts_its_look_up(text: str, intent: str) -> None:
    # The broadband project trains its look-up intent on bare ids ("- [LN100004](account_id)").
    assert arbitrated_intent(intent, text, [], BROADBAND) == "inform"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how long does a plan change take", "change_plan"),
        ("改套餐要多久生效？", "change_plan"),
        ("what does a fault report cost", "report_fault"),
        ("账单什么时候出", "check_bill"),
    ],
)
def test_a_broadband_question_worded_with_a_task_goes_to_the_knowledge_base(text: str, intent: str) -> None:
    assert arbitrated_intent(intent, text, [], BROADBAND) == "policy_question"


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [
        ("I want to change my plan", "change_plan", []),
        ("查一下我的账单", "check_bill", []),
        (
            "how long does a plan change take for LN100005",
            "change_plan",
            [{"entity": "account_id", "value": "LN100005"}],
        ),
        ("LN100004", "check_outage", []),
    ],
)
def test_broadband_task_requests_and_named_accounts_stay_tasks(text: str, intent: str, entities: list) -> None:
    assert arbitrated_intent(intent, text, entities, BROADBAND) == intent


def test_broadband_offers_no_task_its_domain_cannot_word() -> None:
    # No utter_offer_task in its domain: a question about the customer's own case stays the task.
    result = arbitrate(reading("I'm moving house, can I change my plan?", "change_plan"), BROADBAND)
    assert result["intent"]["name"] == "change_plan"
    assert offer_of(result) is None


def test_a_project_without_tasks_or_reference_ids_keeps_every_reading(tmp_path) -> None:
    (tmp_path / "domain.yml").write_text("intents:\n  - greet\n  - mood_great\n  - nlu_fallback\n", encoding="utf-8")
    bare = load_profile(tmp_path)
    for intent, text in [("nlu_fallback", "SB1002"), ("nlu_fallback", "how do returns work?"), ("greet", "算了")]:
        assert arbitrated_intent(intent, text, [], bare) == intent
    assert arbitrate(reading("SB1002", "greet"), bare)["intent"]["name"] == "greet"
