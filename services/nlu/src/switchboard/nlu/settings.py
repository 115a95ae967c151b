"""Configuration of the NLU service, from ``NLU_*`` environment variables."""

from __future__ import annotations

from switchboard.core.settings import GrpcSettings, HttpSettings, ServiceSettings


class Settings(ServiceSettings, env_prefix="NLU_", env_nested_delimiter="__", extra="forbid"):
    """NLU settings; nested fields use ``__`` (``NLU_GRPC__PORT``)."""

    http: HttpSettings = HttpSettings(port=8082)
    grpc: GrpcSettings = GrpcSettings(port=50051)
