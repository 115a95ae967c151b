"""The demo shop's business data in MongoDB: orders, return cases, invoices, policies.

``data/{orders,policies}.yaml`` next to this package are loaded by ``seed`` (an idempotent upsert);
order dates there are relative (``delivered_days_ago``) and become dates in the shop's time zone at
loading, so the demo flows behave the same on any day. Calls are synchronous pymongo: actions run
them in a worker thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, Field
from pymongo.database import Database

from switchboard.core import mongo

from .item_match import ItemNames, match_item, names_of

RETURN_WINDOW_DAYS = 7
INVOICE_WINDOW_DAYS = 30
# Tasks that open a return case: a plain one and a quality return of a damaged item.
RETURN_TASKS = ("return_item", "damaged_item")


class LocalizedText(BaseModel):
    zh: str
    en: str


class OrderItem(BaseModel):
    product: str = Field(description="canonical product name, as NLU's product entity gives it")
    name: LocalizedText
    aliases: list[str] = Field(default_factory=list, description="other names customers use, any language")
    quantity: int = 1
    price: str


class OrderSeed(BaseModel):
    """One order of ``orders.yaml``; dates are counted back from the day of loading."""

    order_id: str = Field(regex=r"^SB\d{4}$")
    status: str = Field(regex=r"^(paid|shipped|delivered)$")
    phone_last4: str = Field(regex=r"^\d{4}$")
    paid_days_ago: int
    shipped_days_ago: int | None = None
    delivered_days_ago: int | None = None
    expected_delivery_in_days: int | None = None
    carrier: LocalizedText | None = None
    tracking_number: str = ""
    address: str
    total: str
    items: list[OrderItem]

    def document(self, tenant_id: str, today: date) -> dict[str, Any]:
        def day(offset: int | None) -> str | None:
            return None if offset is None else (today - timedelta(days=offset)).isoformat()

        return {
            "_id": f"{tenant_id}/{self.order_id}",
            "tenant_id": tenant_id,
            "order_id": self.order_id,
            "status": self.status,
            "phone_last4": self.phone_last4,
            "paid_on": day(self.paid_days_ago),
            "shipped_on": day(self.shipped_days_ago),
            "delivered_on": day(self.delivered_days_ago),
            "expected_delivery": day(
                None if self.expected_delivery_in_days is None else -self.expected_delivery_in_days
            ),
            "carrier": self.carrier.dict() if self.carrier else None,
            "tracking_number": self.tracking_number,
            "address": self.address,
            "total": self.total,
            "items": [item.dict() for item in self.items],
        }


class PolicySeed(BaseModel):
    id: str
    title: LocalizedText
    text: LocalizedText


class ShopData(BaseModel):
    orders: list[OrderSeed] = []
    policies: list[PolicySeed] = []


@dataclass(frozen=True)
class Order:
    """An order as the assistant's actions see it."""

    order_id: str
    status: str
    phone_last4: str
    delivered_on: date | None
    expected_delivery: date | None
    carrier: dict[str, str] | None
    tracking_number: str
    address: str
    items: list[dict[str, Any]]

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Order:
        def parse(value: str | None) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(
            order_id=document["order_id"],
            status=document["status"],
            phone_last4=document["phone_last4"],
            delivered_on=parse(document.get("delivered_on")),
            expected_delivery=parse(document.get("expected_delivery")),
            carrier=document.get("carrier"),
            tracking_number=document.get("tracking_number", ""),
            address=document.get("address", ""),
            items=list(document.get("items", [])),
        )

    def carrier_name(self, language: str) -> str:
        return (self.carrier or {}).get("en" if language == "en" else "zh", "")

    def item_names(self, language: str) -> list[str]:
        return [item["name"]["en" if language == "en" else "zh"] for item in self.items]

    def find_item(self, product: str) -> dict[str, Any] | None:
        """The item a customer's wording names (either language, aliases, loose wording), else None."""
        names = [
            ItemNames(str(index), names_of(item["product"], item["name"].values(), item.get("aliases", [])))
            for index, item in enumerate(self.items)
        ]
        key = match_item(names, product)
        return None if key is None else self.items[int(key)]

    def refusal(self, task: str, today: date) -> str | None:
        """Why this order cannot serve ``task`` (a response name), checked right after verification."""
        if task in RETURN_TASKS:
            days = self.days_since_delivery(today)
            if days is None:
                return "utter_return_not_delivered"
            return "utter_return_refused" if days > RETURN_WINDOW_DAYS else None
        if task == "change_address" and self.status != "paid":
            return "utter_address_locked"
        return None

    def days_since_delivery(self, today: date) -> int | None:
        return None if self.delivered_on is None else (today - self.delivered_on).days


