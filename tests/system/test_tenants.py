"""Two tenants served at once by one installation, through every service: REST in, NLU, dialogue (one
assistant per tenant), the tenants' own action servers, generator, REST out.

Each tenant's customers get that tenant's greeting and that tenant's knowledge, in Chinese and English,
while the other tenant's customers talk at the same time: no reply, passage or cached answer crosses over,
and no message goes unanswered.
"""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest

# Demo-value REST keys of tenants/demo/channels.yaml and tenants/broadband/channels.yaml.
REST_KEYS = {"demo": "demo-rest-api-key", "broadband": "broadband-demo-rest-api-key"}
GREETINGS = {
    "demo": ("思博商城", "Switchboard Demo Shop"),
    "broadband": ("连通宽带", "LinkNet Broadband"),
}


class Customer:
    """One customer of ``tenant`` on the REST channel: each ``say`` is one message, its replies joined."""

    def __init__(self, http: aiohttp.ClientSession, url: str, tenant: str) -> None:
        self._http = http
        self._url = url
        self.tenant = tenant
        self.sender = f"tenants-{tenant}-{uuid.uuid4().hex[:10]}"

    async def say(self, text: str) -> str:
        body = {"sender": self.sender, "message": text, "metadata": {"message_id": uuid.uuid4().hex}}
        headers = {"Authorization": f"Bearer {REST_KEYS[self.tenant]}"}
        async with self._http.post(self._url, json=body, headers=headers) as response:
            assert response.status == 200, await response.text()
            replies = await response.json()
        text = "\n".join(reply.get("text") or "" for reply in replies)
        assert text.strip(), f"{self.tenant}: empty reply"
        return text


@pytest.fixture()
async def customers(shared_stack):
    url = f"http://127.0.0.1:{shared_stack.services['ingest'].http_port}/webhooks/rest/webhook"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        yield lambda tenant: Customer(http, url, tenant)


async def test_both_tenants_at_once_each_customer_gets_their_own_tenants_greeting(customers) -> None:
    people = [customers(tenant) for tenant in ("demo", "broadband") for _ in range(8)]
    texts = ["你好", "hello 👋"]
    replies = await asyncio.gather(*(person.say(texts[i % 2]) for i, person in enumerate(people)))
    for index, (person, reply) in enumerate(zip(people, replies, strict=True)):
        own = GREETINGS[person.tenant][index % 2]
        other = next(name for name in GREETINGS if name != person.tenant)
        assert own in reply, (person.tenant, reply)
        assert not any(name in reply for name in GREETINGS[other]), (person.tenant, reply)


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
