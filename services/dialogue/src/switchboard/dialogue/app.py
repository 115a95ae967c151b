"""Composition root of the dialogue service."""

from __future__ import annotations

from switchboard.core.contracts import MessageUnderstood
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import MESSAGE_UNDERSTOOD, REPLY_DECIDED
from switchboard.dialogue.decisions import generate_decision
from switchboard.dialogue.settings import Settings


def build(runtime: ServiceRuntime, settings: Settings) -> None:
    async def on_understood(event: MessageUnderstood) -> None:
        # No assistant is loaded yet: every message goes to the generator.
        await runtime.publish(REPLY_DECIDED, generate_decision(event))

    runtime.consume(MESSAGE_UNDERSTOOD, on_understood)
