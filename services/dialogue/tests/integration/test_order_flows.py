"""Multi-turn order flows in Chinese and English, on the real database: check, return, refund, address, invoice."""

from __future__ import annotations

import pytest

from switchboard.core.contracts import HandoffReason, Language

EN = "en"
ZH = "zh"


async def verify(chat, intent: str, order_id: str, last4: str, language: str, opening: str) -> None:
    """Starts an order task and answers the form's order and phone questions."""
    turn = await chat.say(opening, intent, language=language)
    assert turn.templates == ["utter_ask_order_id"]
    turn = await chat.say(order_id, intent, entities={"order_id": order_id}, language=language)
    assert turn.templates == ["utter_ask_phone_last4"]
    return None


@pytest.mark.parametrize(
    ("language", "opening", "expected"),
    [
        (ZH, "我的快递到哪了？🚚", ["顺丰速运", "SF1234567890"]),
        (EN, "Where is my parcel? 🚚", ["SF Express", "SF1234567890"]),
    ],
)
async def test_check_order_reports_the_real_status(chat, language, opening, expected) -> None:
    await verify(chat, "check_order", "SB1001", "3721", language, opening)
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"}, language=language)
    assert turn.templates == ["utter_order_shipped"]
    [reply] = turn.decided
    assert all(fragment in reply.template.text for fragment in expected)
    assert reply.language == (Language.LANGUAGE_EN if language == EN else Language.LANGUAGE_ZH)


@pytest.mark.parametrize("answer", ["3721", "尾号是 3721。", "it's 3721"])
async def test_bare_digits_answer_the_phone_question(chat, answer) -> None:
    # NLU reads "3721" alone as a fallback without entities: the form knows it asked for the digits.
    await verify(chat, "check_order", "SB1001", "3721", ZH, "查一下我的订单")
    turn = await chat.say(answer, "nlu_fallback", language=ZH)
    assert turn.templates == ["utter_order_shipped"]


async def test_digits_inside_a_longer_message_are_not_taken_for_the_phone(chat) -> None:
    await verify(chat, "check_order", "SB1001", "3721", ZH, "查一下我的订单")
    turn = await chat.say("我是2025年在你们店买的东西", "nlu_fallback", language=ZH)
    assert "utter_order_shipped" not in turn.templates
    turn = await chat.say("3721", "nlu_fallback", language=ZH)
    assert turn.templates == ["utter_order_shipped"]


async def test_order_and_phone_in_one_message_skip_the_questions(chat) -> None:
    turn = await chat.say(
        "订单 SB1003，手机尾号 5580", "check_order", entities={"order_id": "SB1003", "phone_last4": "5580"}
    )
    assert turn.templates == ["utter_order_paid"]


async def test_unknown_order_and_wrong_phone_are_asked_again(chat) -> None:
    await chat.say("查订单", "check_order")
    turn = await chat.say("SB9999", "check_order", entities={"order_id": "SB9999"})
    assert turn.templates == ["utter_order_not_found", "utter_ask_order_id"]
    turn = await chat.say("SB1001", "check_order", entities={"order_id": "SB1001"})
    assert turn.templates == ["utter_ask_phone_last4"]
    turn = await chat.say("0000", "nlu_fallback", entities={"phone_last4": "0000"})
    assert turn.templates == ["utter_phone_mismatch", "utter_ask_phone_last4"]
    turn = await chat.say("手机号 13800003721", "nlu_fallback", entities={"phone_number": "13800003721"})
    assert turn.templates == ["utter_order_shipped"]


@pytest.mark.parametrize("language", [ZH, EN])
async def test_return_within_seven_days_opens_a_case(chat, shop, language) -> None:
    await verify(
        chat, "return_item", "SB1002", "3721", language, "我要退货" if language == ZH else "I want to return something"
    )
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"}, language=language)
    assert turn.templates == ["utter_ask_product"]
    assert ("保温杯" if language == ZH else "Insulated bottle") in turn.texts[0]
    product = "保温杯" if language == ZH else "insulated bottle"
    turn = await chat.say(product, "return_item", entities={"product": product}, language=language)
    assert turn.templates == ["utter_ask_return_reason"]
    reason = "颜色不喜欢" if language == ZH else "wrong colour"
    turn = await chat.say(reason, "nlu_fallback", language=language)
    assert turn.templates == ["utter_return_created"]
    case = shop.latest_return("SB1002")
    assert case is not None and case["reason"] == reason
    assert case["_id"] in turn.texts[0]
    # The refund status of the same order now finds that case.
    turn = await chat.say("退款到哪了" if language == ZH else "where is my refund", "refund_status", language=language)
    assert turn.templates == ["utter_refund_in_progress"]
    assert case["_id"] in turn.texts[0]


async def test_return_after_the_window_is_refused_with_an_offer_of_a_person(chat, shop) -> None:
    await verify(chat, "return_item", "SB1004", "5580", ZH, "我想退货")
    # Refused right after verification, before the customer is asked which item.
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"})
    assert turn.templates == ["utter_return_refused"]
    assert "20" in turn.texts[0] and "7" in turn.texts[0]
    assert shop.latest_return("SB1004") is None
    turn = await chat.say("好的", "affirm")
    handoff = turn.only("handoff").handoff
    assert set(handoff.reasons) == {
        HandoffReason.HANDOFF_REASON_CUSTOMER_REQUEST,
        HandoffReason.HANDOFF_REASON_POLICY_EXCEPTION,
    }
    assert "order_id=SB1004" in handoff.summary


async def test_refund_status_without_a_return(chat) -> None:
    await verify(chat, "refund_status", "SB1001", "3721", EN, "Where is my refund?")
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"}, language=EN)
    assert turn.templates == ["utter_refund_none"]


async def test_address_changes_only_before_shipping(chat, shop) -> None:
    await verify(chat, "change_address", "SB1003", "5580", ZH, "我要改地址")
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"})
    assert turn.templates == ["utter_ask_address"]
    turn = await chat.say("杭州市西湖区文三路 90 号", "nlu_fallback")
    assert turn.templates == ["utter_address_changed"]
    assert shop.find_order("SB1003").address == "杭州市西湖区文三路 90 号"
    # A shipped order keeps its address, and the customer is not asked for a new one.
    turn = await chat.say(
        "SB1001 也改一下地址", "change_address", entities={"order_id": "SB1001", "phone_last4": "3721"}
    )
    assert turn.templates == ["utter_address_locked"]
    assert shop.find_order("SB1001").address.startswith("上海市浦东新区")


@pytest.mark.parametrize(
    ("order_id", "last4", "template"),
    [("SB1004", "5580", "utter_invoice_requested"), ("SB1001", "3721", "utter_invoice_not_delivered")],
)
async def test_invoice_within_thirty_days_of_delivery(chat, order_id, last4, template) -> None:
    turn = await chat.say(
        f"I need an invoice for {order_id}",
        "invoice",
        entities={"order_id": order_id, "phone_last4": last4},
        language=EN,
    )
    assert turn.templates == [template]
