"""Per-replica reply routing: wakes the requests and sockets *this* replica holds.

Every replica reads ``conversation.outbound.v1`` (and ``conversation.handoff.v1``) without a
consumer group, so it sees every reply whichever replica owns the partition in the grouped delivery
consumer. A request that published a customer message watches for replies caused by it; a web
chat socket subscribes to its conversation.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from switchboard.core.contracts import HandoffEvent, ReplyReady

Subscriber = Callable[[ReplyReady | HandoffEvent], Awaitable[None]]


class Watch:
    """The replies to one customer message, as they arrive on this replica."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[ReplyReady] = asyncio.Queue()
        self.replies: dict[str, ReplyReady] = {}

    def complete(self) -> bool:
        finals = [reply for reply in self.replies.values() if not reply.partial]
        return bool(finals) and len(finals) >= max(reply.sequence_count or 1 for reply in finals)

    async def collect(self, timeout_s: float) -> list[ReplyReady]:
        """Final replies that arrived within ``timeout_s``, in sequence order (maybe not all of them)."""
        deadline = time.monotonic() + timeout_s
        while not self.complete():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                reply = await asyncio.wait_for(self.queue.get(), remaining)
            except asyncio.TimeoutError:
                break
            if not reply.partial:
                self.replies.setdefault(reply.envelope.event_id, reply)
        return sorted(self.replies.values(), key=lambda r: r.sequence)


class ReplyHub:
    def __init__(self) -> None:
        self._watches: dict[str, set[Watch]] = defaultdict(set)
        self._subscribers: dict[tuple[str, str], set[Subscriber]] = defaultdict(set)

    def attach(self, causation_id: str, watch: Watch) -> None:
        """Routes the replies to ``causation_id`` to ``watch``; attach *before* publishing the message."""
        self._watches[causation_id].add(watch)

    def detach(self, causation_id: str, watch: Watch) -> None:
        self._watches[causation_id].discard(watch)
        if not self._watches[causation_id]:
            del self._watches[causation_id]

    @contextmanager
    def watch(self, causation_id: str) -> Iterator[Watch]:
        watch = Watch()
        self.attach(causation_id, watch)
        try:
            yield watch
        finally:
            self.detach(causation_id, watch)

    @contextmanager
    def subscribe(self, tenant_id: str, conversation_id: str, subscriber: Subscriber) -> Iterator[None]:
        key = (tenant_id, conversation_id)
        self._subscribers[key].add(subscriber)
        try:
            yield
        finally:
            self._subscribers[key].discard(subscriber)
            if not self._subscribers[key]:
                del self._subscribers[key]

    async def on_reply(self, reply: ReplyReady) -> None:
        # A reply names the customer message it answers; replies made in one step also name it as cause.
        for watch in self._watches.get(reply.in_reply_to or reply.envelope.causation_id, ()):
            watch.queue.put_nowait(reply)
        await self._notify(reply.envelope.tenant_id, reply.envelope.conversation_id, reply)

    async def on_handoff(self, event: HandoffEvent) -> None:
        await self._notify(event.envelope.tenant_id, event.envelope.conversation_id, event)

    async def _notify(self, tenant_id: str, conversation_id: str, event: ReplyReady | HandoffEvent) -> None:
        subscribers = list(self._subscribers.get((tenant_id, conversation_id), ()))
        await asyncio.gather(*(subscriber(event) for subscriber in subscribers), return_exceptions=True)
