"""Configuration of the dialogue service, from ``DIALOGUE_*`` environment variables."""

from __future__ import annotations

from pydantic import BaseModel, Field

from switchboard.core.settings import HttpSettings, ServiceSettings


class AssistantSettings(BaseModel):
    """Where the tenants' Rasa projects are, where their models are cached, how many stay loaded."""

    tenants_dir: str = Field("tenants", description="tenant folders: each a Rasa project with tenant.yaml")
    cache_dir: str = Field(
        ".run/models", description="trained models, keyed by a hash of each project (share it between replicas)"
    )
    max_loaded: int = Field(8, ge=1, description="tenants whose assistant stays in memory (least recently used go)")
    reload_interval_s: float = Field(5.0, gt=0, description="how often loaded tenants are checked for changed files")
    # A comma-separated string, not a list: the dialogue environment's pydantic 1 reads a nested list
    # variable as a plain string.
    preload: str = Field("", description="tenants trained and loaded at start, comma-separated ('*': all)")


class TurnSettings(BaseModel):
    """Budgets and sizes of one turn."""

    action_timeout_s: float = Field(2.0, gt=0, description="per custom action; shorter than the turn budget")
    kept_conversations: int = Field(
        1024, ge=0, description="conversations whose last written window stays in memory for their next turn"
    )
    turns_kept: int = Field(20, ge=1, description="recent turns whose replies are kept for redelivery")
    history_turns: int = Field(6, ge=0, description="customer/bot texts handed to the generator")
    generate_deadline_ms: int = Field(8000, ge=0, description="how long a generated answer may take")


class Settings(ServiceSettings, env_prefix="DIALOGUE_", env_nested_delimiter="__", extra="forbid"):
    """Dialogue settings; nested fields use ``__`` (``DIALOGUE_MONGO__URI``)."""

    http: HttpSettings = HttpSettings(port=8084)
    assistant: AssistantSettings = AssistantSettings()
    turn: TurnSettings = TurnSettings()
