"""Configuration of the generator service, from ``GENERATOR_*`` environment variables."""

from __future__ import annotations

from pydantic import BaseModel, Field

from switchboard.core.settings import GrpcSettings, HttpSettings, ServiceSettings
from switchboard.generator.llm.settings import ModelSettings


class FallbackSettings(BaseModel):
    """The reply sent when no answer can be given before the deadline."""

    text_en: str = Field("Sorry, I can't answer that right now. A colleague will follow up with you.")
    text_zh: str = Field("抱歉，我暂时无法回答这个问题，稍后会有同事跟进。")


class KnowledgeSettings(BaseModel):
    """Where tenants' knowledge bases live and how they are searched."""

    tenants_dir: str = Field("tenants", description="folder of tenants/<id>/knowledge/*.md")
    milvus_uri: str = Field(".run/generator/milvus.db", description="Milvus Lite file or a Milvus server URL")
    min_retrieval_score: float = Field(
        0.883, description="best hit's relevance below this: the question is unclear (calibrated on demo)"
    )
    preload_tenants: list[str] = Field(
        default_factory=lambda: ["*"], description="indexed at start ('*': every tenant with a knowledge/ folder)"
    )


class CacheSettings(BaseModel):
    """Semantic answer cache."""

    similarity: float = Field(0.97, ge=0, le=1, description="cosine similarity for a hit (same signature only)")
    ttl_s: float = Field(86400.0, gt=0)


class Settings(ServiceSettings, env_prefix="GENERATOR_", env_nested_delimiter="__", extra="forbid"):
    """Generator settings; nested fields use ``__`` (``GENERATOR_MODEL__PATH``)."""

    http: HttpSettings = HttpSettings(port=8083)
    grpc: GrpcSettings = GrpcSettings(port=50052)
    fallback: FallbackSettings = FallbackSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    cache: CacheSettings = CacheSettings()
    model: ModelSettings = ModelSettings()
    # Off by default, chosen by `make bench-quality`: on a 2-core CPU the packaged SmolLM2 wrote 1 of 45 English
    # knowledge answers that passed the claim check (the rest fell back to the extractive answer) and put the English
    # answer's p50 at about 5 s instead of about 0.2 s; the Qwen preset cannot answer within the turn deadline on CPU.
    # Turn it on with a GPU and a model that the benchmark shows better than extractive answers.
    use_model: bool = Field(False, description="true: a local LLM writes grounded answers; false: extractive only")
    deadline_ms: int = Field(8000, ge=100, description="default answer deadline when the request gives none")
