"""Signed console sessions: who is logged in, for which tenant and team, until when.

The cookie holds ``base64(json) + "." + HMAC-SHA256``; the server trusts nothing from a request
but a cookie whose signature checks and whose expiry has not passed. Every query takes the tenant
and team from here, never from the request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

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
        self._key = (secret or secrets.token_hex(32)).encode()
        self._ttl_s = ttl_s

    def issue(self, *, tenant_id: str, agent_id: str, role: str, team: str) -> str:
        session = Session(tenant_id, agent_id, role, team, int(time.time()) + self._ttl_s)
        body = base64.urlsafe_b64encode(json.dumps(asdict(session), separators=(",", ":")).encode()).decode()
        return f"{body}.{self._sign(body)}"

    def verify(self, cookie: str | None) -> Session | None:
        if not cookie or "." not in cookie:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature.encode("utf-8"), self._sign(body).encode()):
            return None
        try:
            session = Session(**json.loads(base64.urlsafe_b64decode(body.encode())))
        except (ValueError, TypeError):
            return None
        return session if session.expires > time.time() else None

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).hexdigest()
