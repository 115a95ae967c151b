"""The right passage for paraphrases, every question of a two-question message, and honest out-of-scope
answers: the answerer on the real knowledge base, embedder and Milvus Lite (model off)."""

from __future__ import annotations

import time

import pytest

from switchboard.core.contracts import ReplySource
from switchboard.generator.answering import Question
from switchboard.generator.style import not_known


def _deadline() -> float:
    return time.monotonic() + 60


@pytest.mark.parametrize(
    ("text", "language", "section"),
    [
        ("How much must I spend so delivery costs nothing?", "en", "shipping.en.md#shipping-fees"),
        ("Once I've paid, how quickly is it dispatched?", "en", "shipping.en.md#dispatch-times"),
        ("What is your return policy?", "en", "returns.en.md#7-day-no-reason-returns"),
        (
            "It got cheaper a week after I bought it, do I get the difference?",
            "en",
            "price-protection.en.md#618-and-double-11",
        ),
        ("买多少可以免运费", "zh", "shipping.zh.md#运费"),
        ("退货的期限是几天", "zh", "returns.zh.md#7天无理由退货"),
        ("退huo期限是多久", "zh", "returns.zh.md#7天无理由退货"),
    ],
)
async def test_a_paraphrase_is_answered_from_the_section_whose_topic_it_names(
    make_answerer, text: str, language: str, section: str
) -> None:
    answer = await make_answerer().answer(Question("demo", text, language, personal=True), deadline=_deadline())
    assert answer.source == ReplySource.REPLY_SOURCE_EXTRACTIVE
    assert answer.citations[0]["source"] == section


@pytest.mark.parametrize(
    ("text", "language", "sections", "facts"),
    [
        (
            "包邮要买满多少？下午几点前下单能当天发？",
            "zh",
            ["shipping.zh.md#运费", "shipping.zh.md#发货时间"],
            ["99", "16:00"],
        ),
        (
            "What's the minimum for free shipping? And how long until a refund arrives?",
            "en",
            ["shipping.en.md#shipping-fees", "refunds.en.md#when-the-money-comes-back"],
            ["¥99", "3-5 business days"],
        ),
    ],
)
async def test_two_questions_in_one_message_are_both_answered_each_from_its_passage(
    make_answerer, text: str, language: str, sections: list[str], facts: list[str]
) -> None:
    answer = await make_answerer().answer(Question("demo", text, language, personal=True), deadline=_deadline())
    assert [citation["source"] for citation in answer.citations] == sections
    assert all(fact in answer.text for fact in facts)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Can I pay cash when it arrives?", "en"),
        ("Could you gift wrap it for me?", "en"),
        ("Which country is this made in?", "en"),
        ("能用花呗分期付款吗", "zh"),
        ("批发的话价格怎么算", "zh"),
        ("能发顺丰到付吗", "zh"),
    ],
)
async def test_a_concept_the_knowledge_base_lacks_gets_the_honest_reply_not_a_neighbour(
    make_answerer, text: str, language: str
) -> None:
    answer = await make_answerer().answer(Question("demo", text, language, personal=True), deadline=_deadline())
    assert answer.text == not_known(language) and not answer.citations
