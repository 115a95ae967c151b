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
    ],
)
def test_one_question_stays_whole(text: str) -> None:
    assert split_questions(text) == [text]
