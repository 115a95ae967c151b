"""Handoff settings: HTTP on 8081 by default."""

from switchboard.handoff.settings import Settings


def test_default_port() -> None:
    assert Settings().http.port == 8081
