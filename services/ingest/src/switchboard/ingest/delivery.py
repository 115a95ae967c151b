"""Outbound delivery: each reply event is delivered at most once, keyed by its event id."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from pymongo.collection import Collection

from switchboard.core import mongo
from switchboard.core.contracts import ReplyReady
from switchboard.core.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryLog:
    """The record of replies handed to a channel; its ``_id`` is the reply's event id."""

    collection: Collection

    async def deliver(self, reply: ReplyReady) -> bool:
        """Records ``reply`` as delivered; False when it already was (a redelivered record)."""
        envelope = reply.envelope
        document = {
            "_id": envelope.event_id,
            "tenant_id": envelope.tenant_id,
            "conversation_id": envelope.conversation_id,
            "causation_id": envelope.causation_id,
            "channel": envelope.channel,
            "sequence": reply.sequence,
            "delivered_at": datetime.now(timezone.utc),
        }
        inserted = await asyncio.to_thread(mongo.insert_once, self.collection, document)
        log.info(
            "channel.reply.delivered" if inserted else "channel.reply.duplicate_ignored",
            tenant_id=envelope.tenant_id,
            conversation_id=envelope.conversation_id,
            event_id=envelope.event_id,
        )
        return inserted
