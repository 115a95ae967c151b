"""Fault tickets, stored in MongoDB before the customer hears their number.

Configured by ``BROADBAND_MONGO_URI`` (default ``mongodb://127.0.0.1:27017/``) and
``BROADBAND_MONGO_DATABASE`` (default ``switchboard``), collection ``broadband_tickets``. A ticket's id
derives from the conversation and the customer message that asked for it, and is written with an
upsert: the dialogue service retries a turn whose action failed, and a retried turn finds its ticket
instead of opening a second one. When the database does not answer, the write raises, so the action
fails and no ticket number is ever given for a ticket that was not stored.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pymongo import MongoClient
from pymongo.collection import Collection

COLLECTION = "broadband_tickets"
# Well inside the dialogue service's action timeout (2 s by default): a dead database fails the action.
TIMEOUT_MS = 1500


@dataclass(frozen=True, slots=True)
class FaultTicket:
    """A fault reported on one account."""

    ticket_id: str
    account_id: str
    conversation_id: str
    message_id: str
    opened_at: datetime


def ticket_id_for(conversation_id: str, message_id: str) -> str:
    """The same id for the same request, however often the turn runs: ``FT`` and 8 hex digits."""
    digest = hashlib.sha256(f"{conversation_id}\0{message_id}".encode()).hexdigest()
    return f"FT{digest[:8].upper()}"


@lru_cache(maxsize=1)
def _collection() -> Collection:
    client: MongoClient = MongoClient(
        os.environ.get("BROADBAND_MONGO_URI") or "mongodb://127.0.0.1:27017/",
        serverSelectionTimeoutMS=TIMEOUT_MS,
        connectTimeoutMS=TIMEOUT_MS,
        socketTimeoutMS=TIMEOUT_MS,
    )
    return client[os.environ.get("BROADBAND_MONGO_DATABASE") or "switchboard"][COLLECTION]


def open_ticket(account_id: str, conversation_id: str, message_id: str, now: datetime) -> FaultTicket:
    """Stores the ticket (or finds the one this request already opened); raises when the database fails."""
    ticket_id = ticket_id_for(conversation_id, message_id)
    collection = _collection()
    collection.update_one(
        {"_id": ticket_id},
        {
            "$setOnInsert": {
                "account_id": account_id,
                "conversation_id": conversation_id,
                "message_id": message_id,
                "status": "open",
                "opened_at": now.isoformat(),
            }
        },
        upsert=True,
    )
    stored = collection.find_one({"_id": ticket_id}) or {}
    return FaultTicket(
        ticket_id,
        str(stored.get("account_id", account_id)),
        conversation_id,
        message_id,
        datetime.fromisoformat(str(stored.get("opened_at", now.isoformat()))),
    )
