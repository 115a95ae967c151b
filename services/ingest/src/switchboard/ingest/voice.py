"""Phone IVR over Twilio-compatible TwiML: ``/voice/{tenant}/incoming``, ``/gather``, ``/wait``.

Each speech result or DTMF input becomes a customer message (deduplicated by ``CallSid`` + turn,
so Twilio's retry never produces a second one); replies are spoken with ``<Say>`` inside the next
``<Gather>`` (barge-in). A slow reply gets a short filler and ``<Redirect>`` to ``/wait`` instead
of dead air; after two failed recognitions the caller gets a numbered DTMF menu; a handoff puts the
caller in the agent queue (``<Enqueue>``) or dials an agent (``<Dial>``). Every prompt and the menu are the
tenant's copy (``copy.yaml``, section ``voice``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

from switchboard.core.contracts import Channel, ChannelIds, ReplyReady
from switchboard.ingest.channel_config import ChannelConfig, VoiceConfig
from switchboard.ingest.channels import Context, guarded
from switchboard.ingest.errors import RejectedRequest
from switchboard.ingest.identity import Identity
from switchboard.ingest.intake import Inbound, conversation_for
from switchboard.ingest.limits import read_body
from switchboard.ingest.outbox import reply_document
from switchboard.ingest.reply_hub import Watch

LANGUAGES = ("zh-CN", "en-US")
# ChannelHints.voice_transfer value meaning "the tenant's own agent line" (voice.agent_number, else voice.agent_queue).
DEFAULT_TRANSFER = "default"


def caller_language(config: VoiceConfig, caller: str) -> str:
    return "zh-CN" if any(caller.startswith(prefix) for prefix in config.chinese_prefixes) else "en-US"


class VoiceAdapter:
    name: ClassVar[str] = "voice"
    channel: ClassVar[int] = Channel.CHANNEL_VOICE

    def __init__(self, context: Context) -> None:
        self._context = context

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/voice/{tenant}/incoming", guarded(self.incoming)),
            web.post("/voice/{tenant}/gather", guarded(self.gather)),
            web.post("/voice/{tenant}/wait", guarded(self.wait)),
        ]

    async def _validated(self, request: web.Request) -> tuple[ChannelConfig, VoiceConfig, dict[str, str]]:
        tenant = self._context.tenants.get(request.match_info["tenant"])
        if tenant is None or tenant.voice is None:
            raise RejectedRequest(404, "no phone line for this tenant")
        body = await read_body(request, self._context.settings.limits.max_body_bytes)
        try:
            form = _parse_form(body)
        except ValueError:
            raise RejectedRequest(400, "malformed form body") from None
        url = self._context.settings.public_base_url.rstrip("/") + request.path_qs
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not RequestValidator(tenant.voice.auth_token.get_secret_value()).validate(
            url, form, signature
        ):
            raise RejectedRequest(403, "bad or missing X-Twilio-Signature")
        if not form.get("CallSid"):
            raise RejectedRequest(400, "CallSid missing")
        return tenant, tenant.voice, form

    def _url(self, tenant: ChannelConfig, step: str, **query: object) -> str:
        return f"/voice/{tenant.tenant_id}/{step}?{urlencode(query)}"

    def _language(self, request: web.Request, config: VoiceConfig, form: dict[str, str]) -> str:
        language = request.query.get("lang", "")
        return language if language in LANGUAGES else caller_language(config, form.get("From", ""))

    async def incoming(self, request: web.Request) -> web.Response:
        tenant, config, form = await self._validated(request)
        language = self._language(request, config, form)
        phrases = tenant.tenant_copy.voice
        response = VoiceResponse()
        gather = self._gather(tenant, language, turn=1, fails=0)
        gather.say(phrases.greeting.format(language, name=tenant.name_in(language)), language=language)
        response.append(gather)
        return _twiml(response)

    def _gather(self, tenant: ChannelConfig, language: str, *, turn: int, fails: int, menu: bool = False) -> Gather:
        return Gather(
            input="dtmf" if menu else "speech dtmf",
            language=language,
            speech_timeout="auto",
            num_digits=1 if menu else None,
            barge_in=True,
            action=self._url(tenant, "gather", turn=turn, lang=language, fails=fails, menu=int(menu)),
            method="POST",
            action_on_empty_result=True,
        )

    async def gather(self, request: web.Request) -> web.Response:
        tenant, config, form = await self._validated(request)
        language = self._language(request, config, form)
        turn = _int(request.query.get("turn"), 1)
        fails = _int(request.query.get("fails"), 0)
        speech = form.get("SpeechResult", "").strip()
        digits = "".join(ch for ch in form.get("Digits", "") if ch in "0123456789*#")
        text = speech
        if request.query.get("menu") == "1" and digits:
            options = tenant.tenant_copy.voice.menu_options
            text = next((option.payload for option in options if option.digit == digits[:1]), "")
        if (not text and not digits) or (request.query.get("menu") == "1" and not text):
            return self._retry(tenant, language, turn, fails + 1)
        caller = form.get("From", "") or f"call:{form['CallSid']}"
        inbound = Inbound(
            tenant_id=tenant.tenant_id,
            channel=Channel.CHANNEL_VOICE,
            dedup_key=f"{form['CallSid']}:{turn}",
            identities=(Identity("phone", caller),),
            text=text,
            dtmf_digits=digits,
            language_hint=language,
            conversation_id=conversation_for(
                tenant.tenant_id, Channel.CHANNEL_VOICE, Identity("call", form["CallSid"])
            ),
            channel_ids=ChannelIds(
                message_id=f"{form['CallSid']}:{turn}", user_id=caller, account_id=form.get("To", "")
            ),
        )
        async with self._context.intake.accepting(inbound) as accepted:
            envelope = accepted.message.envelope
            replies = await self._collect(envelope.tenant_id, envelope.conversation_id, accepted.watch)
        return self._speak(tenant, config, language, turn, envelope.event_id, replies, redirects=0)

    async def wait(self, request: web.Request) -> web.Response:
        tenant, config, form = await self._validated(request)
        language = self._language(request, config, form)
        turn = _int(request.query.get("turn"), 1)
        redirects = _int(request.query.get("n"), 1)
        event_id = request.query.get("event", "")
        conversation_id = conversation_for(tenant.tenant_id, Channel.CHANNEL_VOICE, Identity("call", form["CallSid"]))
        with self._context.hub.watch(event_id) as watch:
            replies = await self._collect(tenant.tenant_id, conversation_id, watch)
        return self._speak(tenant, config, language, turn, event_id, replies, redirects=redirects)

    async def _collect(self, tenant_id: str, conversation_id: str, watch: Watch) -> list[dict]:
        """Replies this call has not heard yet, claimed for speaking; waits up to ``wait.voice_s``."""
        outbox = self._context.outbox
        deadline = time.monotonic() + self._context.settings.wait.voice_s
        spoken: list[dict] = []
        while True:
            for document in await outbox.pending_in(tenant_id, conversation_id):
                if (claimed := await outbox.claim_id(document["_id"], "spoken")) is not None:
                    spoken.append(claimed)
            while not watch.queue.empty():
                reply = watch.queue.get_nowait()
                watch.replies.setdefault(reply.envelope.event_id, reply)
                if not reply.partial and await outbox.claim(reply, "spoken"):
                    spoken.append(reply_document(reply, "spoken"))
            if spoken and _complete(spoken):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                reply = await asyncio.wait_for(watch.queue.get(), min(remaining, 0.25))
                watch.queue.put_nowait(reply)
            except asyncio.TimeoutError:
                pass
        return in_turn_order(spoken)

    def _speak(
        self,
        tenant: ChannelConfig,
        config: VoiceConfig,
        language: str,
        turn: int,
        event_id: str,
        replies: list[dict],
        *,
        redirects: int,
    ) -> web.Response:
        phrases = tenant.tenant_copy.voice
        response = VoiceResponse()
        if not replies:
            if redirects >= self._context.settings.wait.voice_redirects:
                response.say(phrases.give_up.of(language), language=language)
                response.hangup()
                return _twiml(response)
            response.say(phrases.filler.of(language), language=language)
            response.redirect(
                self._url(tenant, "wait", turn=turn, lang=language, event=event_id, n=redirects + 1), method="POST"
            )
            return _twiml(response)
        transfer = next((d["voice_transfer"] for d in replies if d.get("voice_transfer")), "")
        if transfer:
            for document in replies:
                response.say(document["text"], language=language)
            response.say(phrases.transfer.of(language), language=language)
            if transfer == DEFAULT_TRANSFER:
                transfer = config.agent_number or config.agent_queue
            if transfer.lstrip("+").isdigit():
                response.dial(transfer)
            else:
                response.enqueue(transfer)
            return _twiml(response)
        gather = self._gather(tenant, language, turn=turn + 1, fails=0)
        for document in replies:
            gather.say(document["text"], language=language)
            for digit, option in enumerate(document.get("quick_replies", ())[:9], start=1):
                gather.say(phrases.press.format(language, digit=digit, label=option["title"]), language=language)
        response.append(gather)
        response.say(phrases.anything_else.of(language), language=language)
        response.redirect(self._url(tenant, "gather", turn=turn + 1, lang=language, fails=1), method="POST")
        return _twiml(response)

    def _retry(self, tenant: ChannelConfig, language: str, turn: int, fails: int) -> web.Response:
        phrases = tenant.tenant_copy.voice
        response = VoiceResponse()
        if fails >= 2:
            gather = self._gather(tenant, language, turn=turn, fails=fails, menu=True)
            gather.say(phrases.menu.of(language), language=language)
            for option in phrases.menu_options:
                label = option.label.of(language)
                gather.say(phrases.press.format(language, digit=option.digit, label=label), language=language)
        else:
            gather = self._gather(tenant, language, turn=turn, fails=fails)
            gather.say(phrases.again.of(language), language=language)
        response.append(gather)
        response.redirect(self._url(tenant, "gather", turn=turn, lang=language, fails=fails + 1), method="POST")
        return _twiml(response)

    async def send(self, reply: ReplyReady) -> None:
        """Parks the reply for the call's next webhook (``/gather`` or ``/wait``) to speak."""
        await self._context.outbox.park(reply)


def _answered(document: dict) -> str:
    """The customer message a reply answers (its cause, for replies stored without that field)."""
    return document.get("in_reply_to") or document["causation_id"]


def _complete(documents: list[dict]) -> bool:
    """Whether every customer message with replies here has all of them (each says how many)."""
    by_message: dict[str, list[dict]] = {}
    for document in documents:
        by_message.setdefault(_answered(document), []).append(document)
    return all(len(group) >= max(d["sequence_count"] or 1 for d in group) for group in by_message.values())


def in_turn_order(documents: list[dict]) -> list[dict]:
    """Replies by the message they answer (first come, first spoken), then by their place in its turn:
    a generated answer can arrive after the template reply that follows it."""
    first: dict[str, Any] = {}
    for document in documents:
        key = _answered(document)
        first[key] = min(first.get(key, document["created_at"]), document["created_at"])
    return sorted(documents, key=lambda d: (first[_answered(d)], d["sequence"]))


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, min(int(value or default), 10_000))
    except ValueError:
        return default


def _parse_form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))


def _twiml(response: VoiceResponse) -> web.Response:
    return web.Response(text=str(response), content_type="application/xml")
