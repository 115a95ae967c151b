"""Two tenants served at once by one installation, through every service: REST in, NLU, dialogue (one
assistant per tenant), the tenants' own action servers, generator, REST out.

Each tenant's customers get that tenant's greeting and that tenant's knowledge, in Chinese and English,
while the other tenant's customers talk at the same time: no reply, passage or cached answer crosses over,
and no message goes unanswered.
"""

from __future__ import annotations

import asyncio

import pytest

GREETINGS = {
    "demo": ("思博商城", "Switchboard Demo Shop"),
    "broadband": ("连通宽带", "LinkNet Broadband"),
}


@pytest.fixture()
def customers(channel_customers):
    """A new REST customer of a tenant (an empty reply fails the test: no message goes unanswered)."""
    return lambda tenant: channel_customers("rest", tenant)


async def test_both_tenants_at_once_each_customer_gets_their_own_tenants_greeting(customers) -> None:
    tenants = [tenant for tenant in ("demo", "broadband") for _ in range(8)]
    people = [customers(tenant) for tenant in tenants]
    texts = ["你好", "hello 👋"]
    replies = await asyncio.gather(*(person.say(texts[i % 2]) for i, person in enumerate(people)))
    for index, reply in enumerate(replies):
        tenant = tenants[index]
        own = GREETINGS[tenant][index % 2]
        other = next(name for name in GREETINGS if name != tenant)
        assert own in reply, (tenant, reply)
        assert not any(name in reply for name in GREETINGS[other]), (tenant, reply)


@pytest.mark.parametrize(
    ("tenant", "question", "fact", "other_tenants_fact"),
    [
        ("broadband", "千兆的套餐一个月多少钱啊", "169", "99"),
        ("broadband", "how much is the gigabit plan a month?", "169", "99"),
        ("demo", "满多少钱包邮啊", "99", "169"),
        ("demo", "what do I have to spend for free delivery", "99", "169"),
    ],
)
async def test_each_tenant_answers_from_its_own_knowledge_base(
    customers, tenant, question, fact, other_tenants_fact
) -> None:
    reply = await customers(tenant).say(question)
    assert fact in reply, reply
    assert other_tenants_fact not in reply, reply


@pytest.mark.parametrize(
    ("tenant", "question", "leak"),
    [
        # Asked first of its own tenant, so a shared cache or index would hold the answer for the other.
        ("demo", "how much is the gigabit plan a month?", "169"),
        ("demo", "千兆的套餐一个月多少钱啊", "169"),
        ("broadband", "满多少钱包邮啊", "99"),
    ],
)
async def test_a_question_about_the_other_tenant_gets_none_of_its_passages(customers, tenant, question, leak) -> None:
    other = "broadband" if tenant == "demo" else "demo"
    assert leak in await customers(other).say(question)
    assert leak not in await customers(tenant).say(question)


async def test_the_broadband_tenants_own_action_server_serves_its_form(customers) -> None:
    person = customers("broadband")
    first = await person.say("帮我查下我家那边是不是断网了")
    assert "LN" in first, first  # the account form asks for the account number (LN + 6 digits)
    # LN100004 is in Minhang, where tenants/broadband/actions/data/accounts.yaml has an outage.
    second = await person.say("我的账号是LN100004")
    assert "闵行" in second, second


# A question per tenant and language, the fact its own knowledge base answers with, the other tenant's fact.
KB_QUESTIONS = {
    ("demo", "zh"): ("满多少钱包邮啊", "99", "169"),
    ("demo", "en"): ("what do I have to spend for free delivery", "99", "169"),
    ("broadband", "zh"): ("千兆的套餐一个月多少钱啊", "169", "99"),
    ("broadband", "en"): ("how much is the gigabit plan a month?", "169", "99"),
}
HELLO = {"zh": "你好", "en": "hello"}


@pytest.mark.parametrize("channel", ["webchat", "wechat", "voice"])
async def test_every_channel_serves_both_tenants_at_once_each_with_its_own_greeting_and_knowledge(
    channel_customers, channel
) -> None:
    cases = list(KB_QUESTIONS)
    people = [channel_customers(channel, tenant, language) for tenant, language in cases]
    pairs = list(zip(people, cases, strict=True))
    greetings = await asyncio.gather(*(person.say(HELLO[language]) for person, (_, language) in pairs))
    for (tenant, language), reply in zip(cases, greetings, strict=True):
        other = next(name for name in GREETINGS if name != tenant)
        assert GREETINGS[tenant][0 if language == "zh" else 1] in reply, (channel, tenant, language, reply)
        assert not any(name in reply for name in GREETINGS[other]), (channel, tenant, reply)
    answers = await asyncio.gather(*(person.say(KB_QUESTIONS[case][0]) for person, case in pairs))
    for case, reply in zip(cases, answers, strict=True):
        _, fact, other_tenants_fact = KB_QUESTIONS[case]
        assert fact in reply and other_tenants_fact not in reply, (channel, case, reply)


@pytest.mark.parametrize("tenant", ["demo", "broadband"])
def test_each_shipped_tenant_passes_its_test_stories_through_the_running_system(shared_stack, tenant, capsys) -> None:
    from switchboard.cli.main import main

    code = main(["--tenants-dir", str(shared_stack.tenants_dir), "test", tenant, "--url", shared_stack.ingest_url])
    assert code == 0, capsys.readouterr().out
