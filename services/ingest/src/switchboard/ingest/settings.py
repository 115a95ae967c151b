"""Configuration of the ingest service, from ``INGEST_*`` environment variables."""

from __future__ import annotations

from pydantic import BaseModel, Field

from switchboard.core.settings import HttpSettings, ServiceSettings


class LimitSettings(BaseModel):
    """Request size and rate limits applied to every channel before anything is published."""

    max_body_bytes: int = Field(64 * 1024, ge=1024, description="larger requests get 413")
    max_text_chars: int = Field(4000, ge=1, description="longer customer messages get 413")
    customer_per_minute: int = Field(30, ge=1, description="messages per customer and minute, then 429")
    tenant_per_minute: int = Field(3000, ge=1, description="messages per tenant and minute, then 429")


class WaitSettings(BaseModel):
    """How long a request waits for the replies of the message it published (bounded everywhere)."""

    # Longer than the generator's turn deadline (8 s, DIALOGUE_TURN__GENERATE_DEADLINE_MS) plus the hops
    # before it, so the generator's own fallback at its deadline still reaches a REST customer.
    rest_s: float = Field(12.0, gt=0, description="Rasa REST webhook: wait for the replies this long")
    wechat_passive_s: float = Field(4.0, gt=0, lt=5, description="WeChat passive answer; WeChat gives up at 5 s")
    voice_s: float = Field(3.0, gt=0, description="phone: wait this long, then a filler and <Redirect>")
    voice_redirects: int = Field(4, ge=1, description="fillers before the caller is told to try again")


class Settings(ServiceSettings, env_prefix="INGEST_", env_nested_delimiter="__", extra="forbid"):
    """Ingest settings; nested fields use ``__`` (``INGEST_KAFKA__BOOTSTRAP_SERVERS``)."""

    http: HttpSettings = HttpSettings(port=8080)
    tenants_dir: str = Field("tenants", description="folder of tenants/<id>/channels.yaml")
    tenants_reload_s: float = Field(5.0, gt=0, description="how often channels.yaml files are checked for changes")
    public_base_url: str = Field(
        "http://127.0.0.1:8080",
        description="the URL customers' providers call (Twilio signs against it, not the proxied one)",
    )
    wechat_api_base: str = Field("https://api.weixin.qq.com", description="WeChat API base URL")
    io_threads: int = Field(32, ge=4, description="threads for blocking database calls (pymongo is synchronous)")
    limits: LimitSettings = LimitSettings()
    wait: WaitSettings = WaitSettings()
