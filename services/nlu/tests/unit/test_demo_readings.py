"""The demo tenant's data reads the customer wordings its dialogue depends on: policy questions as
questions, task requests as tasks, damaged items, stopping, and agents' hours."""

from __future__ import annotations

import pytest

from switchboard.nlu.model import NluModel, ParseInput


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("退货运费谁出", "policy_question"),
        ("how do I return something", "policy_question"),
        ("买多少钱可以免运费", "policy_question"),
        ("what's your return policy", "policy_question"),
        ("买完降价了能补差价吗", "policy_question"),
        ("is there price protection", "policy_question"),
        ("I want to return SB1002", "return_item"),
        ("我要退货", "return_item"),
        ("查一下我的订单", "check_order"),
        ("the item arrived broken", "damaged_item"),
        ("收到的东西坏了", "damaged_item"),
        ("算了", "stop"),
        ("不想要了", "stop"),
        ("never mind", "stop"),
        ("人工客服几点上班", "business_info"),
        ("what are your agent hours", "business_info"),
    ],
)
def test_the_demo_model_reads_customer_wordings(demo_model: NluModel, text: str, intent: str) -> None:
    assert demo_model.parse(ParseInput(text)).intent.name == intent
