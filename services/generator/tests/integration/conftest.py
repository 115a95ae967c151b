"""Fixtures of the generator's integration tests: the real knowledge base in Milvus Lite, a scripted model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import pytest

from switchboard.generator.answering import Answerer
from switchboard.generator.cache import AnswerCache
from switchboard.generator.embedding import Embedder
from switchboard.generator.llm import ChatMessage
from switchboard.generator.retrieval import Retriever
from switchboard.generator.vectors import VectorStore

REPO = Path(__file__).resolve().parents[4]


class ScriptedModel:
    """Writes a fixed draft, a few characters at a time; records the prompts it was given."""

    languages = frozenset({"en"})
    model_id = "scripted"

    def __init__(self, draft: str = "", *, echo_system: bool = False) -> None:
        self.draft = draft
        self.echo_system = echo_system
        self.prompts: list[Sequence[ChatMessage]] = []

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_new_tokens: int, deadline: float | None = None
    ) -> AsyncIterator[str]:
        self.prompts.append(messages)
        text = messages[0].content if self.echo_system else self.draft
        for start in range(0, len(text), 7):
            yield text[start : start + 7]


@pytest.fixture(scope="session", autouse=True)
def milvus_lite_servers() -> Iterator[None]:
    """Stops the in-process Milvus Lite servers at the end of the session, while logging still has
    its streams: left to milvus_lite's own exit hook, their goodbye lines hit closed streams."""
    yield
    from milvus_lite import server_manager_instance

    server_manager_instance.release_all()


@pytest.fixture()
def scripted() -> type[ScriptedModel]:
    return ScriptedModel


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> VectorStore:
    return VectorStore(str(tmp_path_factory.mktemp("milvus") / "kb.db"))


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def retriever(store: VectorStore, embedder: Embedder) -> Retriever:
    return Retriever(REPO / "tenants", store, embedder)


@pytest.fixture()
def make_answerer(retriever: Retriever, store: VectorStore, embedder: Embedder) -> Callable[..., Answerer]:
    def make(model: ScriptedModel | None = None) -> Answerer:
        cache = AnswerCache(store, embedder, similarity=0.97, ttl_s=3600)
        return Answerer(tenants_dir=REPO / "tenants", retriever=retriever, cache=cache, model=model)

    return make
