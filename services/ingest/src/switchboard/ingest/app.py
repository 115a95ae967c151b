"""Composition root of the ingest service."""

from __future__ import annotations

from switchboard.core.contracts import ReplyReady
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import REPLY_READY
from switchboard.ingest.delivery import DeliveryLog
from switchboard.ingest.settings import Settings


def build(runtime: ServiceRuntime, settings: Settings) -> None:
    deliveries = DeliveryLog(runtime.database()["deliveries"])

    async def on_reply(reply: ReplyReady) -> None:
        await deliveries.deliver(reply)

    runtime.consume(REPLY_READY, on_reply)
