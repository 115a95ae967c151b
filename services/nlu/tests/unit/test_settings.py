"""NLU settings: the architecture's default ports, overridable by NLU_* variables."""

import pytest

from switchboard.nlu.settings import Settings


def test_default_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert (settings.http.port, settings.grpc.port) == (8082, 50051)
    monkeypatch.setenv("NLU_GRPC__PORT", "6000")
    assert Settings().grpc.port == 6000


def test_unknown_variables_are_rejected() -> None:
    with pytest.raises(Exception, match="not_a_field"):
        Settings(not_a_field=1)
