"""The web chat widget in real headless Chromium: converse, stream, reconnect, hand off, stay escaped."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from switchboard.core.contracts import (
    AgentAssigned,
    Citation,
    HandoffEvent,
    HandoffQueued,
    Language,
    MessageReceived,
    ReplySource,
    caused_envelope,
)
from switchboard.ingest.testing import reply_to

pytestmark = pytest.mark.browser

WIDGET = "#switchboard-chat"


async def open_chat(browser, node, *, width: int = 1280, height: int = 800, locale: str = "en-US"):
    context = await browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = await context.new_page()
    await page.goto(f"{node.base_url}/chat")
    await page.locator(f"{WIDGET} [data-testid=status][data-state=online]").wait_for(timeout=15000)
    return context, page


async def say(page, text: str) -> None:
    await page.locator(f"{WIDGET} [data-testid=input]").fill(text)
    await page.locator(f"{WIDGET} [data-testid=input]").press("Enter")


def screenshots(default: Path) -> Path:
    """Where screenshots go: ``SWITCHBOARD_SCREENSHOTS`` to keep them, else the test's temporary folder."""
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS", default))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def replies(page):
    return page.locator(f"{WIDGET} [data-testid=reply] .bubble")


def mine(page):
    return page.locator(f"{WIDGET} [data-testid=mine] .bubble")


async def test_converse_with_escaping_and_quick_replies(browser, node) -> None:
    context, page = await open_chat(browser, node)
    hostile = '<img src=x onerror="window.__pwned=1">你好 😀'
    await say(page, hostile)
    await replies(page).first.wait_for()
    assert await replies(page).first.text_content() == f"echo: {hostile}"
    assert await mine(page).first.text_content() == hostile
    assert await page.evaluate("window.__pwned") is None
    assert await page.locator(f"{WIDGET} img").count() == 0
    await page.locator(f"{WIDGET} [data-testid=chip]").first.click()
    await replies(page).nth(1).wait_for()
    assert await replies(page).nth(1).text_content() == "echo: /check_order"
    await context.close()


async def test_streamed_reply_grows_then_settles(browser, node) -> None:
    async def stream(message: MessageReceived):
        final = reply_to(message, "Your parcel SB1003 left Shanghai today.")
        for index, text in enumerate(("Your parcel", "Your parcel SB1003 left")):
            partial = reply_to(message, text, partial=True, stream_id=final.envelope.event_id)
            partial.envelope.event_id = f"{final.envelope.event_id}-p{index}"
            await node.publish_reply(partial)
            await asyncio.sleep(0.6)
        return [final]

    node.responder.answer = stream
    context, page = await open_chat(browser, node)
    await say(page, "where is SB1003?")
    streaming = page.locator(f"{WIDGET} [data-testid=reply] .bubble.streaming")
    await streaming.wait_for(timeout=10000)
    assert (await streaming.text_content()).startswith("Your parcel")
    await page.locator(f"{WIDGET} [data-testid=reply][data-partial='0']").wait_for(timeout=10000)
    assert await replies(page).count() == 1
    assert await replies(page).first.text_content() == "Your parcel SB1003 left Shanghai today."
    await context.close()


async def test_replies_to_one_message_keep_their_order_when_they_arrive_out_of_it(browser, node) -> None:
    # A question inside a form: the form's next question (reply 2 of 2) comes straight from the
    # dialogue, the generated answer (reply 1 of 2) a moment later; the customer reads them in order.
    async def answer_late(message: MessageReceived):
        await node.publish_reply(reply_to(message, "请提供下单手机号的后 4 位。", sequence=1, count=2, step="ask"))
        await asyncio.sleep(0.8)
        return [reply_to(message, "订单满99元包邮。", sequence=0, count=2, step="answer")]

    node.responder.answer = answer_late
    context, page = await open_chat(browser, node)
    await say(page, "运费多少钱？")
    await replies(page).nth(1).wait_for(timeout=10000)
    assert await replies(page).all_text_contents() == ["订单满99元包邮。", "请提供下单手机号的后 4 位。"]
    await page.reload()
    await replies(page).nth(1).wait_for(timeout=10000)
    assert await replies(page).all_text_contents() == ["订单满99元包邮。", "请提供下单手机号的后 4 位。"]
    await context.close()


def sources(page):
    return page.locator(f"{WIDGET} [data-testid=reply] [data-testid=sources]")


@pytest.mark.parametrize(
    ("locale", "question", "expected"),
    [
        ("zh-CN", "退货运费谁出？", ["来源：退货 / 退货运费"]),
        (
            "en-US",
            "Who pays return shipping?",
            ["Source: Returns / Return shipping, Refunds / Timing, Orders / Tracking"],
        ),
    ],
)
async def test_an_answer_shows_its_sources_in_its_language(browser, node, tmp_path: Path, locale, question, expected):
    zh = locale == "zh-CN"

    async def cited(message: MessageReceived):
        if zh:
            citations = [Citation(source="returns.md#运费", title="退货 / 退货运费", score=0.9)] * 2
            return [reply_to(message, "退货运费由我们承担。", language=Language.LANGUAGE_ZH, citations=citations)]
        titles = ["Returns / Return shipping", "Refunds / Timing", "Returns / Return shipping", "Orders / Tracking"]
        titles.append("Invoices / Requesting one")  # a fourth distinct source: only three are shown
        citations = [Citation(source=f"kb.md#{i}", title=title, score=0.5) for i, title in enumerate(titles)]
        return [reply_to(message, "Return shipping is on us.", language=Language.LANGUAGE_EN, citations=citations)]

    node.responder.answer = cited
    context, page = await open_chat(browser, node, locale=locale)
    await say(page, question)
    await sources(page).first.wait_for(timeout=10000)
    assert await sources(page).all_text_contents() == expected
    assert await sources(page).locator(".source").first.get_attribute("title") in ("returns.md#运费", "kb.md#0")
    await page.screenshot(path=str(screenshots(tmp_path) / f"widget-sources-{locale}.png"))
    # Replayed from the history after a reload, the footnote is the same.
    await page.reload()
    await sources(page).first.wait_for(timeout=15000)
    assert await sources(page).all_text_contents() == expected
    await context.close()


