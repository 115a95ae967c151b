"""Rasa-REST-compatible webhook: ``POST /webhooks/rest/webhook``, so existing Rasa REST clients connect unchanged.

``{"sender", "message", "metadata"}`` in, a list of ``{"recipient_id", "text", "buttons"?, "custom"?}`` out,
after waiting (bounded by ``INGEST_WAIT__REST_S``) for the replies to come back through Kafka.
Authenticated with the tenant's API key (``Authorization: Bearer <key>``, or ``?token=`` as Rasa's
own token auth). ``metadata.message_id`` makes retries idempotent; ``metadata.phone`` links the
sender to the customer who calls from that number. A reply that cites the knowledge base carries
``"custom": {"citations": [{"title", "source"}]}`` (Rasa's field for channel-specific data, which
clients that do not read it ignore); one without citations has no ``custom``, as before.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from switchboard.core.contracts import Channel, ChannelIds, ReplyReady
from switchboard.ingest.channels import Context, guarded
from switchboard.ingest.errors import RejectedRequest
from switchboard.ingest.identity import Identity
from switchboard.ingest.intake import Inbound
from switchboard.ingest.limits import read_body
from switchboard.ingest.outbox import citations_of


class RestMetadata(BaseModel):
    message_id: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=32, pattern=r"^\+?[0-9]{5,20}$")
    language: str | None = Field(None, max_length=35)


class RestMessage(BaseModel):
    sender: str = Field(min_length=1, max_length=200)
    message: str
    metadata: RestMetadata = RestMetadata()


def rasa_messages(sender: str, replies: list[ReplyReady]) -> list[dict[str, Any]]:
    """Replies in Rasa's REST channel shape."""
    out: list[dict[str, Any]] = []
    for reply in replies:
        item: dict[str, Any] = {"recipient_id": sender, "text": reply.text}
        if reply.quick_replies:
            item["buttons"] = [{"title": q.title, "payload": q.payload} for q in reply.quick_replies]
        if reply.citations:
            item["custom"] = {"citations": citations_of(reply)}
        out.append(item)
    return out


class RestAdapter:
    """The webhook of the web channel for server-to-server clients; replies go back in the response.

    Replies that come after the wait are kept by the web channel's delivery (the outbox), since
    REST has no push; this adapter only has routes.
    """

    name: ClassVar[str] = "rest"
    channel: ClassVar[int] = Channel.CHANNEL_WEB

    def __init__(self, context: Context) -> None:
        self._context = context

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/webhooks/rest/webhook", guarded(self.webhook))]

    async def webhook(self, request: web.Request) -> web.Response:
        context = self._context
        auth = request.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else request.query.get("token", "")
        tenant = context.tenants.by_rest_key(key) if key else None
        if tenant is None:
            raise RejectedRequest(403, "missing or wrong API key")
        body = await read_body(request, context.settings.limits.max_body_bytes)
        try:
            payload = RestMessage.model_validate(json.loads(body))
        except (ValueError, ValidationError) as error:
            raise RejectedRequest(400, f"expected {{sender, message, metadata}}: {_first_problem(error)}") from None
        identities = [Identity("web", payload.sender)]
        if payload.metadata.phone:
            identities.append(Identity("phone", payload.metadata.phone))
        message_id = payload.metadata.message_id or str(uuid.uuid4())
        inbound = Inbound(
            tenant_id=tenant.tenant_id,
            channel=Channel.CHANNEL_WEB,
            dedup_key=f"rest:{payload.sender}:{message_id}",
            identities=tuple(identities),
            text=payload.message,
            language_hint=payload.metadata.language or "",
            channel_ids=ChannelIds(message_id=message_id, user_id=payload.sender, account_id="rest"),
        )
        async with context.intake.accepting(inbound) as accepted:
            replies = await accepted.watch.collect(context.settings.wait.rest_s)
        for reply in replies:
            await context.outbox.claim(reply, "sent")
        return web.json_response(rasa_messages(payload.sender, replies))


def _first_problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}"
    return "body is not JSON"
