"""Signed console sessions: who is logged in, for which tenant and team, until when.

The cookie is a signed token (``switchboard.core.signing``); the server trusts nothing from a request
but a cookie whose signature checks and whose expiry has not passed. Every query takes the tenant
and team from here, never from the request.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from switchboard.core.signing import InvalidToken, sign, verify

COOKIE = "sb_console"


@dataclass(frozen=True, slots=True)
class Session:
    tenant_id: str
    agent_id: str
    role: str
    team: str
    expires: int


class SessionSigner:
    """Issues and verifies session cookies with one key (a random one when none is configured)."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        self._key = secret or secrets.token_hex(32)
        self._ttl_s = ttl_s

    def issue(self, *, tenant_id: str, agent_id: str, role: str, team: str) -> str:
        fields = {"tenant_id": tenant_id, "agent_id": agent_id, "role": role, "team": team}
        return sign(fields, key=self._key, expires_at=int(time.time()) + self._ttl_s)

    def verify(self, cookie: str | None) -> Session | None:
        try:
            claims = verify(cookie, key=self._key)
            return Session(claims["tenant_id"], claims["agent_id"], claims["role"], claims["team"], claims.expires_at)
        except InvalidToken:
            return None
