"""Seeding tenants on the real database is an idempotent upsert."""

from pathlib import Path

from pymongo import MongoClient

from switchboard.core.tenants import load_tenants, seed

REPO = Path(__file__).resolve().parents[4]


def test_seeding_twice_changes_nothing_the_second_time(mongo_settings) -> None:
    tenants = load_tenants(REPO / "tenants")
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        collection = client[mongo_settings.database]["tenants"]
        assert seed(collection, tenants) == len(tenants)
        assert seed(collection, tenants) == 0
        stored = collection.find_one({"_id": "demo"})
        assert stored["name"]["zh"] == "思博商城"
        assert stored["agent_hours"] == {"start": "09:00", "end": "21:00"}
