"""The demo tenant's data reads the customer wordings its dialogue depends on: policy questions as
questions, task requests as tasks, damaged items, stopping, agents' hours, and out-of-scope questions
as the fallback. (None of these texts is a training example.)"""

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
        # How the shop works against what happens to the customer's own order.
        ("how long does a refund usually take", "policy_question"),
        ("我的退款怎么还没到", "refund_status"),
        ("has the refund for SB1004 gone through", "refund_status"),
        ("do you issue VAT invoices", "policy_question"),
        ("发票会发到邮箱吗", "policy_question"),
        ("can you issue the invoice for my order now", "invoice"),
        ("if I order tonight when does it ship", "policy_question"),
        ("帮我查下SB1003发货了没", "check_order"),
        ("收到货以后几天内能退", "policy_question"),
        ("东西有质量问题退回运费谁来出", "policy_question"),
        ("I put the wrong address on my order, fix it please", "change_address"),
        # Out of scope, though asked like a shop question: the reject class sends them to the fallback.
        ("how do I cook rice", "nlu_fallback"),
        ("煮鸡蛋要几分钟", "nlu_fallback"),
    ],
)
def test_the_demo_model_reads_customer_wordings(demo_model: NluModel, text: str, intent: str) -> None:
    assert demo_model.parse(ParseInput(text)).intent.name == intent
