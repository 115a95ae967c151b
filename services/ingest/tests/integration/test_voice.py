"""Phone IVR: requests signed with the twilio library, TwiML checked."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

from switchboard.core.contracts import Channel, ChannelHints
from switchboard.ingest.testing import Responder, echo, reply_to

AUTH_TOKEN = "demo-twilio-auth-token"


async def call(node, path: str, form: dict[str, str], *, sign_with: str = AUTH_TOKEN) -> tuple[int, ET.Element | str]:
    url = node.base_url + path
    signature = RequestValidator(sign_with).compute_signature(url, form)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url,
            data=urlencode(form),
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        ) as response,
    ):
        text = await response.text()
        if response.status != 200:
            return response.status, text
        return response.status, ET.fromstring(text)


def follow(element: ET.Element, tag: str) -> str:
    """The path of the first <tag> (Redirect) or Gather action."""
    found = element.find(f".//{tag}")
    assert found is not None, ET.tostring(element).decode()
    url = found.get("action") if tag == "Gather" else found.text
    return url.replace("&amp;", "&")


def says(element: ET.Element) -> list[str]:
    return [say.text for say in element.iter("Say")]


CALL = {"CallSid": "CA123", "From": "+8613912345678", "To": "+861088888888"}


async def test_incoming_call_greets_in_the_callers_language_with_a_barge_in_gather(make_node) -> None:
    node = await make_node()
    status, twiml = await call(node, "/voice/demo/incoming", CALL)
    assert status == 200
    gather = twiml.find("Gather")
    assert gather.get("input") == "speech dtmf" and gather.get("language") == "zh-CN"
    assert gather.get("speechTimeout") == "auto" and gather.get("bargeIn") == "true"
    assert "您好" in says(twiml)[0]
    _, twiml = await call(node, "/voice/demo/incoming", {**CALL, "From": "+14155550100"})
    assert twiml.find("Gather").get("language") == "en-US"


async def test_speech_becomes_a_message_and_the_reply_is_said_inside_the_next_gather(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    _, twiml = await call(node, "/voice/demo/incoming", CALL)
    gather_url = follow(twiml, "Gather")
    status, twiml = await call(node, gather_url, {**CALL, "SpeechResult": "我要查订单", "Confidence": "0.9"})
    assert status == 200
    gather = twiml.find("Gather")
    spoken = [say.text for say in gather.iter("Say")]
    assert spoken[0] == "echo: 我要查订单"
    assert "按1，查订单 Order。" in spoken  # quick replies as a numbered DTMF menu
    assert "turn=2" in gather.get("action")
    [message] = responder.received
    assert message.envelope.channel == Channel.CHANNEL_VOICE and message.language_hint == "zh-CN"
    assert message.channel_ids.user_id == "+8613912345678"
    # Twilio's retry of the same webhook is not a second message.
    await call(node, gather_url, {**CALL, "SpeechResult": "我要查订单"})
    await asyncio.sleep(0.5)
    assert len(responder.received) == 1


async def cited_echo(message):
    """The echo answer citing a knowledge-base section, which the phone must not say."""
    [reply] = await echo(message)
    reply.citations.add(source="returns.md#return-shipping", title="Returns / Return shipping", score=0.9)
    return [reply]


async def test_dtmf_input_is_a_message_too(make_node) -> None:
    responder = Responder(answer=cited_echo)
    node = await make_node(responder)
    _, twiml = await call(node, "/voice/demo/gather?turn=1&lang=en-US&fails=0&menu=0", {**CALL, "Digits": "5"})
    assert says(twiml)[0] == "echo: 5"
    assert not any("Return" in text or "returns.md" in text for text in says(twiml))  # no sources spoken
    assert responder.received[0].dtmf_digits == "5"


async def test_a_slow_reply_gets_a_filler_and_redirect_then_is_spoken(make_node) -> None:
    responder = Responder(delay_s=1.5)
    node = await make_node(responder, wait={"voice_s": 0.5})
    _, twiml = await call(
        node, "/voice/demo/gather?turn=1&lang=en-US&fails=0&menu=0", {**CALL, "SpeechResult": "where is my parcel"}
    )
    assert twiml.find("Gather") is None and "One moment" in says(twiml)[0]
    wait_url = follow(twiml, "Redirect")
    assert "/voice/demo/wait" in wait_url
    for _ in range(10):
        _, twiml = await call(node, wait_url, CALL)
        if twiml.find("Gather") is not None:
            break
        wait_url = follow(twiml, "Redirect")
    assert says(twiml)[0] == "echo: where is my parcel"
    # Spoken once: the next wait finds nothing new.
    _, again = await call(node, wait_url, CALL)
    assert "echo: where is my parcel" not in says(again)


async def test_two_failed_recognitions_lead_to_a_dtmf_menu(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    _, twiml = await call(node, "/voice/demo/gather?turn=1&lang=en-US&fails=0&menu=0", {**CALL, "SpeechResult": ""})
    assert "did not catch" in says(twiml)[0]
    _, twiml = await call(node, follow(twiml, "Gather"), {**CALL, "SpeechResult": ""})
    menu = twiml.find("Gather")
    assert menu.get("input") == "dtmf" and menu.get("numDigits") == "1"
    assert "For order status, press 1." in says(twiml)
    _, twiml = await call(node, follow(twiml, "Gather"), {**CALL, "Digits": "1"})
    assert says(twiml)[0] == "echo: /check_order"
    assert [m.text for m in responder.received] == ["/check_order"]


async def test_handoff_enqueues_or_dials_with_a_spoken_message(make_node) -> None:
    async def handoff(message):
        target = "+8610123456" if "dial" in message.text else "default"
        return [reply_to(message, "好的，马上为您转人工。", hints=ChannelHints(voice_transfer=target))]

    node = await make_node(Responder(answer=handoff))
    _, twiml = await call(
        node, "/voice/demo/gather?turn=1&lang=zh-CN&fails=0&menu=0", {**CALL, "SpeechResult": "转人工"}
    )
    assert twiml.find("Enqueue").text == "demo-support"
    assert says(twiml) == ["好的，马上为您转人工。", "正在为您转接人工客服，请稍候。"]
    _, twiml = await call(node, "/voice/demo/gather?turn=2&lang=zh-CN&fails=0&menu=0", {**CALL, "SpeechResult": "dial"})
    assert twiml.find("Dial").text == "+8610123456"


async def test_bad_signature_malformed_and_oversized_requests(make_node) -> None:
    node = await make_node(Responder())
    assert (await call(node, "/voice/demo/incoming", CALL, sign_with="wrong-token"))[0] == 403
    async with aiohttp.ClientSession() as http:
        async with http.post(
            node.base_url + "/voice/demo/incoming",
            data=urlencode(CALL),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as r:
            assert r.status == 403
        async with http.post(node.base_url + "/voice/demo/incoming", data=b"x" * 70_000) as r:
            assert r.status == 413
    assert (await call(node, "/voice/demo/incoming", {"From": "+1"}))[0] == 400
    # Signed for another URL (a proxy's internal address) is refused: validation uses the public base URL.
    url = node.base_url.replace("127.0.0.1", "internal.local") + "/voice/demo/incoming"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, CALL)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            node.base_url + "/voice/demo/incoming",
            data=urlencode(CALL),
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        ) as r,
    ):
        assert r.status == 403


async def test_each_tenant_greets_and_offers_the_keypad_menu_of_its_own_copy(make_node) -> None:
    responder = Responder()
    node = await make_node(responder)
    token = "broadband-demo-twilio-auth-token"
    _, twiml = await call(node, "/voice/broadband/incoming", {**CALL, "From": "+14155550100"}, sign_with=token)
    assert "LinkNet Broadband" in says(twiml)[0]  # the tenant's name in its own greeting
    first = "/voice/broadband/gather?turn=1&lang=en-US&fails=1&menu=0"
    _, twiml = await call(node, first, {**CALL, "SpeechResult": ""}, sign_with=token)
    menu = says(twiml)
    assert "For checking for an outage, press 1." in menu and "For your bill, press 3." in menu
    assert not any("order" in line for line in menu)  # not the demo shop's menu
    _, twiml = await call(node, follow(twiml, "Gather"), {**CALL, "Digits": "3"}, sign_with=token)
    assert says(twiml)[0] == "echo: /check_bill"
    assert [m.text for m in responder.received] == ["/check_bill"]
