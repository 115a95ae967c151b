"""Question or task, stopping and correcting forms, loose item names, eligibility before the item,
damaged items and agent hours: through the demo's Rasa agent on the real database."""

from __future__ import annotations

import pytest

EN = "en"
ZH = "zh"


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("退货运费谁出", "return_item", ZH),
        ("退款多久到账", "refund_status", ZH),
        ("发票会寄到哪里", "invoice", ZH),
        ("how do I return something", "return_item", EN),
        ("买多少钱可以免运费", "check_order", ZH),
        ("what's your return policy", "return_item", EN),
    ],
)
async def test_policy_questions_read_as_tasks_are_answered_not_asked_for_an_order(chat, text, intent, language) -> None:
    turn = await chat.say(text, intent, language=language)
    assert turn.kinds == ["generate"]
    assert turn.only("generate").generate.intent == "policy_question"


@pytest.mark.parametrize(
    ("text", "intent", "entities", "template"),
    [
        ("I want to return SB1002", "return_item", {"order_id": "SB1002"}, "utter_ask_phone_last4"),
        ("我要退货", "return_item", {}, "utter_ask_order_id"),
        ("查一下我的订单", "check_order", {}, "utter_ask_order_id"),
    ],
)
async def test_task_requests_start_the_task(chat, text, intent, entities, template) -> None:
    turn = await chat.say(text, intent, entities=entities)
    assert turn.templates == [template]


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [("算了", "stop", ZH), ("不想要了", "stop", ZH), ("never mind", "stop", EN), ("不", "deny", ZH)],
)
async def test_stop_ends_the_form_with_a_confirmation(chat, text, intent, language) -> None:
    await chat.say("我要退货", "return_item", language=language)
    await chat.say("SB1002", "return_item", entities={"order_id": "SB1002"}, language=language)
    turn = await chat.say(text, intent, language=language)
    assert turn.templates == ["utter_form_stopped"]
    # The form no longer waits: small talk gets small talk only.
    turn = await chat.say("你是机器人吗", "chitchat", language=language)
    assert turn.templates == ["utter_chitchat"]


@pytest.mark.parametrize(("text", "language"), [("no, SB1004", EN), ("不对，是SB1004", ZH)])
async def test_a_corrected_order_replaces_the_slot_and_is_checked_for_eligibility(chat, shop, text, language) -> None:
    await chat.say("我要退货", "return_item", language=language)
    await chat.say("SB1002", "return_item", entities={"order_id": "SB1002"}, language=language)
    turn = await chat.say(text, "deny", entities={"order_id": "SB1004"}, language=language)
    assert turn.templates == ["utter_ask_phone_last4"]
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"}, language=language)
    assert turn.templates == ["utter_return_refused"]
    assert "SB1004" in turn.texts[0]


@pytest.mark.parametrize(
    ("wording", "language", "product"),
    [("the smart watch", EN, "Smart watch"), ("the watch", EN, "Smart watch"), ("手表", ZH, "智能手表")],
)
async def test_items_are_matched_loosely_in_either_language(chat, shop, wording, language, product) -> None:
    await chat.say("I want to return something", "return_item", language=language)
    await chat.say("SB1005", "return_item", entities={"order_id": "SB1005"}, language=language)
    turn = await chat.say("8806", "nlu_fallback", entities={"phone_last4": "8806"}, language=language)
    assert turn.templates == ["utter_ask_product"]
    # NLU gives the canonical product for a synonym ("the smart watch"), else the words it tagged.
    value = "FitWatch S2" if wording == "the smart watch" else wording
    turn = await chat.say(wording, "return_item", entities={"product": value}, language=language)
    assert turn.templates == ["utter_ask_return_reason"]
    turn = await chat.say("too small" if language == EN else "太小了", "nlu_fallback", language=language)
    assert turn.templates == ["utter_return_created"]
    assert product in turn.texts[0]


async def test_an_order_not_yet_delivered_is_refused_before_the_item_is_asked(chat) -> None:
    await chat.say("我要退货", "return_item")
    await chat.say("SB1001", "return_item", entities={"order_id": "SB1001"})
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"})
    assert turn.templates == ["utter_return_not_delivered"]


@pytest.mark.parametrize(
    ("text", "language", "order_id", "last4", "item", "fragment"),
    [
        ("the item arrived broken", EN, "SB1005", "8806", "the watch", "we pay the return shipping"),
        ("收到的东西坏了", ZH, "SB1002", "3721", "杯子", "退货运费由我们承担"),
    ],
)
async def test_a_damaged_item_gets_a_quality_return_with_shipping_paid(
    chat, shop, text, language, order_id, last4, item, fragment
) -> None:
    turn = await chat.say(text, "damaged_item", language=language)
    assert turn.templates == ["utter_ask_order_id"]
    await chat.say(order_id, "damaged_item", entities={"order_id": order_id}, language=language)
    turn = await chat.say(last4, "nlu_fallback", entities={"phone_last4": last4}, language=language)
    assert turn.templates == ["utter_ask_product"]
    turn = await chat.say(item, "damaged_item", entities={"product": item}, language=language)
    assert turn.templates == ["utter_damaged_return_created"]
    assert fragment in turn.texts[0]
    case = shop.latest_return(order_id)
    assert case is not None and case["reason"] == "damaged on arrival"


async def test_a_damaged_item_past_the_window_is_refused_right_after_verification(chat) -> None:
    await chat.say("the screen is cracked", "damaged_item", language=EN)
    await chat.say("SB1004", "damaged_item", entities={"order_id": "SB1004"}, language=EN)
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"}, language=EN)
    assert turn.templates == ["utter_return_refused"]


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [("人工客服几点上班", "human_agent", ZH), ("what are your agent hours", "policy_question", EN)],
)
async def test_agent_hours_come_from_the_tenant_configuration_never_a_ticket(chat, text, intent, language) -> None:
    turn = await chat.say(text, intent, language=language)
    assert turn.kinds == ["template"] and turn.templates == ["utter_agent_hours"]
    assert "09:00" in turn.texts[0] and "21:00" in turn.texts[0]


async def test_agent_hours_inside_the_form_then_the_form_asks_again(chat) -> None:
    await chat.say("查一下我的订单", "check_order")
    turn = await chat.say("客服几点下班", "business_info")
    assert turn.templates == ["utter_agent_hours", "utter_ask_order_id"]


async def test_a_corrected_item_replaces_the_item_slot(chat, shop) -> None:
    await chat.say("我要退货", "return_item", entities={"order_id": "SB1002", "phone_last4": "3721"})
    turn = await chat.say("保温杯", "return_item", entities={"product": "保温杯"})
    assert turn.templates == ["utter_ask_return_reason"]
    turn = await chat.say("不对，是帆布包", "deny", entities={"product": "帆布包"})
    assert turn.templates == ["utter_ask_return_reason"]
    turn = await chat.say("颜色不喜欢", "nlu_fallback")
    assert turn.templates == ["utter_return_created"]
    assert "帆布包" in turn.texts[0] and shop.latest_return("SB1002")["product"] == "帆布包"
