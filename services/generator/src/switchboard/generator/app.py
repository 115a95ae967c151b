"""Composition root of the generator service."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from switchboard.api.generator.v1 import generator_service_pb2_grpc as pb_grpc
from switchboard.core.grpcserver import add_grpc_server
from switchboard.core.logs import get_logger
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import ConversationTopics
from switchboard.generator.answering import Answerer, AnsweringPolicy
from switchboard.generator.cache import AnswerCache
from switchboard.generator.embedding import Embedder
from switchboard.generator.llm import build_generator
from switchboard.generator.retrieval import Retriever
from switchboard.generator.service import DecisionHandler, GeneratorServicer
from switchboard.generator.settings import Settings
from switchboard.generator.vectors import VectorStore

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class GeneratorParts:
    """What ``build`` wired into the runtime: the answerer and the handler of generate decisions."""

    answerer: Answerer
    handler: DecisionHandler


async def build(
    runtime: ServiceRuntime, settings: Settings, topics: ConversationTopics | None = None
) -> GeneratorParts:
    """Opens the vector store, loads the model when used; answers ``topics.decided`` on ``topics.outbound`` (the
    declared topics unless given) and over gRPC."""
    topics = topics or ConversationTopics()
    uri = settings.knowledge.milvus_uri
    if "://" not in uri:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    store = await asyncio.to_thread(VectorStore, uri)
    embedder = Embedder()
    retriever = Retriever(Path(settings.knowledge.tenants_dir), store, embedder)
    preload = settings.knowledge.preload_tenants
    if "*" in preload:
        tenants_dir = Path(settings.knowledge.tenants_dir)
        preload = sorted(path.parent.name for path in tenants_dir.glob("*/knowledge") if path.is_dir())
    for tenant_id in preload:
        await retriever.sync(tenant_id)
    model = None
    if settings.use_model:
        model = build_generator(settings.model)
        await model.start()
        runtime.on_close(model.close)
    answerer = Answerer(
        tenants_dir=Path(settings.knowledge.tenants_dir),
        retriever=retriever,
        cache=AnswerCache(store, embedder, similarity=settings.cache.similarity, ttl_s=settings.cache.ttl_s),
        model=model,
        policy=AnsweringPolicy(min_retrieval_score=settings.knowledge.min_retrieval_score),
    )
    handler = DecisionHandler(
        answerer,
        runtime.publish,
        fallback=settings.fallback,
        default_deadline_ms=settings.deadline_ms,
        replies=topics.outbound,
        decisions=topics.decided,
    )
    runtime.consume(topics.decided, handler)
    server = add_grpc_server(runtime, settings.grpc)
    pb_grpc.add_GeneratorServiceServicer_to_server(
        GeneratorServicer(answerer, default_deadline_ms=settings.deadline_ms), server
    )

    async def close_store() -> None:
        await asyncio.to_thread(store.close)

    runtime.on_close(close_store)
    return GeneratorParts(answerer, handler)
