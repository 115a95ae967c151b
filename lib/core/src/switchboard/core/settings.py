"""Settings pieces shared by every service, and the base class each service's Settings extends.

Each service declares one class, configured by class keywords so the same source works with
pydantic-settings (pydantic 2, the services environment) and pydantic 1's BaseSettings (the
dialogue environment, where Rasa 3.6 pins pydantic 1):

    class Settings(ServiceSettings, env_prefix="NLU_", env_nested_delimiter="__", extra="forbid"):
        grpc: GrpcSettings = GrpcSettings(port=50051)

An environment variable with the service's prefix that names no field (``NLU_KAFKA__BOOTSTRAP_SERVER``
for ``NLU_KAFKA__BOOTSTRAP_SERVERS``) is an error, not silently ignored.
"""

from __future__ import annotations

import difflib
import os
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr

try:  # pydantic 2
    from pydantic_settings import BaseSettings

    PYDANTIC_V2 = True
except ImportError:  # pydantic 1 ships BaseSettings itself
    from pydantic import BaseSettings  # type: ignore[no-redef,attr-defined]

    PYDANTIC_V2 = False

__all__ = [
    "BaseSettings",
    "GrpcSettings",
    "HttpSettings",
    "KafkaSettings",
    "LogSettings",
    "MongoSettings",
    "SecretStr",
    "ServiceSettings",
    "TelemetrySettings",
    "UnknownSettingError",
    "known_variables",
    "load_settings",
    "public_dump",
]


class KafkaSettings(BaseModel):
    """How to reach the Kafka cluster and how patient to be with it."""

    bootstrap_servers: str = Field("127.0.0.1:9092", description="comma-separated host:port list")
    client_id_prefix: str = Field("switchboard", description="prefix of every client id")
    max_poll_records: int = Field(100, ge=1, description="records fetched per poll and partition batch")
    handler_attempts: int = Field(3, ge=1, description="tries per record before it goes to the DLQ")
    retry_backoff_ms: int = Field(200, ge=0, description="first retry delay, doubled per attempt")
    stall_after_s: float = Field(30.0, gt=0, description="lag without progress for this long => not ready")
    request_timeout_ms: int = Field(15000, ge=1000)


class MongoSettings(BaseModel):
    """The MongoDB-wire database (FerretDB locally, MongoDB in production)."""

    uri: str = Field("mongodb://127.0.0.1:27017/", description="any MongoDB URI")
    database: str = Field("switchboard")
    # Short timeouts: a blocked driver call must fail fast, never freeze a service for 30 s.
    timeout_ms: int = Field(3000, ge=100, description="server selection, connect and socket timeout")


class HttpSettings(BaseModel):
    """The HTTP server every service runs for /healthz, /readyz, /metrics (and its own routes)."""

    host: str = Field("127.0.0.1", description="bind address; 0.0.0.0 in containers")
    port: int = Field(8080, ge=0, le=65535)


class GrpcSettings(BaseModel):
    """A gRPC server (health service always included)."""

    host: str = Field("127.0.0.1")
    port: int = Field(50051, ge=0, le=65535)
    shutdown_grace_s: float = Field(5.0, ge=0)


class TelemetrySettings(BaseModel):
    """Where spans go: nowhere, an OTLP collector, or a JSON-lines file (tests, local runs)."""

    exporter: Literal["none", "otlp", "jsonl"] = "none"
    otlp_endpoint: str = Field("http://127.0.0.1:4317")
    jsonl_path: str = Field("", description="file the jsonl exporter appends spans to")


