"""Sends the evaluation set through a running stack: REST webhook per item and turn, NLU /model/parse per text,
and the intent the dialogue acted on (after its question-or-task arbitration) read back from its tracker."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass

import aiohttp
import pymongo

from bench.quality import scoring
from bench.quality.evalset import Conversation, EmotionCase, Item
from bench.quality.stack import Stack

REST_KEY = "demo-rest-api-key"  # the demo tenant's public REST key, tenants/demo/channels.yaml
TENANT = "demo"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    latency_ms: float


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: Item
    reply: Reply
    intent: str  # NLU's reading
    acted_intent: str = ""  # what the dialogue acted on; "" when its tracker could not be read


@dataclass(frozen=True, slots=True)
class TurnResult:
    text: str
    reply: Reply
    intent: str
    expected_intent: str | None
    facts: tuple[str, ...]
    asks: str
    acted_intent: str = ""


@dataclass(frozen=True, slots=True)
class ConversationResult:
    conversation: Conversation
    turns: tuple[TurnResult, ...]
    completed_at: int | None  # 1-based turn whose reply showed the outcome


@dataclass(frozen=True, slots=True)
class EmotionResult:
    case: EmotionCase
    label: str


class Client:
    """The stack's customer-facing REST webhook and the NLU parse endpoint."""

    def __init__(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        self._stack = stack
        self._http = http
        self._mongo: pymongo.MongoClient | None = None

    async def say(self, sender: str, text: str) -> Reply:
        started = time.perf_counter()
        async with self._http.post(
            self._stack.url("ingest", "/webhooks/rest/webhook"),
            json={"sender": sender, "message": text, "metadata": {"message_id": uuid.uuid4().hex}},
            headers={"Authorization": f"Bearer {REST_KEY}"},
        ) as response:
            body = await response.json(content_type=None) if response.status == 200 else []
        latency_ms = (time.perf_counter() - started) * 1000
        texts = [message.get("text") or "" for message in body if isinstance(message, dict)]
        return Reply("\n".join(text for text in texts if text), latency_ms)

    async def parse(self, text: str) -> dict:
        async with self._http.post(
            self._stack.url("nlu", "/model/parse"), json={"text": text, "tenant": TENANT}
        ) as response:
            return await response.json(content_type=None) if response.status == 200 else {}

    async def intent(self, text: str) -> str:
        return ((await self.parse(text)).get("intent") or {}).get("name") or ""

    async def acted_intent(self, sender: str, text: str) -> str:
        """The intent of the dialogue's latest user turn with ``text`` in ``sender``'s conversation; "" when
        the stores do not say (a tree that keeps them otherwise)."""
        return await asyncio.to_thread(self._acted_intent, sender, text)

    def _acted_intent(self, sender: str, text: str) -> str:
        database = self._database()
        identity = database["customer_identities"].find_one({"_id": f"{TENANT}/web:{sender}"})
        if identity is None:
            return ""
        said = database["transcript"].find_one(
            {"customer_id": identity["customer_id"], "speaker": "customer"}, {"conversation_id": 1}
        )
        tracker = said and database["dialogue_trackers"].find_one({"_id": f"{TENANT}/{said['conversation_id']}"})
        for serialized in reversed((tracker or {}).get("window") or []):
            event = json.loads(serialized)
            if event.get("event") == "user" and event.get("text") == text:
                return ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        return ""

    def _database(self):
        if self._mongo is None:
            self._mongo = pymongo.MongoClient(self._stack.infra.mongo)
        return self._mongo[self._stack.database]


async def run_items(client: Client, items: list[Item]) -> list[ItemResult]:
    results = []
    for item in items:
        sender = f"quality-{item.id}-{uuid.uuid4().hex[:6]}"
        reply = await client.say(sender, item.text)
        acted = await client.acted_intent(sender, item.text) if item.intent else ""
        results.append(ItemResult(item, reply, await client.intent(item.text), acted))
    return results


async def run_conversation(client: Client, conversation: Conversation) -> ConversationResult:
    sender = f"quality-{conversation.id}-{uuid.uuid4().hex[:6]}"
    turns: list[TurnResult] = []
    completed_at = None
    for turn in conversation.turns:
        reply = await client.say(sender, turn.text)
        intent = await client.intent(turn.text) if turn.intent else ""
        acted = await client.acted_intent(sender, turn.text) if turn.intent else ""
        turns.append(TurnResult(turn.text, reply, intent, turn.intent, turn.facts, turn.asks, acted))
        if scoring.reached(conversation.outcome, reply.text):
            completed_at = len(turns)
            break
    return ConversationResult(conversation, tuple(turns), completed_at)


async def run_emotions(client: Client, cases: list[EmotionCase]) -> list[EmotionResult]:
    results = []
    for case in cases:
        emotion = (await client.parse(case.text)).get("emotion") or {}
        results.append(EmotionResult(case, emotion.get("label", "")))
    return results
