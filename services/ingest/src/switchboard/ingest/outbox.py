"""The outbox: one document per reply id in ``deliveries``; whoever claims it first is the one who sends.

A claim is written *before* the send, so a restart between sending and committing the Kafka offset
finds the claim and never sends twice (a crash between claim and send leaves the reply ``claimed``,
not ``sent``: visible to operators, never doubled). Replies a later request will pick up (the phone's
next webhook, a web chat reconnect) are parked as ``pending`` and claimed from there.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from pymongo import ReturnDocument
from pymongo.collection import Collection

from switchboard.core import mongo
from switchboard.core.contracts import ReplyReady
from switchboard.core.logs import get_logger

log = get_logger(__name__)

PENDING = "pending"


def citations_of(reply: ReplyReady) -> list[dict[str, str]]:
    """The knowledge-base passages ``reply`` cites, as customers are shown them: title and source, no score."""
    return [{"title": c.title, "source": c.source} for c in reply.citations]


def reply_document(reply: ReplyReady, status: str) -> dict:
    envelope = reply.envelope
    return {
        "_id": envelope.event_id,
        "tenant_id": envelope.tenant_id,
        "conversation_id": envelope.conversation_id,
        "causation_id": envelope.causation_id,
        "in_reply_to": reply.in_reply_to,
        "channel": envelope.channel,
        "text": reply.text,
        "quick_replies": [{"title": q.title, "payload": q.payload} for q in reply.quick_replies],
        "agent_name": reply.agent_name,
        "source": reply.source,
        "language": reply.language,
        "citations": citations_of(reply),
        "voice_transfer": reply.hints.voice_transfer,
        "sequence": reply.sequence,
        "sequence_count": reply.sequence_count,
        "status": status,
        "created_at": datetime.now(timezone.utc),
    }


@dataclass(frozen=True, slots=True)
class Outbox:
    collection: Collection

    def ensure_indexes(self) -> None:
        self.collection.create_index("causation_id")
        self.collection.create_index("conversation_id")

    async def claim(self, reply: ReplyReady, status: str) -> bool:
        """Takes ``reply`` for sending (new, or parked as pending); False when someone else has it."""
        if await asyncio.to_thread(mongo.insert_once, self.collection, reply_document(reply, status)):
            return True
        return await self.claim_id(reply.envelope.event_id, status) is not None

    async def claim_id(self, reply_id: str, status: str) -> dict | None:
        """Moves a pending reply to ``status``; its document when this call did it."""
        return await asyncio.to_thread(
            self.collection.find_one_and_update,
            {"_id": reply_id, "status": PENDING},
            {"$set": {"status": status, "claimed_at": datetime.now(timezone.utc)}},
            return_document=ReturnDocument.AFTER,
        )

    async def park(self, reply: ReplyReady) -> bool:
        """Stores ``reply`` for a later request to claim; False when it is already known."""
        return await asyncio.to_thread(mongo.insert_once, self.collection, reply_document(reply, PENDING))

    async def mark(self, reply_id: str, status: str, **details: object) -> None:
        await asyncio.to_thread(self.collection.update_one, {"_id": reply_id}, {"$set": {"status": status, **details}})

    async def answered(self, causation_id: str) -> bool:
        """Whether any reply to ``causation_id`` is already recorded (claimed, parked or sent)."""
        found = await asyncio.to_thread(self.collection.find_one, {"causation_id": causation_id}, {"_id": 1})
        return found is not None

    async def pending_in(self, tenant_id: str, conversation_id: str) -> list[dict]:
        """Parked replies of a conversation nobody has taken yet, oldest first."""
        cursor = self.collection.find({"tenant_id": tenant_id, "conversation_id": conversation_id, "status": PENDING})
        return await asyncio.to_thread(lambda: sorted(cursor, key=lambda d: (d["created_at"], d["sequence"])))

    async def history(self, tenant_id: str, conversation_id: str, limit: int = 100) -> list[dict]:
        """The replies of a conversation, oldest first."""
        cursor = self.collection.find({"tenant_id": tenant_id, "conversation_id": conversation_id})
        documents = await asyncio.to_thread(lambda: list(cursor.sort("created_at", -1).limit(limit)))
        return documents[::-1]
