"""What the console reads and sends: JSON bodies in and out, the public view of a handoff, the page and
its assets, and the security headers on every ``/console`` response."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

STATIC = {"console.js": "application/javascript", "console.css": "text/css"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PUBLIC_FIELDS = (
    "conversation_id",
    "customer_id",
    "channel_name",
    "language",
    "topic",
    "queue",
    "reasons",
    "priority",
    "state",
    "agent_id",
    "agent_name",
    "queued_at",
    "assigned_at",
    "position",
    "wait_s",
)
Body = TypeVar("Body", bound=BaseModel)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False, default=_default))


def public_view(handoff: dict[str, Any]) -> dict[str, Any]:
    """The fields of a handoff an agent's browser is shown."""
    return {"id": handoff["_id"], **{k: handoff.get(k) for k in PUBLIC_FIELDS}}


async def parse_body(request: web.Request, model: type[Body]) -> Body:
    try:
        return model(**(await request.json()))
    except (ValueError, TypeError, ValidationError) as error:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "invalid request"}), content_type="application/json"
        ) from error


async def page(request: web.Request) -> web.Response:
    return web.Response(text=_asset("console.html"), content_type="text/html", charset="utf-8")


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    return web.Response(text=_asset(name), content_type=STATIC[name], charset="utf-8")


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith("/console") and not response.prepared:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _asset(name: str) -> str:
    return resources.files("switchboard.handoff").joinpath("static", name).read_text(encoding="utf-8")
