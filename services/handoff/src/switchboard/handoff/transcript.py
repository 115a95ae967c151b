"""The cross-channel transcript agents read: every customer message and every reply, once.

Entries are keyed by event id, so a redelivered event is recorded once. A customer message is
written from ``conversation.inbound.v1`` and annotated from ``conversation.understood.v1``
(emotion, intent, entities) with upserts on the same ``_id``, whichever arrives first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from switchboard.core import mongo
from switchboard.core.contracts import EmotionLabel, MessageReceived, MessageUnderstood, ReplyReady, ReplySource
from switchboard.core.language import from_wire
from switchboard.handoff.rules import CHANNEL_NAMES


def _base(envelope: Any) -> dict[str, Any]:
    return {
        "tenant_id": envelope.tenant_id,
        "conversation_id": envelope.conversation_id,
        "customer_id": envelope.customer_id,
        "channel": CHANNEL_NAMES.get(envelope.channel, ""),
        "at": envelope.created_at.ToDatetime(),
    }


@dataclass(frozen=True, slots=True)
class Transcript:
    """Transcript entries of every conversation, readable per conversation and per customer."""

    collection: Collection

    def ensure_indexes(self) -> None:
        self.collection.create_index([("tenant_id", ASCENDING), ("conversation_id", ASCENDING), ("at", ASCENDING)])
        self.collection.create_index([("tenant_id", ASCENDING), ("customer_id", ASCENDING), ("at", ASCENDING)])

    async def record_reply(self, reply: ReplyReady) -> bool:
        if reply.partial:
            return False
        document = {
            "_id": reply.envelope.event_id,
            **_base(reply.envelope),
            "speaker": "agent" if reply.agent_name else "bot",
            "source": ReplySource.Name(reply.source).removeprefix("REPLY_SOURCE_").lower(),
            "agent_name": reply.agent_name,
            "text": reply.text,
            # The knowledge-base passages the answer rests on (entries written before have none) and
            # the language it is written in.
            "citations": [{"title": c.title, "source": c.source} for c in reply.citations],
            "language": from_wire(reply.language),
        }
        return await asyncio.to_thread(mongo.insert_once, self.collection, document)

    async def record_customer(self, message: MessageReceived) -> None:
        fields = {**_base(message.envelope), "speaker": "customer", "text": message.text or message.dtmf_digits}
        await asyncio.to_thread(
            self.collection.update_one, {"_id": message.envelope.event_id}, {"$set": fields}, upsert=True
        )

    async def record_understanding(self, event: MessageUnderstood, fact_entities: Iterable[str]) -> dict[str, Any]:
        """Annotates the customer message ``event`` read; returns the annotation. Its entities named in
        ``fact_entities`` (the tenant's: ``ProjectProfile.fact_entities``) are the facts agents see."""
        understanding = event.understanding
        wanted = frozenset(fact_entities)
        facts = {e.entity: e.value for e in understanding.entities if e.entity in wanted}
        annotation = {
            "intent": understanding.intent.name,
            "emotion": EmotionLabel.Name(understanding.emotion.label).removeprefix("EMOTION_LABEL_"),
            "emotion_score": round(float(understanding.emotion.score), 3),
            "facts": facts,
        }
        message = event.message
        fields = {**_base(message.envelope), "speaker": "customer", "text": message.text or message.dtmf_digits}
        await asyncio.to_thread(
            self.collection.update_one,
            {"_id": message.envelope.event_id},
            {"$set": annotation, "$setOnInsert": fields},
            upsert=True,
        )
        return annotation

    def history(self, tenant_id: str, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The customer's latest entries on every channel, oldest first."""
        cursor = self.collection.find({"tenant_id": tenant_id, "customer_id": customer_id}).sort("at", -1).limit(limit)
        return list(reversed(list(cursor)))

    def conversation(self, tenant_id: str, conversation_id: str, limit: int = 200) -> list[dict[str, Any]]:
        cursor = (
            self.collection.find({"tenant_id": tenant_id, "conversation_id": conversation_id})
            .sort("at", -1)
            .limit(limit)
        )
        return list(reversed(list(cursor)))
