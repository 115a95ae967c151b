"""Ingest settings: HTTP on 8080 unless INGEST_HTTP__PORT says otherwise."""

import pytest

from switchboard.ingest.settings import Settings


def test_default_and_overridden_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().http.port == 8080
    monkeypatch.setenv("INGEST_HTTP__PORT", "18080")
    assert Settings().http.port == 18080


def test_waits_and_limits_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_WAIT__REST_S", "2.5")
    monkeypatch.setenv("INGEST_LIMITS__CUSTOMER_PER_MINUTE", "7")
    settings = Settings()
    assert settings.wait.rest_s == 2.5 and settings.limits.customer_per_minute == 7
    monkeypatch.setenv("INGEST_WAIT__WECHAT_PASSIVE_S", "6")
    with pytest.raises(ValueError):
        Settings()  # WeChat gives up at 5 s: a longer passive wait can never be answered