def load_shop_data(data_dir: Path) -> ShopData:
    """Parses the tenant's ``orders.yaml`` and ``policies.yaml`` (either may be absent)."""
    merged: dict[str, Any] = {}
    for name in ("orders.yaml", "policies.yaml"):
        path = data_dir / name
        if path.exists():
            merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return ShopData.parse_obj(merged)


class Shop:
    """Queries and writes of the assistant's actions, scoped to one tenant."""

    def __init__(self, database: Database, tenant_id: str, timezone: str) -> None:
        self._db = database
        self.tenant_id = tenant_id
        self._zone = ZoneInfo(timezone)

    def today(self) -> date:
        return datetime.now(self._zone).date()

    def ensure_indexes(self) -> None:
        self._db.return_cases.create_index([("tenant_id", 1), ("order_id", 1)])

    def seed(self, data: ShopData) -> int:
        """Upserts the demo orders and policies; returns how many orders were written."""
        today = self.today()
        for order in data.orders:
            document = order.document(self.tenant_id, today)
            self._db.orders.replace_one({"_id": document["_id"]}, document, upsert=True)
        for policy in data.policies:
            document = {"_id": f"{self.tenant_id}/{policy.id}", "tenant_id": self.tenant_id, **policy.dict()}
            self._db.policies.replace_one({"_id": document["_id"]}, document, upsert=True)
        self.ensure_indexes()
        return len(data.orders)

    def find_order(self, order_id: str) -> Order | None:
        document = self._db.orders.find_one({"_id": f"{self.tenant_id}/{order_id.upper()}"})
        return Order.from_document(document) if document else None

    def now(self) -> datetime:
        return datetime.now(self._zone)

    def open_return(self, order_id: str, product: str, reason: str, conversation_id: str) -> str:
        """Creates the return case once; the same order and item always give the same case id."""
        case_id = "RT" + _digest(self.tenant_id, order_id, product)[:8].upper()
        mongo.insert_once(
            self._db.return_cases,
            {
                "_id": case_id,
                "tenant_id": self.tenant_id,
                "order_id": order_id,
                "product": product,
                "reason": reason,
                "conversation_id": conversation_id,
                "status": "open",
                "opened_on": self.today().isoformat(),
            },
        )
        return case_id

    def latest_return(self, order_id: str) -> dict[str, Any] | None:
        return self._db.return_cases.find_one({"tenant_id": self.tenant_id, "order_id": order_id})

    def change_address(self, order_id: str, address: str) -> bool:
        """Sets the address only while the order has not shipped; False when it has."""
        result = self._db.orders.update_one(
            {"_id": f"{self.tenant_id}/{order_id}", "status": "paid"}, {"$set": {"address": address}}
        )
        return result.matched_count == 1

    def request_invoice(self, order_id: str, conversation_id: str) -> str:
        invoice_id = "INV" + _digest(self.tenant_id, order_id)[:8].upper()
        mongo.insert_once(
            self._db.invoice_requests,
            {
                "_id": invoice_id,
                "tenant_id": self.tenant_id,
                "order_id": order_id,
                "conversation_id": conversation_id,
                "requested_on": self.today().isoformat(),
            },
        )
        return invoice_id


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()
