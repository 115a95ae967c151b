"""Live updates for open consoles: an in-process fan-out, one set of subscribers per tenant.

A subscriber only ever receives its own tenant's updates (the tenant comes from its session);
each update names the conversation it concerns so the console can filter further. A slow console
loses its oldest updates rather than slowing the service (bounded queues).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

QUEUE_SIZE = 200


class LiveHub:
    """Tenant-scoped fan-out of console updates (``{"type": ..., ...}`` dictionaries)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    @contextmanager
    def subscribe(self, tenant_id: str) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[tenant_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[tenant_id].discard(queue)
            if not self._subscribers[tenant_id]:
                del self._subscribers[tenant_id]

    def push(self, tenant_id: str, update: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(tenant_id, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(update)

    def count(self, tenant_id: str) -> int:
        return len(self._subscribers.get(tenant_id, ()))
