"""Composition root of the NLU service: models, the event consumer, HTTP and gRPC."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from switchboard.core.contracts import MessageReceived
from switchboard.core.grpcserver import add_grpc_server
from switchboard.core.logs import get_logger
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.tenant_watch import TenantWatch
from switchboard.core.topics import ConversationTopics
from switchboard.nlu import http
from switchboard.nlu.grpcapi import add_nlu_service
from switchboard.nlu.model import ParseInput, TrainOptions
from switchboard.nlu.model_store import ModelStore
from switchboard.nlu.parsing import PARSE_SECONDS, Parser, empty_reading
from switchboard.nlu.registry import ModelRegistry
from switchboard.nlu.settings import Settings
from switchboard.nlu.understanding import understood

log = get_logger(__name__)

ALL_TENANTS = "*"
# A tenant's files its NLU model is trained from.
TRAINING_FILES = ("data", "calibration.yml", "tenant.yaml")


def received_at(message: MessageReceived) -> datetime:
    if message.envelope.HasField("created_at"):
        return message.envelope.created_at.ToDatetime(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class NluParts:
    """What ``build`` wired into the runtime: the tenants' model registry."""

    registry: ModelRegistry


async def build(runtime: ServiceRuntime, settings: Settings, topics: ConversationTopics | None = None) -> NluParts:
    """Wires the service into ``runtime``: reads ``topics.inbound``, writes ``topics.understood`` (the declared
    topics unless given)."""
    topics = topics or ConversationTopics()
    registry = ModelRegistry(
        ModelStore(settings.models_dir), settings.tenants_dir, TrainOptions(encoder=settings.intent_encoder)
    )
    # Before anything is served: a tenant without a model is trained now (seconds), never mid-stream.
    at_start = registry.discovered() if ALL_TENANTS in settings.train_at_start else list(settings.train_at_start)
    failed = await asyncio.to_thread(registry.ensure_trained, at_start)
    # A tenant whose data does not train is logged (ensure_trained) and left out; the others are served.
    at_start = [tenant for tenant in at_start if tenant not in failed]
    parser = Parser(registry, settings.max_text_chars, settings.batch_max, settings.batch_wait_ms)

    async def on_message(message: MessageReceived) -> None:
        started = time.perf_counter()
        # Events are never refused for length: the customer said it, the reading uses the start.
        text = message.text[: settings.max_text_chars]
        if text.strip():
            item = ParseInput(text, received_at=received_at(message), language_hint=message.language_hint)
            reading = await parser.parse_in_batch(message.envelope.tenant_id, item)
        else:
            reading = empty_reading(message.language_hint)
        await runtime.publish(topics.understood, understood(message, reading))
        PARSE_SECONDS.labels("kafka").observe(time.perf_counter() - started)

    watch = TenantWatch(settings.tenants_dir, TRAINING_FILES, marker="data")
    watch.changes()  # what ensure_trained just saw is the baseline

    async def reload_models() -> None:
        while True:
            await asyncio.sleep(settings.reload_interval_s)
            for tenant, version in await asyncio.to_thread(registry.refresh):
                log.info("nlu.model.reloaded", tenant_id=tenant, version=version)
            # Training data edited (or a tenant added) while running: trained here, then served on the
            # next refresh; a new tenant's first message trains it if it comes first.
            changes = await asyncio.to_thread(watch.changes)
            for tenant in changes.updated:
                await asyncio.to_thread(registry.ensure_trained, [tenant])

    async def models_ready() -> tuple[bool, str]:
        loaded = registry.loaded()
        missing = [tenant for tenant in at_start if tenant not in loaded]
        return (not missing, f"missing {missing}" if missing else ", ".join(f"{t}={v}" for t, v in loaded.items()))

    runtime.readiness.add("models", models_ready)
    runtime.background(parser.run_batches)
    runtime.background(reload_models)
    runtime.consume(topics.inbound, on_message)
    http.add_routes(
        runtime.http_app, parser, settings.default_tenant, max_body_bytes=settings.max_text_chars * 4 + 4096
    )
    add_nlu_service(add_grpc_server(runtime, settings.grpc), parser)
    return NluParts(registry)
