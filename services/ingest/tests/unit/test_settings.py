"""Ingest settings: HTTP on 8080 unless INGEST_HTTP__PORT says otherwise."""

import pytest

from switchboard.ingest.settings import Settings


def test_default_and_overridden_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().http.port == 8080
    monkeypatch.setenv("INGEST_HTTP__PORT", "18080")
    assert Settings().http.port == 18080
