"""A message is cut into its questions; a single question, or a greeting before it, stays whole."""

from __future__ import annotations

import pytest

from switchboard.generator.questions import split_questions


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("满多少包邮？几点前下单当天发？", ["满多少包邮？", "几点前下单当天发？"]),
        (
            "free shipping minimum? and how long do refunds take?",
            ["free shipping minimum?", "and how long do refunds take?"],
        ),
        # A comma before a word that adds a question.
        (
            "what's the shipping cost, and when do you dispatch?",
            ["what's the shipping cost", "and when do you dispatch?"],
        ),
        ("满多少能包邮，另外退款几天到账", ["满多少能包邮", "另外退款几天到账"]),
        (
            "what's the refund timing, also who pays the return postage",
            ["what's the refund timing", "also who pays the return postage"],
        ),
    ],
)
def test_two_questions_in_one_message_are_two_questions(text: str, parts: list[str]) -> None:
    assert split_questions(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "How much is delivery?",
        "你好，请问退货运费谁出？",
        "好的。退货运费谁出？",
        "Hi! Who pays return shipping? Thanks.",
        "不太喜欢，收到五天了还能退吗",
    ],
)
def test_one_question_stays_whole(text: str) -> None:
    assert split_questions(text) == [text]
