"""Configuration of the ingest service, from ``INGEST_*`` environment variables."""

from __future__ import annotations

from switchboard.core.settings import HttpSettings, ServiceSettings


class Settings(ServiceSettings, env_prefix="INGEST_", env_nested_delimiter="__", extra="forbid"):
    """Ingest settings; nested fields use ``__`` (``INGEST_KAFKA__BOOTSTRAP_SERVERS``)."""

    http: HttpSettings = HttpSettings(port=8080)
