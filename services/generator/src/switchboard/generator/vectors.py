"""Milvus (Lite locally, a cluster in production) for knowledge passages and cached answers.

Tenants are separated by partition, not by filter expression: a partition search is several
times faster than a filtered one on the hot path, and one tenant's rows can never match another's
query. The same code talks to a Milvus server when ``uri`` is an http(s) address.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from pymilvus import DataType, MilvusClient

from switchboard.generator.embedding import DIMENSIONS

KNOWLEDGE = "knowledge"
ANSWER_CACHE = "answer_cache"


def partition_of(tenant_id: str) -> str:
    """Milvus partition names allow letters, digits and underscores only."""
    return "t_" + re.sub(r"[^0-9A-Za-z_]", "_", tenant_id)


class VectorStore:
    """The two collections and the operations the generator needs on them (synchronous; call in a thread)."""

    def __init__(self, uri: str) -> None:
        self._client = MilvusClient(uri)
        self._lock = threading.Lock()
        self._ensure(KNOWLEDGE, self._knowledge_schema())
        self._ensure(ANSWER_CACHE, self._cache_schema())

    def _ensure(self, name: str, schema: Any) -> None:
        if self._client.has_collection(name):
            self._client.load_collection(name)
            return
        index = self._client.prepare_index_params()
        index.add_index("vector", metric_type="COSINE", index_type="FLAT")
        self._client.create_collection(name, schema=schema, index_params=index)
        self._client.load_collection(name)

    @staticmethod
    def _knowledge_schema() -> Any:
        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSIONS)
        schema.add_field("kb_version", DataType.VARCHAR, max_length=32)
        schema.add_field("language", DataType.VARCHAR, max_length=8)
        schema.add_field("source", DataType.VARCHAR, max_length=256)
        schema.add_field("title", DataType.VARCHAR, max_length=512)
        schema.add_field("text", DataType.VARCHAR, max_length=8192)
        return schema

    @staticmethod
    def _cache_schema() -> Any:
        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSIONS)
        schema.add_field("key", DataType.VARCHAR, max_length=512)
        schema.add_field("created_at", DataType.INT64)
        schema.add_field("answer", DataType.VARCHAR, max_length=8192)
        return schema

    def _partition(self, collection: str, tenant_id: str) -> str:
        name = partition_of(tenant_id)
        if not self._client.has_partition(collection, name):
            self._client.create_partition(collection, name)
            # Milvus Lite loads whole collections only; a server accepts this too.
            self._client.load_collection(collection)
        return name

    def knowledge_version(self, tenant_id: str) -> tuple[str, int]:
        """The knowledge-base version indexed for a tenant and how many passages carry it."""
        with self._lock:
            partition = self._partition(KNOWLEDGE, tenant_id)
            rows = self._client.query(
                KNOWLEDGE, filter="", output_fields=["kb_version"], partition_names=[partition], limit=16384
            )
        versions = {row["kb_version"] for row in rows}
        return (versions.pop(), len(rows)) if len(versions) == 1 else ("", len(rows))

    def replace_knowledge(self, tenant_id: str, rows: Sequence[dict[str, Any]]) -> None:
        """Swaps a tenant's passages for ``rows`` (ids are content digests, so upsert + delete is exact)."""
        with self._lock:
            partition = self._partition(KNOWLEDGE, tenant_id)
            keep = {row["id"] for row in rows}
            existing = self._client.query(
                KNOWLEDGE, filter="", output_fields=["id"], partition_names=[partition], limit=16384
            )
            stale = [row["id"] for row in existing if row["id"] not in keep]
            if rows:
                self._client.upsert(KNOWLEDGE, list(rows), partition_name=partition)
            if stale:
                self._client.delete(KNOWLEDGE, ids=stale, partition_name=partition)

    def search_knowledge(self, tenant_id: str, vector: Sequence[float], limit: int) -> list[dict[str, Any]]:
        with self._lock:
            partition = self._partition(KNOWLEDGE, tenant_id)
            hits = self._client.search(
                KNOWLEDGE,
                data=[list(vector)],
                limit=limit,
                partition_names=[partition],
                output_fields=["language", "source", "title", "text", "kb_version"],
            )[0]
        return [{**hit["entity"], "id": hit["id"], "score": float(hit["distance"])} for hit in hits]

    def put_answer(self, tenant_id: str, row: dict[str, Any]) -> None:
        with self._lock:
            self._client.upsert(ANSWER_CACHE, [row], partition_name=self._partition(ANSWER_CACHE, tenant_id))

    def find_answer(self, tenant_id: str, vector: Sequence[float], key: str, not_before: int) -> dict[str, Any] | None:
        """The nearest cached answer with exactly this key, no older than ``not_before``."""
        expression = f'key == "{_escape(key)}" and created_at >= {int(not_before)}'
        with self._lock:
            hits = self._client.search(
                ANSWER_CACHE,
                data=[list(vector)],
                limit=1,
                filter=expression,
                partition_names=[self._partition(ANSWER_CACHE, tenant_id)],
                output_fields=["answer", "created_at"],
            )[0]
        if not hits:
            return None
        return {**hits[0]["entity"], "score": float(hits[0]["distance"])}

    def close(self) -> None:
        self._client.close()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
