"""Configuration of the handoff service, from ``HANDOFF_*`` environment variables."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import BaseModel, Field

from switchboard.core.settings import HttpSettings, SecretStr, ServiceSettings


class ConsoleSettings(BaseModel):
    """The agent console: sessions and presence."""

    session_secret: SecretStr = Field(
        SecretStr(""), description="key that signs session cookies; empty = a random key per process (dev only)"
    )
    session_ttl_s: int = Field(12 * 3600, ge=60, description="how long a login lasts")
    cookie_secure: bool = Field(False, description="mark the session cookie Secure (true behind HTTPS)")
    presence_timeout_s: float = Field(
        45.0, gt=0, description="an agent unheard of this long is offline; chats re-queued"
    )
    sweep_interval_s: float = Field(10.0, gt=0, description="how often presence is checked")


class AssistSettings(BaseModel):
    """Agent assist through the generator's ``GeneratorService.Generate``."""

    generator_address: str = Field("127.0.0.1:50052", description="host:port of the generator's gRPC server")
    timeout_s: float = Field(4.0, gt=0, description="deadline of one suggestion request")
    suggestions: int = Field(2, ge=0, le=5, description="suggested replies shown per request")


class FloorSettings(BaseModel):
    """The supervisor floor stream (faust-streaming, ``floor_stream.py``) and its own Kafka topics."""

    app_id: str = Field("switchboard-handoff-floor", description="faust app id: consumer group, prefix of its topics")
    data_dir: Path = Field(
        Path(tempfile.gettempdir()) / "switchboard-handoff-floor",
        description="writable directory for faust's local state (tables are in memory; faust still wants one); "
        "each app id gets its own sub-directory",
    )
    partitions: int = Field(6, ge=1, description="partitions of the stream's internal and changelog topics")
    replication_factor: int = Field(1, ge=1, description="replication factor of the stream's internal topics")
    standby_replicas: int = Field(
        1, ge=0, description="standby copies of the tables on other replicas, for a fast takeover after a rebalance"
    )
    advertised_host: str = Field(
        "",
        description="host name or IP at which the other replicas reach this one's HTTP port, to ask it for the "
        "figures of the tenants whose tables it holds; empty: this machine's host name",
    )
    dedup_window_s: float = Field(24 * 3600, gt=0, description="how long event ids are remembered to drop redeliveries")


class Settings(ServiceSettings, env_prefix="HANDOFF_", env_nested_delimiter="__", extra="forbid"):
    """Handoff settings; nested fields use ``__`` (``HANDOFF_HTTP__PORT``)."""

    http: HttpSettings = HttpSettings(port=8081)
    tenants_dir: str = Field("tenants", description="folder of tenants/<id>/{tenant,handoff,agents}.yaml")
    tenants_reload_s: float = Field(5.0, gt=0, description="how often tenant files are checked for changes")
    console: ConsoleSettings = ConsoleSettings()
    assist: AssistSettings = AssistSettings()
    floor: FloorSettings = FloorSettings()
