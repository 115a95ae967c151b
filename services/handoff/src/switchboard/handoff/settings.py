"""Configuration of the handoff service, from ``HANDOFF_*`` environment variables."""

from __future__ import annotations

from switchboard.core.settings import HttpSettings, ServiceSettings


class Settings(ServiceSettings, env_prefix="HANDOFF_", env_nested_delimiter="__", extra="forbid"):
    """Handoff settings; nested fields use ``__`` (``HANDOFF_HTTP__PORT``)."""

    http: HttpSettings = HttpSettings(port=8081)
