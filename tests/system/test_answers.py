"""What a customer is told, through every service: REST in, NLU, dialogue, generator, handoff, REST out.

Each test talks to the demo tenant as a Rasa REST client would and checks the reply text the customer
sees, in Chinese and English: policy questions answered from the knowledge base (never an order form),
honest "I don't know" with a human offered, forms that take ordinary answers, a question inside a form,
stopping a form, asking for a person, and input a customer should not send but will.
"""

from __future__ import annotations

import re

import pytest

# Every number the demo knowledge base and tenant files state; an answer may state no other.
KB_NUMBERS_GLOB = ("tenants/demo/knowledge/*.md", "tenants/demo/tenant.yaml")
# The order form's first question (tenants/demo/domain.yml), which a policy question must never get.
ORDER_FORM_PROMPTS = ("请提供您的订单号", "What is your order number")


@pytest.fixture()
def customer(channel_customers):
    """A new customer of the demo shop on the REST channel."""
    return channel_customers("rest", "demo")


def kb_numbers() -> set[str]:
    from switchboard.core.testing.plugin import repo_root

    text = "".join(path.read_text(encoding="utf-8") for glob in KB_NUMBERS_GLOB for path in repo_root().glob(glob))
    return set(re.findall(r"\d+", text))


@pytest.mark.parametrize(
    ("question", "must_contain"),
    [
        ("退货运费谁出", "运费"),
        ("退款多久到账", "3-5"),
        ("发票会寄到哪里", "邮箱"),
        ("how do I return something", "7"),
        ("how long until my money is back after a return?", "3-5"),
    ],
)
async def test_a_policy_question_is_answered_from_the_knowledge_base_not_an_order_form(
    customer, question, must_contain
) -> None:
    reply = await customer.say(question)
    assert must_contain in reply, reply
    assert not any(prompt in reply for prompt in ORDER_FORM_PROMPTS), reply


@pytest.mark.parametrize("question", ["满多少钱包邮啊", "what do I have to spend for free delivery"])
async def test_a_paraphrased_question_gets_the_right_passage_and_no_number_the_kb_lacks(customer, question) -> None:
    reply = await customer.say(question)
    assert "99" in reply, reply
    assert set(re.findall(r"\d+", reply)) <= kb_numbers(), reply


@pytest.mark.parametrize(
    ("question", "honest"),
    [("你们能寄到加拿大吗", ("没有找到", "人工")), ("do you ship to Canada?", ("don't", "colleague"))],
)
async def test_a_question_the_kb_cannot_answer_gets_an_honest_reply_and_a_human_offered(
    customer, question, honest
) -> None:
    reply = await customer.say(question)
    assert all(marker in reply for marker in honest), reply
    assert "¥" not in reply and "运费" not in reply.replace(question, ""), reply


@pytest.mark.parametrize(
    ("turns", "final"),
    [
        (["我想退货", "SB1002", "3721", "杯子", "不想要了，保温效果一般"], "创建退货申请"),
        (["I'd like to return something", "SB1002", "3721", "the flask", "it doesn't fit in my bag"], "opened return"),
        # Exact item names, which NLU reads as a damaged item, and reasons that are no damage.
        (["退一下SB1002那个帆布包", "3721", "帆布包", "比想象中小，电脑放不进去"], "创建退货申请"),
        (["need to send stuff back", "SB1002", "3721", "canvas tote", "not a fan of the colour"], "opened return"),
    ],
)
async def test_a_return_form_takes_ordinary_answers_to_the_end(customer, turns, final) -> None:
    replies = [await customer.say(text) for text in turns]
    assert final in replies[-1].lower() if final.isascii() else final in replies[-1], replies


@pytest.mark.parametrize(
    ("turns", "answer", "reasked"),
    [
        (["我要退货", "退款一般几天能到？"], "3-5", "订单号"),
        (["I want to return an item", "who pays for the return shipping?"], "customer", "order number"),
    ],
)
async def test_a_question_inside_a_form_is_answered_and_the_form_asks_again(customer, turns, answer, reasked) -> None:
    replies = [await customer.say(text) for text in turns]
    assert answer in replies[-1] and reasked in replies[-1], replies


@pytest.mark.parametrize(
    ("turns", "stopped"),
    [(["我想改收货地址", "算了"], "已为您取消"), (["I need to change my delivery address", "never mind"], "stopped")],
)
async def test_stopping_a_form_is_confirmed(customer, turns, stopped) -> None:
    replies = [await customer.say(text) for text in turns]
    assert stopped in replies[-1], replies


@pytest.mark.parametrize("question", ["你们人工客服几点上班", "when are your agents available"])
async def test_the_agents_hours_come_from_the_tenant_without_a_callback_ticket(customer, question) -> None:
    reply = await customer.say(question)
    assert "9:00" in reply and "21:00" in reply, reply  # tenants/demo/tenant.yaml agent_hours
    assert "工单" not in reply and "ticket" not in reply, reply


@pytest.mark.parametrize(
    "text",
    [
        "运费" * 1000,  # 2,000 characters
        "😡😡😡",
        "我的order到哪了，tracking number 是多少",
        "配送料はいくらですか",  # a language the tenant does not serve
        "ｒｅｆｕｎｄ多久到账？？？",
    ],
)
async def test_input_a_customer_should_not_send_still_gets_a_sensible_reply(customer, text) -> None:
    reply = await customer.say(text, expect_reply=False)
    assert reply.strip(), f"empty reply to {text[:40]!r}"
