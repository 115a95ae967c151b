"""The channel adapter contract, the context adapters share, and the guard around their routes.

Each channel is one module with one adapter class: ``routes()`` turn the channel's requests into
``Inbound`` messages through ``Context.intake`` and answer on the channel's protocol; ``send()`` is
called by the grouped delivery consumer, once per reply id, for replies no waiting request took.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from aiohttp import web
from aiokafka.errors import KafkaError
from pymongo.errors import PyMongoError

from switchboard.core.contracts import ReplyReady
from switchboard.core.logs import get_logger
from switchboard.ingest.channel_config import Tenants
from switchboard.ingest.errors import RejectedRequest
from switchboard.ingest.intake import Intake
from switchboard.ingest.outbox import Outbox
from switchboard.ingest.reply_hub import ReplyHub
from switchboard.ingest.settings import Settings

log = get_logger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Context:
    """What every adapter needs: settings, tenant channel configs, intake, reply routing, outbox."""

    settings: Settings
    tenants: Tenants
    intake: Intake
    hub: ReplyHub
    outbox: Outbox


class ChannelAdapter(Protocol):
    name: ClassVar[str]
    channel: ClassVar[int]

    def routes(self) -> list[web.RouteDef]: ...

    async def send(self, reply: ReplyReady) -> None:
        """Delivers ``reply`` on the channel (the outbox claim is the adapter's first step)."""


def guarded(handler: RouteHandler) -> RouteHandler:
    """Refusals become their HTTP status with a reason, a dependency outage 503, anything else a logged 500."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except RejectedRequest as rejected:
            log.info("channel.request.rejected", path=request.path, status=rejected.status, reason=rejected.reason)
            return web.json_response({"error": rejected.reason}, status=rejected.status)
        except web.HTTPException:
            raise
        except (PyMongoError, KafkaError) as error:
            # A dependency is down: 503 tells WeChat and Twilio to retry, and the retry is deduplicated.
            log.error("channel.request.unavailable", path=request.path, error_class=type(error).__name__)
            return web.json_response({"error": "temporarily unavailable, retry"}, status=503)
        except Exception as error:
            log.exception("channel.request.failed", path=request.path, error_class=type(error).__name__)
            return web.json_response({"error": "internal error"}, status=500)

    return wrapper


def split_text(text: str, max_bytes: int) -> list[str]:
    """Splits ``text`` into parts of at most ``max_bytes`` UTF-8 bytes, preferring line and sentence ends."""
    parts: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > max_bytes:
        cut = 0
        size = 0
        for index, char in enumerate(rest):
            size += len(char.encode("utf-8"))
            if size > max_bytes:
                break
            cut = index + 1
        window = rest[:cut]
        soft = max(window.rfind(sep) for sep in ("\n", "。", "！", "？", ". ", "! ", "? "))
        end = soft + 1 if soft > cut // 2 else cut
        parts.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    if rest:
        parts.append(rest)
    return parts
