"""Composition root of the handoff service."""

from __future__ import annotations

import asyncio

from switchboard.core.contracts import ReplyReady
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import REPLY_READY
from switchboard.handoff.settings import Settings
from switchboard.handoff.transcript import Transcript


async def build(runtime: ServiceRuntime, settings: Settings) -> None:
    transcript = Transcript(runtime.database()["transcript"])
    await asyncio.to_thread(transcript.ensure_indexes)

    async def on_reply(reply: ReplyReady) -> None:
        await transcript.record_reply(reply)

    runtime.consume(REPLY_READY, on_reply, group_id="switchboard-handoff-transcript")
