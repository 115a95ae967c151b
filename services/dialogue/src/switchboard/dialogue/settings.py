"""Configuration of the dialogue service, from ``DIALOGUE_*`` environment variables."""

from __future__ import annotations

from switchboard.core.settings import HttpSettings, ServiceSettings


class Settings(ServiceSettings, env_prefix="DIALOGUE_", env_nested_delimiter="__", extra="forbid"):
    """Dialogue settings; nested fields use ``__`` (``DIALOGUE_MONGO__URI``)."""

    http: HttpSettings = HttpSettings(port=8084)
