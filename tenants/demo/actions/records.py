"""Where the demo shop's records live: MongoDB named by the environment, seeded once per process.

``DEMO_MONGO_URI`` and ``DEMO_MONGO_DATABASE`` name the database, ``DEMO_TENANT_ID`` the tenant
whose records these are (``demo``). The server connects and seeds ``data/`` (an idempotent upsert)
on its first action call, not at import: rasa_sdk imports this package before it serves anything.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from switchboard.core import mongo
from switchboard.core.settings import MongoSettings
from switchboard.core.tenants import load_tenant

from .shop import Shop, load_shop_data

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
_lock = threading.Lock()
_shop: Shop | None = None


@dataclass(frozen=True)
class ShopDatabase:
    """The database the shop's records are in, read from the environment."""

    uri: str
    database: str
    tenant_id: str

    @classmethod
    def from_environment(cls) -> ShopDatabase:
        return cls(
            uri=os.environ.get("DEMO_MONGO_URI", "mongodb://127.0.0.1:27017/"),
            database=os.environ.get("DEMO_MONGO_DATABASE", "switchboard"),
            tenant_id=os.environ.get("DEMO_TENANT_ID", "demo"),
        )


def open_shop(where: ShopDatabase) -> Shop:
    """The shop on ``where``, its records seeded from ``data/``."""
    timezone = load_tenant(PROJECT_DIR / "tenant.yaml").timezone
    settings = MongoSettings(uri=where.uri, database=where.database)
    shop = Shop(mongo.connect(settings, "demo-actions")[where.database], where.tenant_id, timezone)
    shop.seed(load_shop_data(DATA_DIR))
    return shop


def shop() -> Shop:
    """The process's shop (blocking: call it from a worker thread)."""
    global _shop
    with _lock:
        if _shop is None:
            _shop = open_shop(ShopDatabase.from_environment())
        return _shop
