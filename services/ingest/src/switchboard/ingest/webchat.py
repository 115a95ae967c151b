"""Web chat: the ``/chat`` demo page, the embeddable ``/chat/widget.js``, the session endpoint and ``/ws``.

The socket speaks for the tenant, web user and conversation its session token names
(``webchat_sessions``), never for what the client sends. The handshake's ``Origin`` must be on the
tenant's allow-list. Messages carry a client message id: a resend after a reconnect is deduplicated
and acknowledged again, and on connect the server sends the conversation so far, so the widget
shows every message once.
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from typing import Any, ClassVar

from aiohttp import WSMsgType, web
from pydantic import BaseModel, Field, ValidationError

from switchboard.core.contracts import Channel, ChannelIds, HandoffEvent, MessageReceived, ReplyReady, ReplySource
from switchboard.core.language import MIXED, from_wire
from switchboard.core.logs import get_logger
from switchboard.ingest.channel_config import ChannelConfig, WebConfig
from switchboard.ingest.channels import Context, guarded
from switchboard.ingest.errors import RejectedRequest
from switchboard.ingest.identity import Identity
from switchboard.ingest.intake import Inbound
from switchboard.ingest.limits import read_body
from switchboard.ingest.outbox import citations_of
from switchboard.ingest.webchat_sessions import Session, issue_token, read_token, renewed_session

log = get_logger(__name__)

STATIC = ("chat.html", "widget.js", "widget.css")


def reply_frame(reply: ReplyReady) -> dict[str, Any]:
    return {
        "type": "reply",
        "id": reply.envelope.event_id,
        "stream_id": reply.stream_id or reply.envelope.event_id,
        "partial": reply.partial,
        "text": reply.text,
        "quick_replies": [{"title": q.title, "payload": q.payload} for q in reply.quick_replies],
        "agent_name": reply.agent_name if reply.source == ReplySource.REPLY_SOURCE_AGENT else "",
        "in_reply_to": reply.envelope.causation_id,
        # The customer message this reply answers and its place among that message's replies: a
        # generated answer can arrive after the template reply that follows it.
        "answers": reply.in_reply_to,
        "sequence": reply.sequence,
        # The knowledge-base passages the answer rests on and the language it is written in, which
        # picks the label of the widget's source footnote.
        "citations": citations_of(reply),
        "language": frame_language(reply.language),
    }


def frame_language(wire: int) -> str:
    """``zh`` or ``en`` for a reply's wire language (mixed text is answered in Chinese); empty when unknown."""
    code = from_wire(wire)
    return "zh" if code == MIXED else code


