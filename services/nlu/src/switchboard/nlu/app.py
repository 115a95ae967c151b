"""Composition root of the NLU service."""

from __future__ import annotations

from switchboard.core.contracts import MessageReceived, Understanding
from switchboard.core.grpcserver import add_grpc_server
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import MESSAGE_RECEIVED, MESSAGE_UNDERSTOOD
from switchboard.nlu.settings import Settings
from switchboard.nlu.understanding import understood


def build(runtime: ServiceRuntime, settings: Settings) -> None:
    async def on_message(message: MessageReceived) -> None:
        # No model is loaded yet: the message passes along with an empty reading.
        await runtime.publish(MESSAGE_UNDERSTOOD, understood(message, Understanding()))

    runtime.consume(MESSAGE_RECEIVED, on_message)
    add_grpc_server(runtime, settings.grpc)
