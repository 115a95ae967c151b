"""One customer per tenant across channels: web user id, WeChat openid and phone number map to one id.

Documents ``{_id: "<tenant>/<kind>:<value>", customer_id}`` in ``customer_identities``; resolving
several identities at once (a REST client that also knows the phone number) links them together.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from pymongo.collection import Collection

from switchboard.core import mongo


@dataclass(frozen=True, slots=True)
class Identity:
    """One way a channel knows a customer: ``kind`` is web, wechat or phone."""

    kind: str
    value: str

    def key(self, tenant_id: str) -> str:
        return f"{tenant_id}/{self.kind}:{self.value}"


@dataclass(slots=True)
class Customers:
    collection: Collection
    # Links never change once written, so known single identities are answered from memory.
    cache_size: int = 10_000
    _cache: OrderedDict[str, str] = field(default_factory=OrderedDict)

    async def resolve(self, tenant_id: str, *identities: Identity) -> str:
        """The customer id of ``identities``; unknown ones are linked to it (a new id if none is known)."""
        known = [identity for identity in identities if identity.value]
        if len(known) == 1 and (cached := self._cache.get(known[0].key(tenant_id))):
            self._cache.move_to_end(known[0].key(tenant_id))
            return cached
        customer_id = await asyncio.to_thread(self._resolve, tenant_id, known)
        if len(known) == 1:  # with several, an identity linked earlier may keep another customer id
            self._cache[known[0].key(tenant_id)] = customer_id
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return customer_id

    def _resolve(self, tenant_id: str, identities: list[Identity]) -> str:
        if not identities:
            raise ValueError("a customer needs at least one identity")
        keys = [identity.key(tenant_id) for identity in identities]
        known = {doc["_id"]: doc["customer_id"] for doc in self.collection.find({"_id": {"$in": keys}})}
        customer_id = next((known[key] for key in keys if key in known), None) or str(uuid.uuid4())
        for key in keys:
            if key in known:
                continue
            if not mongo.insert_once(self.collection, {"_id": key, "tenant_id": tenant_id, "customer_id": customer_id}):
                # Another request linked this identity first: its customer id wins for the rest.
                winner = self.collection.find_one({"_id": key})
                if winner and not known:
                    customer_id = winner["customer_id"]
        return customer_id
