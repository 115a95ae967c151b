"""Web chat session tokens: which tenant, web user and conversation a socket speaks for, until when.

A token is signed (``switchboard.core.signing``) with the tenant's session secret; the socket takes
all three ids from it, never from what the client sends.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from switchboard.core.signing import Claims, InvalidToken, sign, verify
from switchboard.ingest.channel_config import ChannelConfig, WebConfig

TenantLookup = Callable[[str], ChannelConfig | None]


@dataclass(frozen=True, slots=True)
class Session:
    tenant_id: str
    user_id: str
    conversation_id: str
    expires_at: int


def issue_token(config: WebConfig, session: Session) -> str:
    fields = {"t": session.tenant_id, "u": session.user_id, "c": session.conversation_id}
    return sign(fields, key=config.session_secret.get_secret_value(), expires_at=session.expires_at)


def read_token(tenants_get: TenantLookup, token: str, now: float | None = None) -> Session | None:
    """The session a token names, or None when it is malformed, forged, expired or of an unknown tenant."""

    def session_secret(claims: Claims) -> str | None:
        tenant = tenants_get(claims["t"])
        return None if tenant is None or tenant.web is None else tenant.web.session_secret.get_secret_value()

    try:
        claims = verify(token, key=session_secret, now=now)
        return Session(claims["t"], claims["u"], claims["c"], claims.expires_at)
    except InvalidToken:
        return None


def renewed_session(tenants_get: TenantLookup, tenant: ChannelConfig, config: WebConfig, previous: str) -> Session:
    """The session of ``previous`` when it is a valid token of ``tenant``, else a new user and conversation;
    either way valid for the tenant's session lifetime from now."""
    session = read_token(tenants_get, previous) if previous else None
    if session is None or session.tenant_id != tenant.tenant_id:
        session = Session(tenant.tenant_id, f"w-{uuid.uuid4().hex}", str(uuid.uuid4()), 0)
    return Session(session.tenant_id, session.user_id, session.conversation_id, int(time.time()) + config.session_ttl_s)
