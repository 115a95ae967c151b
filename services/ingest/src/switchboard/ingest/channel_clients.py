"""Customers of a running ingest service on each channel, each speaking as that channel's provider does: a
Rasa REST client, the web chat widget (session, then WebSocket), WeChat (signed XML posts; replies given
passively or later through a stand-in of WeChat's customer-service API) and Twilio's signed voice webhooks.

For system tests and benchmarks: ``say`` sends one message and returns the text the customer gets (a
turn's replies joined in order). Credentials come from the tenant's own ``channels.yaml``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator
from wechatpy import parse_message

from switchboard.core.testing import free_port
from switchboard.ingest.channel_config import ChannelConfig, load_channels
from switchboard.ingest.wechat import wechat_signature

CHANNELS = ("rest", "webchat", "wechat", "voice")
# A turn's replies are complete once none has come for this long after the first (web chat, WeChat API).
QUIET_S = 1.5


class ChannelClientError(AssertionError):
    """The channel answered with an error or not at all; the message says what came back."""


@dataclass
class StandInWeChat:
    """WeChat's access-token and customer-service endpoints on a local port: records what is sent;
    ``errors`` are errcodes returned by the next sends."""

    base_url: str = ""
    sent: list[dict] = field(default_factory=list)
    token_requests: int = 0
    errors: list[int] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        return web.json_response({"access_token": f"TOKEN{self.token_requests}", "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.errors:
            code = self.errors.pop(0)
            return web.json_response({"errcode": code, "errmsg": "refused"})
        self.sent.append({"token": request.query.get("access_token"), **body})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def start(self, port: int | None = None) -> StandInWeChat:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = port or free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def texts_to(self, openid: str) -> list[str]:
        return [item["text"]["content"] for item in self.sent if item.get("touser") == openid]


def tenant_channels(tenants_dir: Path, tenant_id: str) -> ChannelConfig:
    """The tenant's channel credentials, as the ingest service reads them."""
    return load_channels(tenants_dir / tenant_id / "channels.yaml")


