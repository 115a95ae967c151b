"""Forms answered the way customers answer them: item names without NLU entities, reasons that sound
like "stop", full-width and corrected digits, slot answers read as another task, real changes of
mind, questions NLU could not read, and a person after a refusal; zh and en, through the demo's Rasa
agent on the real database. The readings are what NLU gives such texts (often no entity at all)."""

from __future__ import annotations

import pytest

from switchboard.core.contracts import Language
from switchboard.core.testing import full_width

EN = "en"
ZH = "zh"


async def started_return(chat, language: str, order_id: str = "SB1002") -> None:
    """A return started and its order id given: the form asks for the phone's last 4 digits."""
    await chat.say(
        "我想退个货" if language == ZH else "i'd like to send something back", "return_item", language=language
    )
    await chat.say(order_id, "return_item", entities={"order_id": order_id}, language=language)


async def verified_return(chat, language: str, order_id: str = "SB1002", last4: str = "3721") -> None:
    """A return of ``order_id`` started and verified: the form asks for the item (or refuses)."""
    await started_return(chat, language, order_id)
    await chat.say(last4, "nlu_fallback", entities={"phone_last4": last4}, language=language)


@pytest.mark.parametrize(
    ("text", "intent", "language", "product"),
    [
        ("保温杯", "product_question", ZH, "保温杯"),
        ("杯子", "nlu_fallback", ZH, "保温杯"),
        ("那个水杯吧", "nlu_fallback", ZH, "保温杯"),
        ("手提袋", "nlu_fallback", ZH, "帆布包"),
        ("包", "nlu_fallback", ZH, "帆布包"),
        ("the bottle", "nlu_fallback", EN, "Insulated bottle"),
        ("teh flask", "nlu_fallback", EN, "Insulated bottle"),
        ("the tote pls", "product_question", EN, "Canvas tote bag"),
        ("退那个bottle", "return_item", ZH, "保温杯"),
        # NLU reads a bare item name as a damaged item more often than not: no damage is said.
        ("帆布包", "damaged_item", ZH, "帆布包"),
        ("canvas tote", "damaged_item", EN, "Canvas tote bag"),
        ("the bottle", "damaged_item", EN, "Insulated bottle"),
    ],
)
async def test_the_item_is_taken_from_the_answer_without_an_entity(chat, shop, text, intent, language, product) -> None:
    await verified_return(chat, language)
    turn = await chat.say(text, intent, language=language)
    assert turn.templates == ["utter_ask_return_reason"]
    turn = await chat.say("买错了" if language == ZH else "bought the wrong one", "nlu_fallback", language=language)
    assert turn.templates == ["utter_return_created"]
    assert product in turn.texts[0] and shop.latest_return("SB1002")["product"] == product


@pytest.mark.parametrize(("text", "language"), [("FitWatch", EN), ("the watch", EN), ("表", ZH), ("那块手表", ZH)])
async def test_a_watch_named_loosely_is_the_fitwatch(chat, shop, text, language) -> None:
    await verified_return(chat, language, "SB1005", "8806")
    turn = await chat.say(text, "nlu_fallback", language=language)
    assert turn.templates == ["utter_ask_return_reason"]


@pytest.mark.parametrize(("text", "language"), [("耳机", ZH), ("the earbuds", EN)])
async def test_an_item_the_order_does_not_hold_lists_the_order_and_keeps_the_form(chat, text, language) -> None:
    await verified_return(chat, language)
    turn = await chat.say(text, "nlu_fallback", language=language)
    assert turn.templates == ["utter_item_not_in_order", "utter_ask_product"]
    assert ("保温杯" if language == ZH else "Insulated bottle") in turn.texts[0]
    turn = await chat.say("杯子" if language == ZH else "bottle", "nlu_fallback", language=language)
    assert turn.templates == ["utter_ask_return_reason"]


REASON, CANCEL = "reason", "cancel"


@pytest.mark.parametrize(
    ("text", "intent", "language", "reads_as"),
    [
        *((text, intent, ZH, REASON) for text, intent in [("不想要了，保温效果一般", "stop"), ("不需要了", "stop")]),
        *(
            (text, intent, ZH, REASON)
            for text, intent in [("不喜欢", "deny"), ("不合适", "stop"), ("买重复了", "nlu_fallback")]
        ),
        *((text, intent, EN, REASON) for text, intent in [("doesn't fit", "deny"), ("dont need it anymore", "stop")]),
        ("no longer want it tbh", "stop", EN, REASON),
        # Reasons NLU reads as a damaged item, though they say no damage.
        *((text, "damaged_item", ZH, REASON) for text in ["尺寸太小了装不下电脑", "买多了一个"]),
        *((text, "damaged_item", EN, REASON) for text in ["it doesn't fit in my bag", "bought two by mistake"]),
        # Complaints about the item are reasons; NLU reads them as complaints.
        ("背起来肩带太短，不合适", "complaint", ZH, REASON),
        ("honestly the quality is disappointing", "complaint", EN, REASON),
        *((text, intent, ZH, CANCEL) for text, intent in [("算了不退了", "stop"), ("取消退货", "stop")]),
        ("算了算了，不退了", "nlu_fallback", ZH, CANCEL),
        *((text, "stop", EN, CANCEL) for text in ["never mind, forget the return", "stop"]),
    ],
)
async def test_at_the_reason_question_only_an_explicit_cancel_stops(
    chat, shop, text, intent, language, reads_as
) -> None:
    await verified_return(chat, language)
    await chat.say("保温杯" if language == ZH else "the bottle", "nlu_fallback", language=language)
    turn = await chat.say(text, intent, language=language)
    if reads_as == REASON:
        assert turn.templates == ["utter_return_created"]
        assert shop.latest_return("SB1002")["reason"] == text
    else:
        assert turn.templates == ["utter_form_stopped"]
        assert shop.latest_return("SB1002") is None


