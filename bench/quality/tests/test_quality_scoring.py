"""The scoring functions: facts, fabricated numbers, honesty, escalation, final states, rates."""

from __future__ import annotations

import pytest

from bench.quality import scoring


def test_fact_found_through_full_width_and_case() -> None:
    assert scoring.kb_correct("订单满\uff19\uff19元包邮", ["99"])
    assert scoring.kb_correct("Refunds take 3-5 Business Days", ["3-5 business days"])
    assert not scoring.kb_correct("运费 10 元", ["99"])


def test_two_questions_need_both_facts() -> None:
    assert not scoring.kb_correct("满99元包邮", ["99"], ["16:00"])
    assert scoring.kb_correct("满99元包邮；16:00前下单当天发货", ["99"], ["16:00"])


def test_numbers_are_canonical() -> None:
    assert scoring.numbers("¥99.00, 09:00-21:00, 3-5 天, \uff33\uff22\uff11\uff10\uff10\uff12") == {
        "99",
        "9:00",
        "21:00",
        "3",
        "5",
        "1002",
    }


def test_fabricated_numbers_are_those_no_source_holds() -> None:
    allowed = scoring.numbers("Shipping is free for orders over ¥99; otherwise it costs ¥10.")
    assert scoring.fabricated("The minimum order for free shipping is 10.", allowed) == set()
    assert scoring.fabricated("Free shipping from ¥199, fee ¥10.", allowed) == {"199"}
    assert scoring.fabricated("Free over ¥99.00", allowed) == set()


@pytest.mark.parametrize(
    ("reply", "lang", "expected"),
    [
        ("抱歉，这个问题我在我们的资料里没有找到答案。需要的话我可以为您转接人工客服。", "zh", True),
        ("Sorry, I don't know the answer to that. I can connect you with a colleague.", "en", True),
        ("订单满99元包邮，不满99元收取运费10元。", "zh", False),
        ("Shipping is free for orders over ¥99.", "en", False),
    ],
)
def test_honesty(reply: str, lang: str, expected: bool) -> None:
    assert scoring.honest(reply, lang) is expected


def test_escalation_is_a_transfer_not_an_offer() -> None:
    assert scoring.escalated("这个问题我需要请人工客服来帮您，正在为您转接。")
    assert scoring.escalated("We have logged a callback for you (ticket CB-1)")
    assert not scoring.escalated("Would you like me to connect you with a human agent to look at other options?")


def test_final_states_in_either_language() -> None:
    assert scoring.reached("return_registered", "已为订单 SB1002 的“保温杯”创建退货申请，编号 R-1。")
    assert scoring.reached(
        "return_refused", "I'm sorry, order SB1004 was delivered 20 days ago, past the 7-day return window"
    )
    assert not scoring.reached("return_registered", "请提供您的订单号（例如 SB1001）。")
    assert scoring.reached("form_stopped", "All right, I\u2019ve stopped there and nothing was changed.")


def test_form_resumption_is_read_from_the_question() -> None:
    assert scoring.asks("phone_last4", "为了核实身份，请提供下单手机号的后 4 位。")
    assert not scoring.asks("order_id", "To verify it's you, please give the last 4 digits")


def test_percentile_and_rates() -> None:
    assert scoring.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert scoring.percentile([1.0] * 99 + [100.0], 99) == 1.0
    assert scoring.percentile([], 50) is None
    assert scoring.rate(0, 0) is None
    pairs = [(True, True), (True, False), (False, True), (False, False)]
    assert scoring.precision_recall(pairs) == (0.5, 0.5)


def test_a_queue_notice_states_no_fabricated_fact() -> None:
    notice_en = "Of course, I'm connecting you now to a colleague: you are number 6 in the queue, about 24 min."
    notice_zh = "好的，正在为您转接人工客服，您现在排在第 2 位，预计等待约 8 分钟，请稍候。"
    assert scoring.fabricated(notice_en, set()) == set() and scoring.fabricated(notice_zh, set()) == set()
    assert scoring.fabricated("Free shipping over ¥10, you are number 6 in the queue", set()) == {"10"}


def test_a_generated_ticket_or_return_id_is_no_fabricated_fact() -> None:
    reply = "我们已为您登记回电，工单号 CB-3B6CB983，客服上班后会尽快联系您。退货编号 RTE2010A50。"
    assert scoring.fabricated(reply, set()) == set()
    assert scoring.fabricated("满88元包邮，工单号 CB-3B6CB983", set()) == {"88"}
