"""Claim-level grounding: each number, place and named policy must stand in the clause its claim paraphrases."""

from __future__ import annotations

import pytest

from switchboard.generator.grounding import Evidence, Fact, facts, normalise, ungrounded_claims

EN = [
    Evidence("Shipping / Shipping fees", "Shipping is free for orders over ¥99; otherwise it costs ¥10."),
    Evidence(
        "Shipping / Dispatch times",
        "Orders placed before 16:00 (Beijing time) ship the same day; later orders ship the next day.",
    ),
    Evidence(
        "Refunds / When the money comes back",
        "Refunds go back to the original payment method within 3-5 business days after the warehouse receives "
        "the return.",
    ),
    Evidence("Price protection / 618 and Double 11", "During 618 and Double 11 price protection lasts 30 days."),
]
ZH = [
    Evidence("配送 / 运费", "订单满99元包邮，不满99元收取运费10元。"),
    Evidence("退款 / 退款到账时间", "仓库收到退货后，退款将在3-5个工作日内原路退回到您的支付账户。"),
    Evidence("退货 / 7天无理由退货", "签收后7天内，商品未使用且包装完好，可以申请7天无理由退货。"),
]


@pytest.mark.parametrize(
    "draft",
    [
        "Shipping is free for orders over ¥99, otherwise it costs ¥10.",
        "Orders over ninety-nine yuan ship free.",
        "Refunds arrive within 3-5 business days.",
        "Orders placed before 16:00 Beijing time ship the same day.",
        "We ship the same day if you order early.",
        "Price protection lasts 30 days during Double 11.",
    ],
)
def test_english_claims_whose_facts_stand_in_their_clause_are_grounded(draft: str) -> None:
    assert ungrounded_claims(draft, EN) == []


@pytest.mark.parametrize(
    "draft",
    [
        "The minimum order for free shipping is 10.",  # 10 is the fee of the other clause
        "Refunds arrive within 3-5 days.",  # working days, not days
        "You will get your refund within ten days.",
        "We ship to Canada within a day.",
        "Shipping costs ¥15.",
        "Our lifetime warranty covers it.",
        "Orders placed before 18:00 ship the same day.",
    ],
)
def test_english_claims_with_a_fact_from_elsewhere_or_nowhere_are_not(draft: str) -> None:
    assert ungrounded_claims(draft, EN) == [draft]


@pytest.mark.parametrize(
    "draft",
    [
        "订单满九十九元包邮，不满的话运费十元。",
        "退款3-5个工作日到账。",
        "满９９元包邮。",
        "签收后七天内可以申请7天无理由退货。",
    ],
)
def test_chinese_claims_in_digits_numerals_or_full_width_are_grounded(draft: str) -> None:
    assert ungrounded_claims(draft, ZH) == []


@pytest.mark.parametrize(
    "draft", ["满１０元包邮。", "退款3-5天到账。", "我们可以寄到加拿大。", "签收后15天内可以退货。"]
)
def test_chinese_claims_with_a_foreign_fact_are_not(draft: str) -> None:
    assert ungrounded_claims(draft, ZH) == [draft]


def test_only_the_unfounded_claim_is_reported() -> None:
    draft = "Shipping is free over ¥99. Refunds take 2 weeks."
    assert ungrounded_claims(draft, EN) == ["Refunds take 2 weeks."]


def test_facts_carry_their_kind() -> None:
    assert facts("退款3-5个工作日到账，满¥99包邮，价格保护百分之十") >= {
        Fact("workday", "5"),
        Fact("money", "99"),
        Fact("percent", "10"),
        Fact("policy", "价格保护"),
    }
    assert Fact("name", "canada") in facts("Do you ship to Canada?")
    assert Fact("day", "7") in facts("You have seven days")


def test_chinese_numerals_count_only_before_a_unit() -> None:
    assert normalise("三十天内统一处理一下") == "30天内统一处理一下"
    assert normalise("１０元") == "10元"