@pytest.mark.parametrize(
    ("text", "language"), [("漏水", ZH), ("坏了，盖子裂了", ZH), ("it's broken", EN), ("arrived damaged, dented", EN)]
)
async def test_a_damage_reason_takes_the_quality_return(chat, shop, text, language) -> None:
    await verified_return(chat, language)
    await chat.say("保温杯" if language == ZH else "bottle", "nlu_fallback", language=language)
    turn = await chat.say(text, "damaged_item", language=language)
    assert turn.templates == ["utter_damaged_return_created"]
    assert shop.latest_return("SB1002")["reason"] == "damaged on arrival"


@pytest.mark.parametrize(
    ("text", "language"), [(full_width("3721"), ZH), ("尾号" + full_width("3721"), ZH), (full_width("3721") + " ", EN)]
)
async def test_full_width_digits_verify_the_phone(chat, text, language) -> None:
    await started_return(chat, language, "SB1002")
    turn = await chat.say(text, "nlu_fallback", language=language)
    assert turn.templates == ["utter_ask_product"]


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("啊不对，手机后四位是3721", "deny", ZH),
        ("wrong digits, it's 3721", "deny", EN),
        ("sorry typo its 3721", "nlu_fallback", EN),
    ],
)
async def test_corrected_digits_after_a_wrong_attempt_are_accepted(chat, text, intent, language) -> None:
    await started_return(chat, language, "SB1002")
    turn = await chat.say("1234", "nlu_fallback", language=language)
    assert turn.templates == ["utter_phone_mismatch", "utter_ask_phone_last4"]
    turn = await chat.say(text, intent, language=language)
    assert turn.templates == ["utter_ask_product"]


@pytest.mark.parametrize(
    ("text", "language"), [("订单号" + full_width("SB1002"), ZH), ("order " + full_width("sb") + "1002", EN)]
)
async def test_a_full_width_order_id_is_read(chat, text, language) -> None:
    await chat.say("我想退个货", "return_item", language=language)
    turn = await chat.say(text, "nlu_fallback", language=language)
    assert turn.templates == ["utter_ask_phone_last4"]


@pytest.mark.parametrize(("text", "language"), [("订单号是SB1002", ZH), ("it's SB1002", EN)])
async def test_an_order_id_read_as_another_task_does_not_switch_the_task(chat, shop, text, language) -> None:
    await chat.say("我想退个货", "return_item", language=language)
    await chat.say(text, "check_order", entities={"order_id": "SB1002"}, language=language)
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"}, language=language)
    assert turn.templates == ["utter_ask_product"]


@pytest.mark.parametrize(
    ("text", "language"),
    [("hold on, changed my mind, just tell me where SB1001 is", EN), ("等等，不退了，帮我查下SB1001到哪了", ZH)],
)
async def test_a_change_of_mind_switches_to_the_order_status(chat, text, language) -> None:
    await started_return(chat, language, "SB1001")
    turn = await chat.say(text, "check_order", entities={"order_id": "SB1001"}, language=language)
    assert turn.templates == ["utter_ask_phone_last4"]
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"}, language=language)
    assert turn.templates == ["utter_order_shipped"]


@pytest.mark.parametrize(
    ("text", "language"), [("actually forget that, where is my order", EN), ("算了不退了，我想查一下物流", ZH)]
)
async def test_a_change_of_mind_after_verification_reuses_the_verified_order(chat, text, language) -> None:
    await verified_return(chat, language)
    turn = await chat.say(text, "check_order", language=language)
    assert turn.templates == ["utter_order_delivered"]
    assert "SB1002" in turn.texts[0]


