"""The agent console in headless Chromium, next to the customer's web chat widget in a second page.

An ingest node serves the widget; a handoff node serves the console on the same (test-private)
topics and database. The stand-in bot (the ingest ``Responder``) echoes customer messages and stays
silent while a human owns the conversation, as the dialogue service does; the handoff decision the
dialogue service would publish is published here. A stand-in generator answers agent assist.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import grpc
import pytest

from switchboard.api.generator.v1 import generator_service_pb2 as pb
from switchboard.api.generator.v1 import generator_service_pb2_grpc as pb_grpc
from switchboard.core.contracts import (
    Citation,
    HandoffDecision,
    HandoffReason,
    Language,
    MessageReceived,
    ReplyDecided,
    caused_envelope,
)
from switchboard.core.testing import free_port
from switchboard.core.testing.harness import wait_until
from switchboard.core.testing.plugin import repo_root
from switchboard.handoff.testing import DEMO_PASSWORDS, HandoffNode, tenants_copy, understood
from switchboard.ingest.testing import echo

pytestmark = pytest.mark.browser

WIDGET = "#switchboard-chat"
HOSTILE = [Citation(source="x.md#1", title='<img src=x onerror="window.__pwned=1">')]
SUGGESTION = "非常抱歉给您带来不便，我马上为您查询订单 SB1003 的退款进度。"


class StandInGenerator(pb_grpc.GeneratorServiceServicer):
    """Answers every ``Generate`` with one suggestion, in two deltas."""

    def __init__(self) -> None:
        self.requests: list[pb.GenerateRequest] = []

    async def Generate(self, request: pb.GenerateRequest, context):
        self.requests.append(request)
        yield pb.GenerateResponse(delta=SUGGESTION[:10])
        yield pb.GenerateResponse(delta=SUGGESTION[10:], done=True, text=SUGGESTION)


@pytest.fixture()
async def generator() -> AsyncIterator[tuple[str, StandInGenerator]]:
    server = grpc.aio.server()
    servicer = StandInGenerator()
    pb_grpc.add_GeneratorServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}", servicer
    await server.stop(0)


@pytest.fixture()
async def console(
    kafka_settings, mongo_settings, conversation_topics, tmp_path: Path, node, generator
) -> AsyncIterator[HandoffNode]:
    """A handoff node on the ingest node's topics (``conversation_topics`` and the ingest node's
    ``private_topic`` calls hand out the same copies)."""
    topics = conversation_topics
    tenants = tenants_copy(repo_root(), tmp_path / "handoff-tenants")
    # Agents on duty around the clock, so the console runs on the real clock whenever the test runs.
    tenant_file = tenants / "demo" / "tenant.yaml"
    tenant_file.write_text(
        tenant_file.read_text(encoding="utf-8")
        .replace('start: "09:00"', 'start: "00:00"')
        .replace('end: "21:00"', 'end: "23:59"'),
        encoding="utf-8",
    )
    handoff = HandoffNode(
        kafka=kafka_settings,
        mongo=mongo_settings,
        tenants_dir=tenants,
        topics=topics,
        port=free_port(),
        generator_address=generator[0],
        clock=lambda: datetime.now(timezone.utc),
    )
    await handoff.start()
    yield handoff
    await handoff.stop()


def screenshots(default: Path) -> Path:
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS", default))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def widget_page(browser, node):
    context = await browser.new_context(viewport={"width": 420, "height": 760}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{node.base_url}/chat")
    await page.locator(f"{WIDGET} [data-testid=status][data-state=online]").wait_for(timeout=15000)
    return page


async def say(page, text: str) -> None:
    await page.locator(f"{WIDGET} [data-testid=input]").fill(text)
    await page.locator(f"{WIDGET} [data-testid=input]").press("Enter")


async def agent_page(browser, console: HandoffNode, agent_id: str):
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{console.base_url}/console")
    await page.locator("#login-agent").fill(agent_id)
    await page.locator("#login-password").fill(DEMO_PASSWORDS[agent_id])
    await page.locator("#login-submit").click()
    await page.locator("#app").wait_for()
    return page


async def test_agent_accepts_replies_and_hands_back_to_the_bot(
    browser, node, console, kafka_harness, generator, tmp_path
) -> None:
    shots = screenshots(tmp_path)
    handed_off: set[str] = set()

    async def bot(message: MessageReceived):
        # The dialogue service keeps quiet while a human owns the conversation.
        if message.envelope.conversation_id in handed_off:
            return []
        replies = await echo(message)
        if message.text == "你好":  # an answer from the knowledge base, one of its titles hostile
            replies[0].language = Language.LANGUAGE_ZH
            replies[0].citations.extend([Citation(source="returns.md#运费", title="退货 / 退货运费"), *HOSTILE])
        return replies

    node.responder.answer = bot
    customer = await widget_page(browser, node)
    await say(customer, "你好")
    await customer.locator(f"{WIDGET} [data-testid=reply] .bubble", has_text="echo: 你好").wait_for()

    # The customer is angry; NLU reads it, the dialogue service decides to hand off.
    await say(customer, "订单 SB1003 退款还没到！我要找人工 <b>现在</b> 😡")
    message = await wait_until(lambda: next((m for m in node.responder.received if "SB1003" in m.text), None))
    handed_off.add(message.envelope.conversation_id)
    await kafka_harness.send(
        console.topics.understood, understood(message, intent="refund_status", entities={"order_id": "SB1003"})
    )
    decided = ReplyDecided(
        envelope=caused_envelope(message.envelope, "decided"),
        message=message,
        language=Language.LANGUAGE_ZH,
        handoff=HandoffDecision(
            reasons=[HandoffReason.HANDOFF_REASON_CUSTOMER_REQUEST, HandoffReason.HANDOFF_REASON_NEGATIVE_EMOTION],
            topic="refund_status",
            language=Language.LANGUAGE_ZH,
            summary="客户催退款（订单 SB1003），情绪激动，要求人工。",
        ),
    )
    await kafka_harness.send(console.topics.decided, decided)
    await customer.locator(f"{WIDGET} [data-testid=handoff]").wait_for(timeout=15000)

    agent = await agent_page(browser, console, "li.lei")
    waiting = agent.locator("#waiting li[data-id]")
    await waiting.first.wait_for(timeout=15000)
    await agent.screenshot(path=str(shots / "console-queue.png"))
    await agent.locator("#accept-next").click()
    await agent.locator("#summary", has_text="SB1003").wait_for()
    await agent.locator("#facts dd", has_text="SB1003").wait_for()
    suggestion = agent.locator(".suggestion", has_text="退款进度")
    await suggestion.wait_for(timeout=15000)
    assert generator[1].requests[-1].context.question.startswith("订单 SB1003")
    # Customer text is shown as text, never as markup.
    assert await agent.locator("#transcript b").count() == 0
    await agent.locator("#transcript .msg.customer", has_text="<b>现在</b>").first.wait_for()
    # The bot's answer shows the knowledge-base sections it rests on, as text; other entries show none.
    cited = agent.locator("#transcript .msg.bot .sources")
    assert await cited.all_text_contents() == [f"来源：退货 / 退货运费，{HOSTILE[0].title}"]
    assert await agent.locator("#transcript .msg.customer .sources").count() == 0
    assert await agent.locator("#transcript img").count() == 0 and await agent.evaluate("window.__pwned") is None
    await agent.screenshot(path=str(shots / "console-chat.png"))

    await suggestion.click()
    await agent.locator("#send").click()
    agent_reply = customer.locator(f"{WIDGET} [data-testid=reply]", has_text="退款进度")
    await agent_reply.wait_for(timeout=15000)
    assert "李雷" in await agent_reply.text_content()
    await customer.screenshot(path=str(shots / "widget-agent-reply.png"))

    # The customer's next message reaches the agent live; the bot says nothing.
    await say(customer, "好的，谢谢 🙏")
    await agent.locator("#transcript .msg.customer", has_text="谢谢").wait_for(timeout=15000)
    assert await customer.locator(f"{WIDGET} [data-testid=reply] .bubble", has_text="echo: 好的").count() == 0

    await agent.locator("#resolve").click()
    await agent.locator("#chat-empty").wait_for()
    events = await kafka_harness.expect(console.topics.handoff, 5)
    assert any(e.WhichOneof("event") == "returned_to_bot" for e in events)
    handed_off.discard(message.envelope.conversation_id)  # the dialogue service resumes on returned_to_bot
    await say(customer, "还有一个问题")
    await customer.locator(f"{WIDGET} [data-testid=reply] .bubble", has_text="echo: 还有一个问题").wait_for(
        timeout=15000
    )
    await customer.screenshot(path=str(shots / "widget-back-to-bot.png"))

    # The supervisor's floor counts the conversation as handed off, with its reasons.
    supervisor = await agent_page(browser, console, "han.mei")
    await supervisor.locator("#reason-bars li", has_text="negative emotion").wait_for(timeout=15000)
    assert await supervisor.locator("#kpi-automation").text_content() == "0%"
    await supervisor.screenshot(path=str(shots / "console-supervisor.png"))


async def test_login_page_and_wrong_password(browser, console, tmp_path) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto(f"{console.base_url}/console")
    await page.locator("#login-form").wait_for()
    await page.screenshot(path=str(screenshots(tmp_path) / "console-login.png"))
    await page.locator("#login-agent").fill("li.lei")
    await page.locator("#login-password").fill("not-the-password")
    await page.locator("#login-submit").click()
    await page.locator("#login-error", has_text="wrong").wait_for()
    assert await page.locator("#app").is_hidden()
