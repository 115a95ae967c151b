"""The answer gate's key-term checks: names the knowledge base lacks, Chinese questions sharing nothing."""

from __future__ import annotations

import pytest

from switchboard.generator.answerability import answerable, unknown_names, unknown_terms

KNOWLEDGE = (
    "Shipping / Shipping fees Shipping is free for orders over ¥99; otherwise it costs ¥10. "
    "Shipping / Dispatch times Orders placed before 16:00 (Beijing time) ship the same day. "
    "配送 / 运费 订单满99元包邮，不满99元收取运费10元。 退货 / 7天无理由退货 签收后7天内可以退货。"
)
FEE_EN = "Shipping / Shipping fees Shipping is free for orders over ¥99; otherwise it costs ¥10."
FEE_ZH = "配送 / 运费 订单满99元包邮，不满99元收取运费10元。"


@pytest.mark.parametrize(
    ("question", "passage"),
    [("Do you ship to Canada?", FEE_EN), ("能寄到加拿大吗？", FEE_ZH), ("你们卖汽车吗", FEE_ZH)],
)
def test_questions_the_knowledge_base_cannot_answer_are_not_answerable(question: str, passage: str) -> None:
    assert not answerable(question, passage, KNOWLEDGE)


@pytest.mark.parametrize(
    ("question", "passage", "terms"),
    [
        ("How much is delivery?", FEE_EN, ("delivery fee",)),
        ("Do orders placed in Beijing ship today?", FEE_EN, ()),
        ("买多少钱可以免邮费？", FEE_ZH, ("邮费",)),
        ("不喜欢可以退吗？", "退货 / 7天无理由退货 签收后7天内可以退货。", ("不喜欢",)),
    ],
)
def test_paraphrased_questions_stay_answerable(question: str, passage: str, terms: tuple[str, ...]) -> None:
    assert answerable(question, passage, KNOWLEDGE, terms)


@pytest.mark.parametrize(
    ("question", "passage", "unknown"),
    [
        ("Can I pay cash on delivery?", FEE_EN, "cash"),
        ("Do you gift wrap?", FEE_EN, "gift"),
        ("Which country is it made in?", FEE_EN, "country"),
        ("可以用花呗分期吗", FEE_ZH, "分期"),
        ("批发价格怎么谈", FEE_ZH, "批发价格"),
    ],
)
def test_a_concept_the_knowledge_base_lacks_is_not_answered_by_a_passage_naming_none_of_its_terms(
    question: str, passage: str, unknown: str
) -> None:
    assert unknown in unknown_terms(question, KNOWLEDGE)
    assert not answerable(question, passage, KNOWLEDGE)


def test_question_phrasing_and_counts_are_not_unknown_concepts() -> None:
    assert unknown_terms("How long do I have, two weeks?", KNOWLEDGE) == []
    assert unknown_terms("已经两个星期了，还能退货吗？", KNOWLEDGE) == []
    # Adverbs, conjunctions, locatives, ordinals and pronouns name no topic, whatever word they are.
    assert unknown_terms("另外，以后的话，第五天自己还能退货吗", KNOWLEDGE) == []
    assert unknown_terms("it's been too long since then, is that too late?", KNOWLEDGE) == []


def test_a_declared_key_term_answers_though_the_passage_words_it_differently() -> None:
    passage = "价格保护 / 618与双11 购买后15天内如商品降价，我们将退还差价。"
    assert answerable("刚付完款就便宜了二十块", passage, KNOWLEDGE, ("便宜了",))
    assert not answerable("刚付完款就便宜了二十块", passage, KNOWLEDGE)


def test_unknown_names_lists_what_the_knowledge_base_never_mentions() -> None:
    assert unknown_names("Do you deliver to New York or Beijing?", KNOWLEDGE) == ["new york"]
