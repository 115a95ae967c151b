"""Signed, expiring tokens: text claims and an expiry, base64url JSON followed by its hex HMAC-SHA256.

Web chat session tokens and agent console cookies are both these. ``verify`` compares signatures in
constant time and answers anything it cannot accept with ``InvalidToken``, never another exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from switchboard.core.errors import PermanentError

MAX_TOKEN_CHARS = 4096
EXPIRY = "exp"
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


class InvalidToken(PermanentError):
    """A token that is malformed, forged, signed with another key, or expired (``ExpiredToken``)."""


class ExpiredToken(InvalidToken):
    """A token whose signature checks but whose expiry has passed."""


@dataclass(frozen=True)
class Claims:
    """What a token says: its text fields and when it stops being valid (Unix seconds)."""

    fields: Mapping[str, str]
    expires_at: int

    def __getitem__(self, name: str) -> str:
        try:
            return self.fields[name]
        except KeyError:
            raise InvalidToken(f"the token names no {name!r}") from None


KeyFor = Callable[[Claims], str | None]


def sign(fields: Mapping[str, str], *, key: str, expires_at: int) -> str:
    """A token holding ``fields`` until ``expires_at``, signed with ``key``."""
    if not key:
        raise ValueError("a signing key must not be empty")
    if EXPIRY in fields:
        raise ValueError(f"{EXPIRY!r} is the token's expiry, not a field")
    claims = json.dumps({**fields, EXPIRY: int(expires_at)}, separators=(",", ":"), ensure_ascii=False)
    body = base64.urlsafe_b64encode(claims.encode("utf-8")).decode("ascii")
    return f"{body}.{_signature(key, body)}"


def verify(token: object, *, key: str | KeyFor, now: float | None = None) -> Claims:
    """The claims of a token signed with ``key`` and not yet expired at ``now`` (default: the clock).

    ``key`` may be a function of the claims, for a key per tenant: it sees them before the signature
    is checked, and answers None (or an empty key) when it knows no key for them.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidToken("not a signed token")
    body, signature = token.split(".")
    if not _SIGNATURE.match(signature):
        raise InvalidToken("not a signed token")
    claims = _decode(body)
    secret = key(claims) if callable(key) else key
    if not secret:
        raise InvalidToken("no key for this token")
    if not hmac.compare_digest(signature, _signature(secret, body)):
        raise InvalidToken("the signature does not match")
    if claims.expires_at <= (time.time() if now is None else now):
        raise ExpiredToken("the token has expired")
    return claims


def _decode(body: str) -> Claims:
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode("ascii")))
    except (ValueError, RecursionError):
        raise InvalidToken("not a signed token") from None
    if not isinstance(data, dict):
        raise InvalidToken("the claims are not an object")
    expires_at = data.pop(EXPIRY, None)
    if not isinstance(expires_at, int) or isinstance(expires_at, bool):
        raise InvalidToken("the token has no expiry")
    if not all(isinstance(value, str) for value in data.values()):
        raise InvalidToken("a claim is not text")
    return Claims(data, expires_at)


def _signature(key: str, body: str) -> str:
    return hmac.new(key.encode("utf-8"), body.encode("ascii"), hashlib.sha256).hexdigest()
