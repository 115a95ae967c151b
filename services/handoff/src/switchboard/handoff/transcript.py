"""The cross-channel transcript agents read: every reply the customer was sent, once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pymongo import ASCENDING
from pymongo.collection import Collection

from switchboard.core import mongo
from switchboard.core.contracts import ReplyReady


@dataclass(frozen=True, slots=True)
class Transcript:
    """Transcript entries keyed by event id, so a redelivered event is recorded once."""

    collection: Collection

    def ensure_indexes(self) -> None:
        self.collection.create_index([("tenant_id", ASCENDING), ("conversation_id", ASCENDING), ("at", ASCENDING)])

    async def record_reply(self, reply: ReplyReady) -> bool:
        envelope = reply.envelope
        document = {
            "_id": envelope.event_id,
            "tenant_id": envelope.tenant_id,
            "conversation_id": envelope.conversation_id,
            "customer_id": envelope.customer_id,
            "speaker": "agent" if reply.agent_name else "bot",
            "text": reply.text,
            "at": envelope.created_at.ToDatetime(),
        }
        return await asyncio.to_thread(mongo.insert_once, self.collection, document)
