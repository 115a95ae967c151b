"""Bad-input guards shared by every channel: body size (413) and per-customer / per-tenant rates (429).

Rates are counted per replica in a sliding one-minute window; with N replicas behind a balancer a
customer gets at most N times the limit, which is what the limit is sized for.
"""

from __future__ import annotations

import time
from collections import deque

from aiohttp import web

from switchboard.ingest.errors import RejectedRequest
from switchboard.ingest.settings import LimitSettings


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, or 413 when it is (or claims to be) larger than ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise RejectedRequest(413, f"body larger than {limit} bytes")
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        raise RejectedRequest(413, f"body larger than {limit} bytes")
    return body


class RateLimiter:
    """Sliding-window counters: a message is allowed when neither its customer nor its tenant is over."""

    def __init__(self, settings: LimitSettings, clock=time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}

    def take(self, tenant_id: str, customer_key: str) -> None:
        """Counts one message; raises 429 (counting nothing) when a limit is reached."""
        now = self._clock()
        customer = self._window(f"c:{tenant_id}/{customer_key}", now)
        tenant = self._window(f"t:{tenant_id}", now)
        if len(customer) >= self._settings.customer_per_minute:
            raise RejectedRequest(429, "too many messages from this customer; try again in a minute")
        if len(tenant) >= self._settings.tenant_per_minute:
            raise RejectedRequest(429, "too many messages for this tenant; try again in a minute")
        customer.append(now)
        tenant.append(now)

    def _window(self, key: str, now: float) -> deque[float]:
        window = self._windows.setdefault(key, deque())
        while window and now - window[0] >= 60.0:
            window.popleft()
        if not window and len(self._windows) > 100_000:
            self._windows = {k: v for k, v in self._windows.items() if v}
            self._windows[key] = window
        return window
