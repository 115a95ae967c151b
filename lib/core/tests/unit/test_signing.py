"""Signed tokens: what verifies, and every tampered, expired, foreign or garbage token refused."""

from __future__ import annotations

import base64
import time

import pytest

from switchboard.core.signing import MAX_TOKEN_CHARS, Claims, ExpiredToken, InvalidToken, sign, verify

FIELDS = {"tenant_id": "demo", "agent_id": "li.lei", "name": "李雷 🙂"}


def _token(**fields: str) -> str:
    return sign(fields or FIELDS, key="k", expires_at=int(time.time()) + 60)


def _body(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode()


def test_a_token_round_trips_its_fields_and_expiry() -> None:
    expires_at = int(time.time()) + 60
    claims = verify(sign(FIELDS, key="k", expires_at=expires_at), key="k")
    assert claims == Claims(FIELDS, expires_at)
    assert claims["name"] == "李雷 🙂"
    with pytest.raises(InvalidToken):
        claims["team"]


def test_a_key_may_depend_on_the_claims() -> None:
    token = sign({"t": "acme"}, key="acme-key", expires_at=int(time.time()) + 60)
    keys = {"acme": "acme-key", "demo": "demo-key"}
    assert verify(token, key=lambda claims: keys.get(claims["t"]))["t"] == "acme"
    with pytest.raises(InvalidToken):
        verify(sign({"t": "other"}, key="x", expires_at=int(time.time()) + 60), key=lambda c: keys.get(c["t"]))


def test_tampered_tokens_are_refused() -> None:
    token = _token()
    body, signature = token.split(".")
    forged = _body(b'{"tenant_id":"acme","agent_id":"li.lei","name":"x","exp":9999999999}')
    for tampered in (
        f"{forged}.{signature}",
        f"{body[:-2]}xx.{signature}",
        f"{body}.{signature[:-1]}0" if signature[-1] != "0" else f"{body}.{signature[:-1]}1",
        token + "0",
        f"{body}.{signature.upper()}",
    ):
        with pytest.raises(InvalidToken) as refused:
            verify(tampered, key="k")
        assert not isinstance(refused.value, ExpiredToken)


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(InvalidToken, match="signature"):
        verify(_token(), key="other key")
    with pytest.raises(InvalidToken, match="no key"):
        verify(_token(), key=lambda claims: None)


def test_expired_tokens_are_refused() -> None:
    token = _token()
    with pytest.raises(ExpiredToken):
        verify(token, key="k", now=time.time() + 61)
    past = sign(FIELDS, key="k", expires_at=int(time.time()) - 1)
    with pytest.raises(ExpiredToken):
        verify(past, key="k")


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        b"abc.def",
        42,
        "",
        "no-dot",
        "a.b.c",
        "🙂.🙂",
        "\udcff.\udcff",
        "." + "0" * 64,
        "x" * (MAX_TOKEN_CHARS + 1),
        "!!!!." + "0" * 64,
        _body(b"\xff\xfe not utf-8") + "." + "0" * 64,
        _body(b"[" * 3000) + "." + "0" * 64,
        _body(b'["a list"]') + "." + "0" * 64,
        _body(b'{"t": "demo"}') + "." + "0" * 64,
        _body(b'{"t": 1, "exp": 9999999999}') + "." + "0" * 64,
        _body(b'{"exp": true}') + "." + "0" * 64,
        _body(b'{"exp": 1e400}') + "." + "0" * 64,
        _body(b'{"exp": ' + b"9" * 5000 + b"}") + "." + "0" * 64,
    ],
)
def test_garbage_is_refused_with_invalid_token_only(garbage: object) -> None:
    with pytest.raises(InvalidToken):
        verify(garbage, key="k")
    with pytest.raises(InvalidToken):
        verify(garbage, key=lambda claims: "k")


def test_signing_needs_a_key_and_keeps_the_expiry_its_own() -> None:
    with pytest.raises(ValueError):
        sign(FIELDS, key="", expires_at=1)
    with pytest.raises(ValueError):
        sign({"exp": "1"}, key="k", expires_at=1)