@pytest.mark.parametrize(("text", "language"), [("no, SB1003", EN), ("不是这个，是" + full_width("SB1003"), ZH)])
async def test_a_corrected_order_id_replaces_the_order(chat, text, language) -> None:
    await chat.say("查下我的订单" if language == ZH else "where's my order", "check_order", language=language)
    await chat.say("SB1002", "check_order", entities={"order_id": "SB1002"}, language=language)
    turn = await chat.say(text, "deny", language=language)
    assert turn.templates == ["utter_ask_phone_last4"]
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"}, language=language)
    assert turn.templates == ["utter_order_paid"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("保温杯能放冰块吗", ZH),
        ("你们周末发货么", ZH),
        ("可以货到付款吗？", ZH),
        ("do you ship to canada", EN),
        ("how long is warranty", EN),
    ],
)
async def test_a_question_nlu_could_not_read_goes_to_the_knowledge_base(chat, text, language) -> None:
    turn = await chat.say(text, "nlu_fallback", language=language, confidence=0.2)
    assert turn.kinds == ["generate"]


@pytest.mark.parametrize(("text", "language"), [("asdfgh", EN), ("哈哈哈哈", ZH), ("🙂🙂", ZH)])
async def test_noise_nlu_could_not_read_gets_the_rephrase_prompt(chat, text, language) -> None:
    turn = await chat.say(text, "nlu_fallback", language=language, confidence=0.2)
    assert turn.templates == ["utter_default"]


@pytest.mark.parametrize(("text", "language"), [("can i return it without the box?", EN), ("没有包装盒还能退吗", ZH)])
async def test_a_question_nlu_could_not_read_inside_the_form_is_answered_then_the_form_asks_again(
    chat, text, language
) -> None:
    await verified_return(chat, language)
    await chat.say("保温杯" if language == ZH else "the bottle", "nlu_fallback", language=language)
    turn = await chat.say(text, "nlu_fallback", language=language, confidence=0.2)
    assert turn.kinds == ["generate", "template"] and turn.templates == ["utter_ask_return_reason"]


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [("好的，帮我转人工吧", "human_agent", ZH), ("好的", "affirm", ZH), ("yes please, get me a human", "affirm", EN)],
)
async def test_a_refused_return_then_a_person_is_a_handoff(chat, text, intent, language) -> None:
    await verified_return(chat, language, "SB1004", "5580")
    turn = await chat.say(text, intent, language=language)
    decided = turn.only("handoff")
    assert decided.language == (Language.LANGUAGE_EN if language == EN else Language.LANGUAGE_ZH)
    assert "SB1004" in decided.handoff.summary


@pytest.mark.parametrize(("text", "language"), [("你是机器人吗", ZH), ("are u a bot?", EN)])
async def test_small_talk_at_the_reason_question_is_no_reason(chat, shop, text, language) -> None:
    await verified_return(chat, language)
    await chat.say("保温杯" if language == ZH else "the bottle", "nlu_fallback", language=language)
    turn = await chat.say(text, "chitchat", language=language)
    assert turn.templates == ["utter_chitchat", "utter_ask_return_reason"]
    assert shop.latest_return("SB1002") is None


async def test_an_order_id_entity_with_full_width_digits_is_normalized(chat) -> None:
    # NLU's pattern (\d is any Unicode digit) tags "SB" followed by full-width digits as it stands.
    await chat.say("我想退个货", "return_item")
    turn = await chat.say("SB" + full_width("1002"), "return_item", entities={"order_id": "SB" + full_width("1002")})
    assert turn.templates == ["utter_ask_phone_last4"]


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("I moved house, is it possible to change where my order goes", "change_address", EN),
        ("我刚搬了家，订单能改寄到新住处吗", "change_address", ZH),
    ],
)
async def test_a_question_about_the_own_case_is_answered_then_an_order_number_starts_the_task(
    chat, text, intent, language
) -> None:
    turn = await chat.say(text, intent, language=language)
    assert turn.kinds == ["generate", "template"] and turn.templates == ["utter_offer_task"]
    turn = await chat.say("SB1003", "nlu_fallback", entities={"order_id": "SB1003"}, language=language)
    assert turn.templates == ["utter_ask_phone_last4"]
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"}, language=language)
    assert turn.templates == ["utter_ask_address"]


@pytest.mark.parametrize("language", [EN, ZH])
async def test_yes_after_the_offer_starts_the_offered_task(chat, language) -> None:
    question = (
        "when will I get my money back after sending the return" if language == EN else "货寄回去以后，钱多久能退到我这"
    )
    await chat.say(question, "refund_status", language=language)
    turn = await chat.say("yes please" if language == EN else "好的", "affirm", language=language)
    assert turn.templates == ["utter_ask_order_id"]


@pytest.mark.parametrize(
    ("text", "language"), [("这服务太差了，我要投诉", ZH), ("this is ridiculous, I want to complain to a manager", EN)]
)
async def test_a_complaint_about_the_shop_at_the_reason_question_goes_to_a_person(chat, shop, text, language) -> None:
    await verified_return(chat, language)
    await chat.say("保温杯" if language == ZH else "the bottle", "nlu_fallback", language=language)
    turn = await chat.say(text, "complaint", language=language)
    assert turn.kinds[-1] == "handoff" and shop.latest_return("SB1002") is None
