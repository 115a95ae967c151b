"""Composition root of the generator service."""

from __future__ import annotations

from switchboard.core.contracts import ReplyDecided
from switchboard.core.grpcserver import add_grpc_server
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import REPLY_DECIDED, REPLY_READY
from switchboard.generator.replies import fallback_reply
from switchboard.generator.settings import Settings


def build(runtime: ServiceRuntime, settings: Settings) -> None:
    async def on_decided(decision: ReplyDecided) -> None:
        if decision.WhichOneof("decision") != "generate":
            return  # template replies and handoffs are other services' work
        # No model is loaded yet: every request gets the fallback reply.
        await runtime.publish(REPLY_READY, fallback_reply(decision, settings.fallback))

    runtime.consume(REPLY_DECIDED, on_decided)
    add_grpc_server(runtime, settings.grpc)
