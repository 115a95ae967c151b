"""Settings load from prefixed environment variables, reject unknown ones, and never show secrets."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from switchboard.core.settings import (
    SecretStr,
    ServiceSettings,
    UnknownSettingError,
    known_variables,
    load_settings,
    public_dump,
)


class DemoSettings(ServiceSettings, env_prefix="DEMO_", env_nested_delimiter="__", extra="forbid"):
    api_secret: SecretStr = SecretStr("change-me")


def test_nested_values_come_from_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_KAFKA__BOOTSTRAP_SERVERS", "broker:19092")
    monkeypatch.setenv("DEMO_HTTP__PORT", "9999")
    monkeypatch.setenv("DEMO_LOG__LEVEL", "WARNING")
    settings = DemoSettings()
    assert settings.kafka.bootstrap_servers == "broker:19092"
    assert settings.http.port == 9999
    assert settings.log.level == "WARNING"
    assert settings.mongo.timeout_ms == 3000


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEMO_HTTP__PORT", "not-a-port"), ("DEMO_LOG__LEVELS", "DEBUG")],
    ids=["bad value", "unknown variable"],
)
def test_a_misconfiguration_exits_at_start_with_the_variable_to_fix(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exit_info:
        load_settings(DemoSettings)
    assert variable in str(exit_info.value)


def test_secrets_are_masked_in_the_startup_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_API_SECRET", "s3cr3t-值")
    settings = DemoSettings()
    assert settings.api_secret.get_secret_value() == "s3cr3t-值"
    dumped = public_dump(settings)
    assert "s3cr3t" not in repr(dumped)
    assert dumped["kafka"]["bootstrap_servers"] == "127.0.0.1:9092"


def test_a_misspelt_nested_variable_is_rejected_with_its_name_and_the_known_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_KAFKA__BOOTSTRAP_SERVER", "broker:19092")
    with pytest.raises(UnknownSettingError) as error:
        DemoSettings()
    assert error.value.unknown == ["DEMO_KAFKA__BOOTSTRAP_SERVER"]
    assert "did you mean DEMO_KAFKA__BOOTSTRAP_SERVERS?" in str(error.value)
    assert "DEMO_HTTP__PORT" in str(error.value)


def test_an_unknown_top_level_variable_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_API_SECRETS", "s3cr3t")
    monkeypatch.setenv("demo_port", "8080")  # case-insensitive, as the variables are read
    with pytest.raises(UnknownSettingError) as error:
        DemoSettings()
    assert error.value.unknown == ["DEMO_API_SECRETS", "DEMO_PORT"]


def test_every_field_and_nested_field_is_a_known_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    known = known_variables(DemoSettings)
    assert {"DEMO_API_SECRET", "DEMO_DRAIN_TIMEOUT_S", "DEMO_KAFKA", "DEMO_KAFKA__BOOTSTRAP_SERVERS"} <= known
    assert "DEMO_KAFKA__BOOTSTRAP_SERVER" not in known
    # Every nested field, set to its default through its variable, is accepted.
    for section, values in public_dump(DemoSettings()).items():
        for key, value in values.items() if isinstance(values, dict) else ():
            monkeypatch.setenv(f"DEMO_{section}__{key}".upper(), str(value))
    monkeypatch.setenv("DEMO_DRAIN_TIMEOUT_S", "7")
    monkeypatch.setenv("OTHER_KAFKA__BOOTSTRAP_SERVER", "another prefix is not ours")
    assert DemoSettings().drain_timeout_s == 7


class _WithList(BaseModel):
    names: list[str] = []


class ListSettings(ServiceSettings, env_prefix="LISTED_", env_nested_delimiter="__", extra="forbid"):
    listed: _WithList = _WithList()


def test_a_nested_model_with_a_list_field_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    # On Python 3.10 list[str] passes isinstance(..., type) and broke the variable check.
    monkeypatch.setenv("LISTED_LOG__LEVEL", "DEBUG")
    assert ListSettings().listed.names == []