class LogSettings(BaseModel):
    """Structured logging; JSON for machines, console rendering for people."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "console"] = "json"


class UnknownSettingError(ValueError):
    """Environment variables carry the settings prefix but name no setting (a typo, or a removed one)."""

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        self.unknown = unknown
        self.known = known
        named = ", ".join(f"{name}{_did_you_mean(name, known)}" for name in unknown)
        super().__init__(
            f"unknown setting{'s' if len(unknown) > 1 else ''} {named}; "
            f"the variables this service reads are: {', '.join(known)}"
        )


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses add theirs and set ``env_prefix``.

    Building one raises :class:`UnknownSettingError` when the environment holds a prefixed
    variable that names no field, top-level or nested.
    """

    def __init__(self, **values: Any) -> None:
        reject_unknown_variables(type(self), os.environ)
        super().__init__(**values)

    kafka: KafkaSettings = KafkaSettings()
    mongo: MongoSettings = MongoSettings()
    http: HttpSettings = HttpSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    log: LogSettings = LogSettings()
    drain_timeout_s: float = Field(20.0, gt=0, description="how long SIGTERM waits for work in flight")


def reject_unknown_variables(cls: type[BaseModel], environ: Mapping[str, str]) -> None:
    """Raises :class:`UnknownSettingError` for prefixed variables in ``environ`` that ``cls`` does not read."""
    prefix = _config(cls, "env_prefix").upper()
    if not prefix:
        return
    known = known_variables(cls)
    unknown = sorted(name.upper() for name in environ if name.upper().startswith(prefix) and name.upper() not in known)
    if unknown:
        raise UnknownSettingError(unknown, sorted(known))


def known_variables(cls: type[BaseModel]) -> set[str]:
    """Every environment variable ``cls`` reads: one per field, and one per field of a nested model."""
    prefix = _config(cls, "env_prefix").upper()
    delimiter = _config(cls, "env_nested_delimiter")
    return {prefix + "".join(path).upper() for path in _field_paths(cls, delimiter)}


def _field_paths(model: type[BaseModel], delimiter: str) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, annotation in _field_types(model).items():
        paths.append((name,))
        nested = _nested_model(annotation)
        if nested is not None and delimiter:
            paths += [(name, delimiter, *inner) for inner in _field_paths(nested, delimiter)]
    return paths


def _field_types(model: type[BaseModel]) -> dict[str, Any]:
    if PYDANTIC_V2:
        return {name: field.annotation for name, field in model.model_fields.items()}
    return {name: field.outer_type_ for name, field in model.__fields__.items()}


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside ``annotation`` (itself, or the model of an optional), if any."""
    for candidate in (annotation, *typing.get_args(annotation)):
        # ``list[str]`` passes isinstance(..., type) on Python 3.10 but is no class issubclass accepts.
        if isinstance(candidate, type) and not typing.get_args(candidate) and issubclass(candidate, BaseModel):
            return candidate
    return None


def public_dump(settings: BaseModel) -> dict[str, Any]:
    """The resolved settings with secrets masked, fit to be logged once at start-up."""
    raw = settings.model_dump() if PYDANTIC_V2 else settings.dict()
    return _mask(raw)


def _mask(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "**********"
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(item) for item in value]
    return value


def load_settings(cls: type[ServiceSettings]) -> ServiceSettings:
    """Builds ``cls`` from the environment; on a bad value, exits with a message naming the variable."""
    from pydantic import ValidationError

    try:
        return cls()
    except UnknownSettingError as error:
        raise SystemExit(f"invalid configuration for {cls.__module__}.{cls.__name__}: {error}") from None
    except ValidationError as error:
        prefix = _config(cls, "env_prefix")
        lines = [f"invalid configuration for {cls.__module__}.{cls.__name__} (environment prefix {prefix}):"]
        for item in error.errors():
            path = "__".join(str(part) for part in item["loc"]).upper()
            lines.append(f"  {prefix}{path}: {item['msg']}")
        raise SystemExit("\n".join(lines)) from None


def _config(cls: type[BaseModel], key: str) -> str:
    """A settings class's configuration value (``env_prefix``, ``env_nested_delimiter``), "" when unset."""
    value = cls.model_config.get(key) if PYDANTIC_V2 else getattr(getattr(cls, "__config__", None), key, None)
    return str(value or "")
