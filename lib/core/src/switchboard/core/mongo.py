"""The MongoDB-wire database through pymongo: one client per process, short timeouts.

Documents stay within FerretDB v1's limits so the same code runs on FerretDB and on MongoDB: no
nested arrays, no keys containing ``.`` or starting with ``$``, no transactions, no NUL in strings.
"""

from __future__ import annotations

import asyncio

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from switchboard.core.settings import MongoSettings

__all__ = ["DuplicateKeyError", "MongoClient", "connect", "insert_once", "ping_check"]


def connect(settings: MongoSettings, app_name: str) -> MongoClient:
    """A client whose calls fail within ``timeout_ms`` instead of pymongo's 30 s default."""
    return MongoClient(
        settings.uri,
        appname=app_name,
        serverSelectionTimeoutMS=settings.timeout_ms,
        connectTimeoutMS=settings.timeout_ms,
        socketTimeoutMS=settings.timeout_ms,
        tz_aware=True,
    )


def database(client: MongoClient, settings: MongoSettings) -> Database:
    return client[settings.database]


def insert_once(collection: Collection, document: dict) -> bool:
    """Inserts ``document`` unless one with its ``_id`` exists; True when this call inserted it.

    The ``_id`` is the idempotency key (usually an event id), so a redelivered event is a no-op.
    """
    try:
        collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True


def ping_check(client: MongoClient):
    """A readiness check that the database answers ``ping``."""

    async def check() -> tuple[bool, str]:
        try:
            await asyncio.to_thread(client.admin.command, "ping")
        except PyMongoError as error:
            return False, f"database unreachable: {type(error).__name__}"
        return True, "ok"

    return check