class RestCustomer:
    """A Rasa REST client: one POST per message, the replies in its response."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, config: ChannelConfig, sender: str) -> None:
        assert config.web is not None, f"{config.tenant_id}: no web section in channels.yaml"
        self._http, self._url, self.sender = http, f"{base_url}/webhooks/rest/webhook", sender
        self._key = config.web.rest_api_key.get_secret_value()

    async def say(self, text: str, *, expect_reply: bool = True) -> str:
        """The replies' texts; an empty answer is an error unless ``expect_reply`` is False (a bot paused
        for an agent answers REST with no reply)."""
        body = {"sender": self.sender, "message": text, "metadata": {"message_id": uuid.uuid4().hex}}
        headers = {"Authorization": f"Bearer {self._key}"}
        async with self._http.post(self._url, json=body, headers=headers) as response:
            if response.status != 200:
                raise ChannelClientError(f"REST {response.status}: {await response.text()}")
            replies = await response.json()
        joined = "\n".join(reply.get("text") or "" for reply in replies)
        if expect_reply and not joined.strip():
            raise ChannelClientError(f"REST: empty reply to {text!r}")
        return joined


class WebChatCustomer:
    """The web chat widget: a signed session, then one WebSocket; a message's replies are the reply frames
    that answer it, in their turn's order."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, config: ChannelConfig, timeout_s: float) -> None:
        assert config.web is not None and config.web.allowed_origins, f"{config.tenant_id}: no web origins"
        self._http, self._base_url, self._tenant = http, base_url, config.tenant_id
        self._origin = {"Origin": config.web.allowed_origins[0]}
        self._timeout_s = timeout_s
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def _socket(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            url = f"{self._base_url}/chat/{self._tenant}/session"
            async with self._http.post(url, data=json.dumps({"token": ""}), headers=self._origin) as response:
                if response.status != 200:
                    raise ChannelClientError(f"web chat session {response.status}: {await response.text()}")
                token = (await response.json())["token"]
            self._ws = await self._http.ws_connect(f"{self._base_url}/ws?token={token}", headers=self._origin)
            await self._frame("ready", self._timeout_s)
        return self._ws

    async def _frame(self, kind: str, timeout_s: float) -> dict:
        assert self._ws is not None
        while True:
            message = await asyncio.wait_for(self._ws.receive(), timeout_s)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ChannelClientError(f"web chat socket closed: {message.type.name}")
            frame = json.loads(message.data)
            if frame["type"] == "error":
                raise ChannelClientError(f"web chat error: {frame}")
            if frame["type"] == kind:
                return frame

    async def say(self, text: str) -> str:
        ws = await self._socket()
        await ws.send_json({"type": "message", "id": uuid.uuid4().hex, "text": text})
        event_id = (await self._frame("ack", self._timeout_s))["event_id"]
        replies: dict[str, dict] = {}
        wait_s = self._timeout_s
        try:
            while True:
                frame = await self._frame("reply", wait_s)
                if frame.get("answers") == event_id and not frame.get("partial"):
                    replies[frame["id"]] = frame
                    wait_s = QUIET_S
        except asyncio.TimeoutError:
            if not replies:
                raise ChannelClientError(f"web chat: no reply to {text!r} in {self._timeout_s}s") from None
        return "\n".join(frame["text"] for frame in sorted(replies.values(), key=lambda f: f.get("sequence", 0)))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


class WeChatCustomer:
    """A follower of the tenant's Official Account, in plaintext mode: WeChat posts the message signed with
    the account's token; the answer is the passive reply or, when it is late, the customer-service API's."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        config: ChannelConfig,
        api: StandInWeChat,
        openid: str,
        timeout_s: float,
    ) -> None:
        assert config.wechat is not None, f"{config.tenant_id}: no wechat section in channels.yaml"
        self._http, self._url, self._api = http, f"{base_url}/wechat/{config.tenant_id}", api
        self._token = config.wechat.token.get_secret_value()
        self.openid, self._timeout_s = openid, timeout_s

    async def say(self, text: str) -> str:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:12]
        query = {
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": wechat_signature(self._token, timestamp, nonce),
            "openid": self.openid,
        }
        msg_id = str(uuid.uuid4().int % 10**18)
        xml = (
            f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[{self.openid}]]>"
            f"</FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
        )
        sent_before = len(self._api.texts_to(self.openid))
        async with self._http.post(self._url, params=query, data=xml.encode()) as response:
            body = await response.text()
            if response.status != 200:
                raise ChannelClientError(f"WeChat {response.status}: {body}")
        if body.strip() != "success":
            return parse_message(body).content
        return await self._api_replies(sent_before, text)

    async def _api_replies(self, sent_before: int, text: str) -> str:
        deadline = time.monotonic() + self._timeout_s
        count, quiet_until = sent_before, None
        while time.monotonic() < deadline:
            texts = self._api.texts_to(self.openid)
            if len(texts) > count:
                count, quiet_until = len(texts), time.monotonic() + QUIET_S
            elif quiet_until is not None and time.monotonic() > quiet_until:
                return "\n".join(texts[sent_before:])
            await asyncio.sleep(0.1)
        if count > sent_before:
            return "\n".join(self._api.texts_to(self.openid)[sent_before:])
        raise ChannelClientError(f"WeChat: no reply to {text!r} in {self._timeout_s}s")


class PhoneCaller:
    """A caller through Twilio: the call's first webhook, then each utterance as a speech result; what is
    said back is the speech of the TwiML that listens again (a filler's redirect is followed)."""

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, config: ChannelConfig, number: str, timeout_s: float
    ) -> None:
        assert config.voice is not None, f"{config.tenant_id}: no voice section in channels.yaml"
        self._http, self._base_url, self._tenant = http, base_url, config.tenant_id
        self._validator = RequestValidator(config.voice.auth_token.get_secret_value())
        self._call = {"CallSid": f"CA{uuid.uuid4().hex}", "From": number, "To": "+861088888888"}
        self._timeout_s = timeout_s
        self._gather: str | None = None
        self.greeting = ""

    async def _post(self, path: str, form: dict[str, str]) -> ET.Element:
        url = self._base_url + path
        headers = {
            "X-Twilio-Signature": self._validator.compute_signature(url, form),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with self._http.post(url, data=urlencode(form), headers=headers) as response:
            text = await response.text()
            if response.status != 200:
                raise ChannelClientError(f"voice {response.status}: {text}")
        return ET.fromstring(text)

    async def dial(self) -> str:
        twiml = await self._post(f"/voice/{self._tenant}/incoming", self._call)
        self.greeting = " ".join(say.text or "" for say in twiml.iter("Say"))
        self._listen(twiml)
        return self.greeting

    def _listen(self, twiml: ET.Element) -> None:
        gather = twiml.find(".//Gather")
        if gather is None:
            raise ChannelClientError(f"voice: the call does not listen: {ET.tostring(twiml).decode()}")
        self._gather = (gather.get("action") or "").replace("&amp;", "&")

    async def say(self, text: str) -> str:
        if self._gather is None:
            await self.dial()
        assert self._gather is not None
        twiml = await self._post(self._gather, {**self._call, "SpeechResult": text, "Confidence": "0.9"})
        deadline = time.monotonic() + self._timeout_s
        while twiml.find(".//Gather") is None:
            redirect = twiml.find(".//Redirect")
            if redirect is None or time.monotonic() > deadline:
                raise ChannelClientError(f"voice: no answer to {text!r}: {ET.tostring(twiml).decode()}")
            twiml = await self._post((redirect.text or "").replace("&amp;", "&"), self._call)
        self._listen(twiml)
        return "\n".join(say.text or "" for say in twiml.find(".//Gather").iter("Say"))