async def test_no_footnote_without_citations_and_a_hostile_title_is_text(browser, node) -> None:
    hostile = '<img src=x onerror="window.__pwned=1">'

    async def answer(message: MessageReceived):
        if message.text == "plain":
            return [reply_to(message, "No sources here.", language=Language.LANGUAGE_EN)]
        final = reply_to(
            message,
            "Answer with a strange source.",
            language=Language.LANGUAGE_EN,
            citations=[Citation(source="x.md#1", title=hostile, score=0.4)],
        )
        # While the answer streams it has no footnote; it comes with the final reply.
        partial = reply_to(message, "Answer with", partial=True, stream_id=final.envelope.event_id)
        partial.envelope.event_id = f"{final.envelope.event_id}-p0"
        partial.citations.extend(final.citations)
        await node.publish_reply(partial)
        await asyncio.sleep(0.8)
        return [final]

    node.responder.answer = answer
    context, page = await open_chat(browser, node)
    await say(page, "plain")
    await replies(page).first.wait_for()
    await say(page, "strange")
    await page.locator(f"{WIDGET} [data-testid=reply] .bubble.streaming").wait_for(timeout=10000)
    assert await sources(page).count() == 0
    await sources(page).first.wait_for(timeout=10000)
    assert await replies(page).all_text_contents() == ["No sources here.", "Answer with a strange source."]
    assert await sources(page).all_text_contents() == [f"Source: {hostile}"]
    assert await page.locator(f"{WIDGET} img").count() == 0
    assert await page.evaluate("window.__pwned") is None
    await context.close()


async def test_reconnect_and_reload_without_duplicates(browser, node) -> None:
    context, page = await open_chat(browser, node)
    await say(page, "first message")
    await replies(page).first.wait_for()
    # The connection drops before the acknowledgement arrived: the widget resends the same message id.
    await page.evaluate("window.SwitchboardChat.dropConnection(true)")
    await page.locator(f"{WIDGET} [data-testid=status][data-state=offline]").wait_for()
    await page.locator(f"{WIDGET} [data-testid=status][data-state=online]").wait_for(timeout=15000)
    await asyncio.sleep(1.0)
    assert await mine(page).count() == 1 and await replies(page).count() == 1
    await page.reload()
    await page.locator(f"{WIDGET} [data-testid=status][data-state=online]").wait_for(timeout=15000)
    await replies(page).first.wait_for()
    assert await mine(page).count() == 1 and await replies(page).count() == 1
    assert len(node.responder.received) == 1
    await context.close()


async def test_handoff_shows_queue_position_then_the_agent(browser, node, tmp_path: Path) -> None:
    context, page = await open_chat(browser, node)
    await say(page, "I want a human")
    await replies(page).first.wait_for()
    [message] = node.responder.received
    await node.publish_handoff(
        HandoffEvent(
            envelope=caused_envelope(message.envelope, "q"),
            queued=HandoffQueued(queue="general", position=2, estimated_wait_seconds=90),
        )
    )
    banner = page.locator(f"{WIDGET} [data-testid=handoff]")
    await page.wait_for_function(
        "() => document.querySelector('#switchboard-chat')"
        ".shadowRoot.querySelector('.banner').textContent.includes('number 2')"
    )
    await node.publish_handoff(
        HandoffEvent(
            envelope=caused_envelope(message.envelope, "a"), assigned=AgentAssigned(agent_id="a1", agent_name="Li Na")
        )
    )
    await page.wait_for_function(
        "() => document.querySelector('#switchboard-chat')"
        ".shadowRoot.querySelector('.banner').textContent.includes('Li Na')"
    )
    assert "connected to Li Na" in await banner.text_content()
    await node.publish_reply(
        reply_to(
            message,
            "Hi, this is Li Na. Let me check that for you.",
            source=ReplySource.REPLY_SOURCE_AGENT,
            agent_name="Li Na",
            step="agent",
        )
    )
    agent = page.locator(f"{WIDGET} [data-testid=reply] .who", has_text="Li Na")
    await agent.wait_for()
    await page.screenshot(path=str(screenshots(tmp_path) / "widget-handoff.png"))
    await context.close()


@pytest.mark.parametrize(
    ("name", "width", "height", "locale"),
    [
        ("desktop", 1280, 800, "en-US"),
        ("mobile", 390, 844, "en-US"),
        ("mobile-zh", 390, 844, "zh-CN"),
    ],
)
async def test_widget_layout_fits_desktop_and_mobile(
    browser, node, tmp_path: Path, name, width, height, locale
) -> None:
    context, page = await open_chat(browser, node, width=width, height=height, locale=locale)
    await say(page, "Hello! Where is my order SB1003?")
    await replies(page).first.wait_for()
    panel = await page.locator(f"{WIDGET} .panel").bounding_box()
    assert panel["x"] >= 0 and panel["y"] >= 0
    assert panel["x"] + panel["width"] <= width and panel["y"] + panel["height"] <= height
    if width < 480:
        assert panel["width"] == width  # full screen on phones
    composer = await page.locator(f"{WIDGET} [data-testid=input]").bounding_box()
    assert composer["y"] + composer["height"] <= height
    await page.screenshot(path=str(screenshots(tmp_path) / f"widget-{name}.png"))
    await context.close()