def in_turn_order(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``frames`` in arrival order, except that the replies to one customer message take their
    places by sequence (each keeps a slot that one of its turn's replies held)."""
    slots: dict[str, list[int]] = {}
    for index, frame in enumerate(frames):
        if frame.get("type") == "reply" and frame.get("answers"):
            slots.setdefault(frame["answers"], []).append(index)
    ordered = list(frames)
    for indices in slots.values():
        replies = sorted((frames[i] for i in indices), key=lambda frame: frame.get("sequence", 0))
        for index, frame in zip(indices, replies, strict=True):
            ordered[index] = frame
    return ordered


def handoff_frame(event: HandoffEvent) -> dict[str, Any] | None:
    kind = event.WhichOneof("event")
    if kind == "queued":
        return {
            "type": "handoff",
            "state": "queued",
            "position": event.queued.position,
            "wait_s": event.queued.estimated_wait_seconds,
        }
    if kind == "assigned":
        return {"type": "handoff", "state": "assigned", "agent_name": event.assigned.agent_name}
    if kind in ("returned_to_bot", "cancelled"):
        return {"type": "handoff", "state": "ended"}
    return None


class ClientFrame(BaseModel):
    type: str = Field(pattern="^(message|typing)$")
    id: str = Field("", max_length=100)
    text: str = ""


class WebChatAdapter:
    name: ClassVar[str] = "web"
    channel: ClassVar[int] = Channel.CHANNEL_WEB

    def __init__(self, context: Context) -> None:
        self._context = context

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/chat", self.page),
            web.get("/chat/{asset:widget\\.(js|css)}", self.asset),
            web.post("/chat/{tenant}/session", guarded(self.session)),
            web.options("/chat/{tenant}/session", guarded(self.preflight)),
            web.get("/ws", guarded(self.socket)),
        ]

    async def page(self, request: web.Request) -> web.Response:
        return _static("chat.html", "text/html")

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["asset"]
        return _static(name, "text/javascript" if name.endswith(".js") else "text/css")

    def _web(self, tenant_id: str) -> tuple[ChannelConfig, WebConfig]:
        tenant = self._context.tenants.get(tenant_id)
        if tenant is None or tenant.web is None:
            raise RejectedRequest(404, "no web chat for this tenant")
        return tenant, tenant.web

    def _origin_allowed(self, config: WebConfig, origin: str) -> bool:
        return origin in config.allowed_origins

    async def preflight(self, request: web.Request) -> web.Response:
        _, config = self._web(request.match_info["tenant"])
        origin = request.headers.get("Origin", "")
        if not self._origin_allowed(config, origin):
            raise RejectedRequest(403, "origin not allowed")
        return web.Response(status=204, headers=_cors(origin))

    async def session(self, request: web.Request) -> web.Response:
        """A session token: the one the widget holds when still valid, else a new user and conversation."""
        tenant, config = self._web(request.match_info["tenant"])
        origin = request.headers.get("Origin", "")
        if origin and not self._origin_allowed(config, origin):
            raise RejectedRequest(403, "origin not allowed")
        body = await read_body(request, 4096)
        try:
            previous = str(json.loads(body or b"{}").get("token", ""))
        except (ValueError, AttributeError):
            raise RejectedRequest(400, "expected a JSON object") from None
        session = renewed_session(self._context.tenants.get, tenant, config, previous)
        body_out = {
            "token": issue_token(config, session),
            "conversation_id": session.conversation_id,
            "language": tenant.default_language,
        }
        return web.json_response(body_out, headers=_cors(origin) if origin else None)

    async def socket(self, request: web.Request) -> web.StreamResponse:
        session = read_token(self._context.tenants.get, request.query.get("token", ""))
        if session is None:
            raise RejectedRequest(403, "bad or expired session token")
        _, config = self._web(session.tenant_id)
        if not self._origin_allowed(config, request.headers.get("Origin", "")):
            raise RejectedRequest(403, "origin not allowed")
        ws = web.WebSocketResponse(heartbeat=25, max_msg_size=self._context.settings.limits.max_body_bytes)
        await ws.prepare(request)
        lock = asyncio.Lock()

        async def push(frame: dict[str, Any]) -> None:
            async with lock:
                if not ws.closed:
                    await ws.send_json(frame, dumps=_dumps)

        async def on_event(event: ReplyReady | HandoffEvent) -> None:
            frame = reply_frame(event) if isinstance(event, ReplyReady) else handoff_frame(event)
            if frame is not None:
                await push(frame)

        with self._context.hub.subscribe(session.tenant_id, session.conversation_id, on_event):
            await push(
                {"type": "ready", "conversation_id": session.conversation_id, "history": await self._history(session)}
            )
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    await self._on_frame(session, request.headers.get("Origin", ""), frame.data, push)
                elif frame.type == WSMsgType.ERROR:
                    break
        return ws

    async def _on_frame(self, session: Session, origin: str, data: str, push) -> None:
        try:
            frame = ClientFrame.model_validate(json.loads(data))
        except (ValueError, ValidationError):
            await push({"type": "error", "status": 400, "reason": "expected {type, id, text}"})
            return
        if frame.type == "typing":
            return
        if not frame.id:
            await push({"type": "error", "status": 400, "reason": "a message needs its client id"})
            return
        inbound = Inbound(
            tenant_id=session.tenant_id,
            channel=Channel.CHANNEL_WEB,
            dedup_key=f"web:{session.conversation_id}:{frame.id}",
            identities=(Identity("web", session.user_id),),
            text=frame.text,
            conversation_id=session.conversation_id,
            channel_ids=ChannelIds(message_id=frame.id, user_id=session.user_id, account_id=origin),
        )
        try:
            accepted = await self._context.intake.accept(inbound)
        except RejectedRequest as rejected:
            await push({"type": "error", "id": frame.id, "status": rejected.status, "reason": rejected.reason})
            return
        await push(
            {
                "type": "ack",
                "id": frame.id,
                "event_id": accepted.message.envelope.event_id,
                "duplicate": accepted.duplicate,
            }
        )
        if not accepted.duplicate:
            await push({"type": "typing", "on": True})

    async def _history(self, session: Session) -> list[dict[str, Any]]:
        items: list[tuple[Any, dict[str, Any]]] = []
        for document in await self._context.intake.history(session.tenant_id, session.conversation_id):
            message = MessageReceived.FromString(bytes(document["message"]))
            items.append(
                (document["received_at"], {"type": "sent", "id": message.channel_ids.message_id, "text": message.text})
            )
        for document in await self._context.outbox.history(session.tenant_id, session.conversation_id):
            items.append(
                (
                    document["created_at"],
                    {
                        "type": "reply",
                        "id": document["_id"],
                        "stream_id": document["_id"],
                        "partial": False,
                        "text": document["text"],
                        "quick_replies": document.get("quick_replies", []),
                        "agent_name": document.get("agent_name", ""),
                        "in_reply_to": document["causation_id"],
                        "answers": document.get("in_reply_to", ""),
                        "sequence": document.get("sequence", 0),
                        # Replies stored before citations were kept have none.
                        "citations": document.get("citations", []),
                        "language": frame_language(document.get("language", 0)),
                    },
                )
            )
        return in_turn_order([item for _, item in sorted(items, key=lambda pair: pair[0])])

    async def send(self, reply: ReplyReady) -> None:
        """Sockets get replies through the per-replica hub; the outbox keeps them for reconnects."""
        await self._context.outbox.claim(reply, "delivered")


def _cors(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Vary": "Origin",
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _static(name: str, content_type: str) -> web.Response:
    text = resources.files("switchboard.ingest").joinpath("static", name).read_text(encoding="utf-8")
    return web.Response(
        text=text,
        content_type=content_type,
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
