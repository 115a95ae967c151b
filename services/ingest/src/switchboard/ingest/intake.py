"""The one path every channel's customer message takes: check, identify, deduplicate, publish.

The dedup record (``inbound_messages``, ``_id`` = tenant/channel/channel message id) is written
before the event is published and keeps the event, so a retried request gets the *same* event id
back (and waits for the same replies) instead of producing a second message.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bson import Binary
from pymongo.collection import Collection

from switchboard.core import mongo
from switchboard.core.contracts import Attachment, ChannelIds, MessageReceived, new_envelope
from switchboard.core.logs import get_logger
from switchboard.ingest.errors import RejectedRequest
from switchboard.ingest.identity import Customers, Identity
from switchboard.ingest.limits import RateLimiter
from switchboard.ingest.reply_hub import ReplyHub, Watch
from switchboard.ingest.settings import LimitSettings

log = get_logger(__name__)

_CONVERSATION_NAMESPACE = uuid.UUID("0b6c3f1e-4a8d-4d4e-9c1f-2f6a7c9e5d13")
# A dedup record whose event was never published (the process died in between) is published again
# by a retry that comes at least this late; earlier retries are concurrent with the first attempt.
_REPUBLISH_AFTER = timedelta(seconds=10)

Publish = Callable[[MessageReceived], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Inbound:
    """What a channel adapter read from one request, before it becomes an event."""

    tenant_id: str
    channel: int
    dedup_key: str
    identities: tuple[Identity, ...]
    text: str = ""
    dtmf_digits: str = ""
    language_hint: str = ""
    conversation_id: str = ""
    channel_ids: ChannelIds = field(default_factory=ChannelIds)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Accepted:
    message: MessageReceived
    duplicate: bool
    received_at: datetime
    # Replies to this message arriving on this replica (only inside ``Intake.accepting``).
    watch: Watch | None = None


def conversation_for(tenant_id: str, channel: int, identity: Identity) -> str:
    """The conversation of a customer on a channel that has no session of its own (WeChat, phone, REST)."""
    return str(uuid.uuid5(_CONVERSATION_NAMESPACE, f"{tenant_id}/{channel}/{identity.kind}:{identity.value}"))


class Intake:
    """Checks, identifies, deduplicates and publishes customer messages; keeps them for history."""

    def __init__(
        self,
        collection: Collection,
        customers: Customers,
        limiter: RateLimiter,
        limits: LimitSettings,
        publish: Publish,
        hub: ReplyHub,
    ) -> None:
        self._hub = hub
        self._collection = collection
        self._customers = customers
        self._limiter = limiter
        self._limits = limits
        self._publish = publish

    def ensure_indexes(self) -> None:
        self._collection.create_index("event_id")
        self._collection.create_index("conversation_id")

    @asynccontextmanager
    async def accepting(self, inbound: Inbound) -> AsyncIterator[Accepted]:
        """``accept`` with a watch on the message's replies, attached before it is published."""
        watch = Watch()
        attached: list[str] = []
        try:
            yield await self.accept(inbound, watch, attached)
        finally:
            for event_id in attached:
                self._hub.detach(event_id, watch)

    async def accept(self, inbound: Inbound, watch: Watch | None = None, attached: list[str] | None = None) -> Accepted:
        """Publishes ``inbound`` once; a retry of the same channel message returns the first event."""
        if not (inbound.text.strip() or inbound.dtmf_digits or inbound.attachments):
            raise RejectedRequest(400, "the message has no text")
        if len(inbound.text) > self._limits.max_text_chars:
            raise RejectedRequest(413, f"text longer than {self._limits.max_text_chars} characters")
        if "\x00" in inbound.text:
            raise RejectedRequest(400, "the text contains a NUL character")
        key = f"{inbound.tenant_id}/{inbound.channel}/{inbound.dedup_key}"
        existing = await asyncio.to_thread(self._collection.find_one, {"_id": key})
        if existing is not None:
            return await self._duplicate(existing, watch, attached)
        self._limiter.take(inbound.tenant_id, inbound.identities[0].key(inbound.tenant_id))
        customer_id = await self._customers.resolve(inbound.tenant_id, *inbound.identities)
        conversation_id = inbound.conversation_id or conversation_for(
            inbound.tenant_id, inbound.channel, inbound.identities[0]
        )
        message = MessageReceived(
            envelope=new_envelope(
                tenant_id=inbound.tenant_id,
                conversation_id=conversation_id,
                customer_id=customer_id,
                channel=inbound.channel,
            ),
            text=inbound.text,
            dtmf_digits=inbound.dtmf_digits,
            language_hint=inbound.language_hint,
            channel_ids=inbound.channel_ids,
            attachments=list(inbound.attachments),
        )
        received_at = datetime.now(timezone.utc)
        document = {
            "_id": key,
            "event_id": message.envelope.event_id,
            "tenant_id": inbound.tenant_id,
            "conversation_id": conversation_id,
            "channel": inbound.channel,
            "text": inbound.text,
            "message": Binary(message.SerializeToString()),
            "received_at": received_at,
            "published": False,
        }
        if not await asyncio.to_thread(mongo.insert_once, self._collection, document):
            raced = await asyncio.to_thread(self._collection.find_one, {"_id": key})
            return await self._duplicate(raced, watch, attached)
        self._attach(message.envelope.event_id, watch, attached)
        await self._publish_and_mark(key, message)
        log.info("channel.message.received", channel=inbound.channel, conversation_id=conversation_id)
        return Accepted(message, duplicate=False, received_at=received_at, watch=watch)

    def _attach(self, event_id: str, watch: Watch | None, attached: list[str] | None) -> None:
        if watch is not None and attached is not None:
            self._hub.attach(event_id, watch)
            attached.append(event_id)

    async def _duplicate(self, document: dict, watch: Watch | None, attached: list[str] | None) -> Accepted:
        message = MessageReceived.FromString(bytes(document["message"]))
        self._attach(message.envelope.event_id, watch, attached)
        received_at = document["received_at"]
        if not document.get("published") and datetime.now(timezone.utc) - received_at > _REPUBLISH_AFTER:
            await self._publish_and_mark(document["_id"], message)
        log.info("channel.message.duplicate_ignored", conversation_id=message.envelope.conversation_id)
        return Accepted(message, duplicate=True, received_at=received_at, watch=watch)

    async def _publish_and_mark(self, key: str, message: MessageReceived) -> None:
        await self._publish(message)
        await asyncio.to_thread(self._collection.update_one, {"_id": key}, {"$set": {"published": True}})

    async def received(self, event_id: str) -> tuple[MessageReceived, datetime] | None:
        """The customer message with ``event_id`` and when it arrived (None if not from this service)."""
        document = await asyncio.to_thread(self._collection.find_one, {"event_id": event_id})
        if document is None:
            return None
        return MessageReceived.FromString(bytes(document["message"])), document["received_at"]

    async def history(self, tenant_id: str, conversation_id: str, limit: int = 100) -> list[dict]:
        """The customer's messages of a conversation, oldest first."""
        cursor = self._collection.find(
            {"tenant_id": tenant_id, "conversation_id": conversation_id},
            {"message": 1, "received_at": 1},
        )
        documents = await asyncio.to_thread(lambda: list(cursor.sort("received_at", -1).limit(limit)))
        return documents[::-1]
