"""WeChat Official Account: ``GET/POST /wechat/{tenant}``, plaintext and safe (AES) mode.

WeChat waits 5 s for an answer and retries 3 times. The request publishes the message once (retries
are deduplicated by ``MsgId``; events by ``FromUserName`` + ``CreateTime``), waits up to
``INGEST_WAIT__WECHAT_PASSIVE_S`` and answers passively when every reply is ready and claimed;
otherwise it answers ``success`` and the delivery consumer sends the replies later through the
customer-service message API. Signatures are compared in constant time; XML is parsed with DTDs and
entities forbidden.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from typing import ClassVar
from xml.etree.ElementTree import ParseError

from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from prometheus_client import Counter
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.replies import TextReply

from switchboard.core.contracts import Channel, ChannelIds, ReplyReady
from switchboard.core.logs import get_logger
from switchboard.ingest.channel_config import ChannelConfig, WeChatConfig
from switchboard.ingest.channels import Context, guarded, split_text
from switchboard.ingest.errors import ChannelRefusedError, RejectedRequest
from switchboard.ingest.identity import Identity
from switchboard.ingest.intake import Inbound
from switchboard.ingest.limits import read_body
from switchboard.ingest.wechat_api import WeChatApi

log = get_logger(__name__)

# A passive answer is given only within passive_s + PASSIVE_CUTOFF_MARGIN_S of the request's arrival;
# the API sender takes over from received_at + passive_s + API_SENDER_MARGIN_S, strictly later.
PASSIVE_CUTOFF_MARGIN_S = 0.5
API_SENDER_MARGIN_S = 1.0
# WeChat's text limit is 2048 bytes; a little headroom for the numbered options line.
MAX_TEXT_BYTES = 2000
SEND_FAILURES = Counter("switchboard_channel_send_failures_total", "Replies a channel refused", ["channel", "code"])


def wechat_signature(*parts: str) -> str:
    """sha1 of the sorted, concatenated parts: WeChat's ``signature`` and ``msg_signature``."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def parse_xml(body: bytes) -> dict[str, str]:
    """The child elements of a WeChat ``<xml>`` document; 400 on anything malformed or with a DTD."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise RejectedRequest(400, f"malformed XML: {type(error).__name__}") from None
    if root.tag != "xml":
        raise RejectedRequest(400, "malformed XML: the root element must be <xml>")
    return {child.tag: (child.text or "") for child in root}


def with_options(reply: ReplyReady) -> str:
    """The reply text with its quick replies as a list (WeChat text messages have no buttons)."""
    if not reply.quick_replies:
        return reply.text
    return reply.text + "\n" + "\n".join(f"· {option.title}" for option in reply.quick_replies)


class WeChatAdapter:
    name: ClassVar[str] = "wechat"
    channel: ClassVar[int] = Channel.CHANNEL_WECHAT

    def __init__(self, context: Context, api: WeChatApi) -> None:
        self._context = context
        self._api = api

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/wechat/{tenant}", guarded(self.verify)), web.post("/wechat/{tenant}", guarded(self.receive))]

    def _config(self, request: web.Request) -> tuple[ChannelConfig, WeChatConfig]:
        tenant = self._context.tenants.get(request.match_info["tenant"])
        if tenant is None or tenant.wechat is None:
            raise RejectedRequest(404, "no WeChat account for this tenant")
        return tenant, tenant.wechat

    def _check_signature(self, request: web.Request, config: WeChatConfig) -> None:
        query = request.query
        expected = wechat_signature(config.token.get_secret_value(), query.get("timestamp", ""), query.get("nonce", ""))
        if not _same(expected, query.get("signature", "")):
            raise RejectedRequest(403, "bad or missing signature")

    async def verify(self, request: web.Request) -> web.Response:
        """WeChat's server verification: echo ``echostr`` when the signature holds."""
        _, config = self._config(request)
        self._check_signature(request, config)
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        # WeChat's 5-second clock runs from (about) now, not from when the message is recorded.
        started = time.monotonic()
        tenant, config = self._config(request)
        self._check_signature(request, config)
        body = await read_body(request, self._context.settings.limits.max_body_bytes)
        fields = parse_xml(body)
        safe_mode = request.query.get("encrypt_type") == "aes"
        if safe_mode:
            fields = parse_xml(self._decrypt(request, config, fields))
        for required in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
            if not fields.get(required):
                raise RejectedRequest(400, f"malformed message: {required} missing")
        inbound = self._inbound(tenant, fields)
        if inbound is None:
            text = tenant.tenant_copy.wechat.unsupported_message.of(tenant.default_language)
            return self._passive(request, config, fields, text, safe_mode)
        async with self._context.intake.accepting(inbound) as accepted:
            if accepted.duplicate:
                return await self._retry_answer(accepted)
            passive_s = self._context.settings.wait.wechat_passive_s
            replies = await accepted.watch.collect(passive_s - (time.monotonic() - started))
            complete = accepted.watch.complete()
        text = "\n\n".join(with_options(reply) for reply in replies)
        if not complete or not text or len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            return web.Response(text="success")
        claimed = [reply for reply in replies if await self._context.outbox.claim(reply, "sent_passive")]
        # Past the cut-off WeChat may have given up on this request: leave the replies to the API
        # sender, which starts only after received_at + passive_s + API_SENDER_MARGIN_S.
        late = time.monotonic() - started > passive_s + PASSIVE_CUTOFF_MARGIN_S
        if late or len(claimed) != len(replies):
            # Part of the answer is already with the API sender (or another copy): answer nothing twice.
            for reply in claimed:
                await self._context.outbox.mark(reply.envelope.event_id, "pending")
            return web.Response(text="success")
        return self._passive(request, config, fields, text, safe_mode)

    async def _retry_answer(self, accepted) -> web.Response:
        """A retried message answers "success" once its replies are with someone else (the first copy or the API).

        Replies broadcast before this copy arrived are not seen by its watch, so the outbox is checked
        too: at once, then about every second while waiting.
        """
        event_id = accepted.message.envelope.event_id
        deadline = time.monotonic() + self._passive_budget(accepted.received_at)
        while not accepted.watch.complete() and not await self._context.outbox.answered(event_id):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await accepted.watch.collect(min(1.0, remaining))
        return web.Response(text="success")

    def _passive_budget(self, received_at) -> float:
        """What is left of the passive window for this message (a retry gets the rest of the first's)."""
        elapsed = time.time() - received_at.timestamp()
        return max(0.0, self._context.settings.wait.wechat_passive_s - elapsed)

    def _decrypt(self, request: web.Request, config: WeChatConfig, fields: dict[str, str]) -> bytes:
        if config.encoding_aes_key is None:
            raise RejectedRequest(400, "safe mode is not configured for this account")
        encrypted = fields.get("Encrypt", "")
        query = request.query
        expected = wechat_signature(
            config.token.get_secret_value(), query.get("timestamp", ""), query.get("nonce", ""), encrypted
        )
        if not encrypted or not _same(expected, query.get("msg_signature", "")):
            raise RejectedRequest(403, "bad or missing msg_signature")
        key = _aes_key(config)
        try:
            return PrpCrypto(key).decrypt(encrypted, config.app_id)
        except InvalidAppIdException:
            raise RejectedRequest(403, "message encrypted for another app id") from None
        except (ValueError, TypeError, UnicodeDecodeError, IndexError) as error:
            raise RejectedRequest(400, f"cannot decrypt: {type(error).__name__}") from None

    def _inbound(self, tenant: ChannelConfig, fields: dict[str, str]) -> Inbound | None:
        """The customer message, or None for types Switchboard does not read (answered politely)."""
        openid = fields["FromUserName"]
        kind = fields["MsgType"].lower()
        ids = ChannelIds(message_id=fields.get("MsgId", ""), user_id=openid, account_id=fields["ToUserName"])
        base = {
            "tenant_id": tenant.tenant_id,
            "channel": Channel.CHANNEL_WECHAT,
            "identities": (Identity("wechat", openid),),
        }
        if kind == "text":
            return Inbound(
                **base,
                dedup_key=f"msg:{fields.get('MsgId') or openid + fields['CreateTime']}",
                text=fields.get("Content", ""),
                channel_ids=ids,
            )
        if kind == "voice" and fields.get("Recognition"):
            # WeChat's own speech recognition, when the account has it switched on.
            return Inbound(**base, dedup_key=f"msg:{fields.get('MsgId')}", text=fields["Recognition"], channel_ids=ids)
        if kind == "event":
            event = fields.get("Event", "").lower()
            dedup_key = f"event:{openid}:{fields['CreateTime']}:{event}"
            if event == "subscribe":
                return Inbound(**base, dedup_key=dedup_key, text="/greet", channel_ids=ids)
            if event == "click" and fields.get("EventKey"):
                return Inbound(**base, dedup_key=dedup_key, text=fields["EventKey"], channel_ids=ids)
            return None
        return None

    def _passive(
        self, request: web.Request, config: WeChatConfig, fields: dict[str, str], text: str, safe_mode: bool
    ) -> web.Response:
        if fields.get("MsgType", "").lower() == "event" and fields.get("Event", "").lower() not in (
            "subscribe",
            "click",
        ):
            return web.Response(text="success")
        xml = TextReply(
            source=fields["ToUserName"], target=fields["FromUserName"], content=text.replace("]]>", "]] >")
        ).render()
        if safe_mode:
            crypto = WeChatCrypto(config.token.get_secret_value(), _secret(config.encoding_aes_key), config.app_id)
            xml = crypto.encrypt_message(xml, request.query.get("nonce", ""), str(int(time.time())))
        return web.Response(text=xml, content_type="application/xml")

    async def send(self, reply: ReplyReady) -> None:
        """Customer-service API delivery, after the passive window of the message has passed."""
        context = self._context
        tenant = context.tenants.get(reply.envelope.tenant_id)
        if tenant is None or tenant.wechat is None:
            return
        received = await context.intake.received(reply.envelope.causation_id)
        openid = reply.channel_ids.user_id
        if received is not None:
            message, received_at = received
            openid = openid or message.channel_ids.user_id
            wait = received_at.timestamp() + context.settings.wait.wechat_passive_s + API_SENDER_MARGIN_S - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        if not openid:
            log.error("channel.reply.undeliverable", channel=self.name, reply_id=reply.envelope.event_id)
            return
        if not await context.outbox.claim(reply, "sending"):
            return
        reply_id = reply.envelope.event_id
        try:
            for part in split_text(with_options(reply), MAX_TEXT_BYTES):
                await self._api.send_text(tenant.wechat, openid, part)
        except ChannelRefusedError as refused:
            SEND_FAILURES.labels(self.name, str(refused.code)).inc()
            log.error("channel.reply.refused", channel=self.name, code=refused.code, reply_id=reply_id)
            await context.outbox.mark(reply_id, "failed", error_code=refused.code, error=str(refused))
            return
        except Exception:
            # Retryable: give the claim back so the consumer's retry can send it.
            await context.outbox.mark(reply_id, "pending")
            raise
        await context.outbox.mark(reply_id, "sent")


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def _aes_key(config: WeChatConfig) -> bytes:
    return base64.b64decode(_secret(config.encoding_aes_key) + "=")
