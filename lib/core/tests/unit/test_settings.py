"""Settings load from prefixed environment variables, reject unknown ones, and never show secrets."""

from __future__ import annotations

import pytest

from switchboard.core.settings import SecretStr, ServiceSettings, load_settings, public_dump


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


def test_a_bad_value_exits_with_the_variable_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_HTTP__PORT", "not-a-port")
    with pytest.raises(SystemExit) as exit_info:
        load_settings(DemoSettings)
    assert "DEMO_HTTP__PORT" in str(exit_info.value)


def test_secrets_are_masked_in_the_startup_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_API_SECRET", "s3cr3t-值")
    settings = DemoSettings()
    assert settings.api_secret.get_secret_value() == "s3cr3t-值"
    dumped = public_dump(settings)
    assert "s3cr3t" not in repr(dumped)
    assert dumped["kafka"]["bootstrap_servers"] == "127.0.0.1:9092"
