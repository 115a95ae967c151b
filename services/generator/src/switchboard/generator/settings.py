"""Configuration of the generator service, from ``GENERATOR_*`` environment variables."""

from __future__ import annotations

from pydantic import BaseModel, Field

from switchboard.core.settings import GrpcSettings, HttpSettings, ServiceSettings


class FallbackSettings(BaseModel):
    """The reply sent when no grounded answer can be given in time."""

    text_en: str = Field("Sorry, I can't answer that right now. A colleague will follow up with you.")
    text_zh: str = Field("抱歉，我暂时无法回答这个问题，稍后会有同事跟进。")


class Settings(ServiceSettings, env_prefix="GENERATOR_", env_nested_delimiter="__", extra="forbid"):
    """Generator settings; nested fields use ``__`` (``GENERATOR_FALLBACK__TEXT_EN``)."""

    http: HttpSettings = HttpSettings(port=8083)
    grpc: GrpcSettings = GrpcSettings(port=50052)
    fallback: FallbackSettings = FallbackSettings()
