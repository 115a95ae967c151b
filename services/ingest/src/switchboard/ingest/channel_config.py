"""Each tenant's channel configuration: ``tenants/<id>/channels.yaml``, secrets from the environment, with the
tenant's copy (``copy.yaml``: what the channels themselves say) and its name.

A secret written as ``env:NAME`` is read from the environment variable ``NAME``; anything else is
taken literally (the demo tenant ships documented demo values).
"""

from __future__ import annotations

import hmac
import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from switchboard.core.copy import COPY_FILE, CopyError, TenantCopy, default_copy, load_copy
from switchboard.core.language import DEFAULT_LANGUAGE, Code
from switchboard.core.logs import get_logger
from switchboard.core.tenant_watch import TenantWatch
from switchboard.core.tenants import TENANT_ID
from switchboard.ingest.errors import ChannelConfigError

log = get_logger(__name__)

CHANNELS_FILE = "channels.yaml"
_ENV_REF = re.compile(r"^env:([A-Z_][A-Z0-9_]*)$")


class WebConfig(BaseModel):
    allowed_origins: list[str] = Field(default_factory=list)
    session_secret: SecretStr
    session_ttl_s: int = Field(86400, ge=60)
    rest_api_key: SecretStr


class WeChatConfig(BaseModel):
    app_id: str
    app_secret: SecretStr
    token: SecretStr
    encoding_aes_key: SecretStr | None = None

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("encoding_aes_key must be 43 characters (WeChat's EncodingAESKey)")
        return value


class VoiceConfig(BaseModel):
    auth_token: SecretStr
    chinese_prefixes: list[str] = Field(default_factory=lambda: ["+86"])
    agent_queue: str = "support"
    agent_number: str = ""


class ChannelConfig(BaseModel):
    """One tenant's channels; a channel left out is switched off for that tenant."""

    tenant_id: str
    default_language: Code = DEFAULT_LANGUAGE
    # tenant.yaml's name per language: what the phone greeting calls the line.
    name: dict[Code, str] = Field(default_factory=dict)
    tenant_copy: TenantCopy = Field(default_factory=default_copy)
    web: WebConfig | None = None
    wechat: WeChatConfig | None = None
    voice: VoiceConfig | None = None

    def name_in(self, language: str) -> str:
        """The tenant's name in ``language`` (a code or a tag such as ``zh-CN``), else in any language, else its id."""
        code = language.split("-")[0]
        named = next((name for key, name in self.name.items() if key == code), "")
        return named or next(iter(self.name.values()), "") or self.tenant_id


def _resolve(value: object, where: str) -> object:
    if isinstance(value, dict):
        return {key: _resolve(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, where) for item in value]
    if isinstance(value, str) and (match := _ENV_REF.match(value)):
        name = match.group(1)
        if name not in os.environ:
            raise ChannelConfigError(f"{where}: set the environment variable {name}")
        return os.environ[name]
    return value


def load_channels(path: Path) -> ChannelConfig:
    tenant_id = path.parent.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ChannelConfigError(f"{path}: cannot read: {error}") from error
    if not isinstance(raw, dict):
        raise ChannelConfigError(f"{path}: expected a mapping at the top level")
    default_language: Code = DEFAULT_LANGUAGE
    name: dict[Code, str] = {}
    try:
        tenant_copy = load_copy(path.parent)
    except CopyError as error:
        raise ChannelConfigError(str(error)) from error
    if (path.parent / "tenant.yaml").exists():
        from switchboard.core.tenants import TenantError, load_tenant

        try:
            tenant = load_tenant(path.parent / "tenant.yaml")
        except TenantError as error:
            raise ChannelConfigError(str(error)) from error
        default_language = tenant.default_language
        name = tenant.name
        # tenant.yaml switches channels on and off; credentials of a switched-off channel are ignored.
        raw = {name: value for name, value in raw.items() if getattr(tenant.channels, name, True)}
    try:
        return ChannelConfig(
            tenant_id=tenant_id,
            default_language=default_language,
            name=name,
            tenant_copy=tenant_copy,
            **_resolve(raw, str(path)),
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ChannelConfigError(f"{path}: {problems}") from error


class Tenants:
    """The channel configurations of every tenant folder that has a ``channels.yaml``, reloaded when its
    ``channels.yaml`` or ``copy.yaml`` changes."""

    def __init__(self, configs: dict[str, ChannelConfig]) -> None:
        self._configs = configs
        self.watch: TenantWatch | None = None

    @classmethod
    def load(cls, folder: Path) -> Tenants:
        """Every tenant with a valid ``channels.yaml``; a broken one is logged and left out, so the others
        are served (an error only when no tenant at all can be served)."""
        tenants = cls({})
        tenants.watch = TenantWatch(folder, (CHANNELS_FILE, COPY_FILE), marker=CHANNELS_FILE)
        tenants.refresh()
        if not tenants._configs:
            raise ChannelConfigError(f"no valid */channels.yaml under {folder.resolve()}: set INGEST_TENANTS_DIR")
        return tenants

    def refresh(self) -> list[str]:
        """Loads the tenants whose ``channels.yaml`` (or ``copy.yaml``) appeared or changed since the last call and
        forgets removed ones; returns the tenants loaded. A file that no longer loads keeps the previous
        configuration."""
        if self.watch is None:
            return []
        changes = self.watch.changes()
        loaded = []
        for tenant_id in changes.updated:
            path = self.watch.tenants_dir / tenant_id / CHANNELS_FILE
            try:
                self._configs[tenant_id] = load_channels(path)
            except ChannelConfigError as error:
                log.error("ingest.tenant.invalid", tenant_id=tenant_id, error=str(error))
                continue
            loaded.append(tenant_id)
        for tenant_id in changes.removed:
            self._configs.pop(tenant_id, None)
            log.info("ingest.tenant.removed", tenant_id=tenant_id)
        return loaded

    def get(self, tenant_id: str) -> ChannelConfig | None:
        if not TENANT_ID.match(tenant_id):
            return None
        return self._configs.get(tenant_id)

    def by_rest_key(self, key: str) -> ChannelConfig | None:
        """The tenant whose REST API key is ``key`` (compared in constant time)."""
        found = None
        for config in self._configs.values():
            if config.web and hmac.compare_digest(config.web.rest_api_key.get_secret_value().encode(), key.encode()):
                found = config
        return found
