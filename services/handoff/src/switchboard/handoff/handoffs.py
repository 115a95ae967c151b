"""Handoffs in MongoDB: one document per handoff, moved between states only by conditional updates.

States: ``queued`` -> ``assigned`` -> ``resolved`` (or back to ``queued`` on transfer or when the
agent disconnects); ``callback`` for requests outside agent hours. No transactions (FerretDB has
none): the handoff ``_id`` is derived from the decision event, so a redelivered decision finds its
handoff; ``handoff_open`` holds one key per conversation (unique ``_id``), so a conversation never
has two open handoffs.

FerretDB applies a filtered update as read-then-write, so a filter alone does not stop two writers:
exclusivity comes from inserts into unique ``_id``s, the one atomic step both databases share.
``assignments`` holds ``<handoff>/<round>`` (one winner per time a chat waits in a queue) and
``agent_slots`` holds ``<tenant>/<agent>/<n>`` for n < capacity (a chat in hand takes one slot).
For the same reason a handoff document is only written by whoever holds it (the winner of its
round): what others change often (the position told to the customer, the latest channel ids)
lives in ``handoff_positions`` and ``handoff_contacts``, and a merged duplicate points at the open
handoff instead of writing into it, so no concurrent write can undo a state change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from switchboard.core import mongo
from switchboard.handoff.agents import Agent, AgentDirectory
from switchboard.handoff.errors import AgentAtCapacity

OPEN_STATES = ("queued", "assigned")


def conversation_ref(tenant_id: str, conversation_id: str) -> str:
    return f"{tenant_id}/{conversation_id}"


@dataclass(frozen=True, slots=True)
class Handoffs:
    """The ``handoffs``, ``handoff_open`` and ``callbacks`` collections."""

    handoffs: Collection
    open: Collection
    callbacks: Collection
    assignments: Collection
    slots: Collection
    positions: Collection
    contacts: Collection
    agents: AgentDirectory

    @classmethod
    def of(cls, database: Database) -> Handoffs:
        return cls(
            database["handoffs"],
            database["handoff_open"],
            database["callbacks"],
            database["assignments"],
            database["agent_slots"],
            database["handoff_positions"],
            database["handoff_contacts"],
            AgentDirectory(database["agents"], database["agent_slots"]),
        )

    def ensure_indexes(self) -> None:
        self.handoffs.create_index([("tenant_id", 1), ("state", 1), ("queue", 1)])
        self.handoffs.create_index([("tenant_id", 1), ("agent_id", 1), ("state", 1)])
        self.handoffs.create_index([("tenant_id", 1), ("conversation_id", 1)])
        self.callbacks.create_index([("tenant_id", 1), ("created_at", 1)])
        self.slots.create_index([("handoff_id", 1)])
        self.handoffs.create_index([("merged_into", 1)])
        self.agents.ensure_indexes()

    # -- creation ---------------------------------------------------------------------------------

    def open_handoff(self, document: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Stores a new queued handoff unless its conversation has one open; returns (the open one, created).

        Safe to repeat with the same document (a redelivered decision): the second call returns the
        stored handoff and False.
        """
        mongo.insert_once(self.handoffs, document)
        tenant_id = document["tenant_id"]
        ref = conversation_ref(tenant_id, document["conversation_id"])
        if mongo.insert_once(self.open, {"_id": ref, "handoff_id": document["_id"], "tenant_id": tenant_id}):
            return self.get(tenant_id, document["_id"]), True
        holder = self.open.find_one({"_id": ref}) or {"handoff_id": None}
        if holder["handoff_id"] == document["_id"]:
            return self.get(tenant_id, document["_id"]), False
        existing = self.get(tenant_id, holder["handoff_id"]) if holder["handoff_id"] else None
        if existing is not None and existing["state"] in OPEN_STATES:
            self.handoffs.update_one(
                {"_id": document["_id"], "state": "queued"},
                {"$set": {"state": "merged", "merged_into": existing["_id"]}},
            )
            return self.get(tenant_id, existing["_id"]), False
        # The key of a closed handoff whose delete never ran: take it over, unless someone else just did.
        if (
            self.open.find_one_and_update(
                {"_id": ref, "handoff_id": holder["handoff_id"]}, {"$set": {"handoff_id": document["_id"]}}
            )
            is not None
        ):
            return self.get(tenant_id, document["_id"]), True
        return self.open_handoff(document)

    def add_callback(self, document: dict[str, Any]) -> bool:
        return mongo.insert_once(self.callbacks, document)

    # -- reads (always scoped by tenant) ----------------------------------------------------------

    def get(self, tenant_id: str, handoff_id: str) -> dict[str, Any] | None:
        """The handoff, with the reasons of the duplicates merged into it and the latest channel ids."""
        handoff = self.handoffs.find_one({"_id": handoff_id, "tenant_id": tenant_id})
        if handoff is None:
            return None
        reasons = list(handoff.get("reasons", []))
        for merged in self.handoffs.find({"merged_into": handoff_id, "tenant_id": tenant_id}):
            reasons.extend(r for r in merged.get("reasons", []) if r not in reasons)
        contact = self.contacts.find_one({"_id": handoff_id})
        position = self.positions.find_one({"_id": handoff_id}) or {}
        return {
            **handoff,
            "reasons": reasons,
            "position": position.get("position", 0),
            "wait_s": position.get("wait_s", 0),
            **({"channel_ids": contact["channel_ids"]} if contact else {}),
        }

    def open_for(self, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        holder = self.open.find_one({"_id": conversation_ref(tenant_id, conversation_id), "tenant_id": tenant_id})
        if holder is None:
            return None
        handoff = self.get(tenant_id, holder["handoff_id"])
        return handoff if handoff and handoff["state"] in OPEN_STATES else None

    def queued(self, tenant_id: str, queue: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"tenant_id": tenant_id, "state": "queued"}
        if queue is not None:
            query["queue"] = queue
        return list(self.handoffs.find(query))

    def assigned_to(self, tenant_id: str, agent_id: str) -> list[dict[str, Any]]:
        return list(self.handoffs.find({"tenant_id": tenant_id, "agent_id": agent_id, "state": "assigned"}))

    def by_state(self, tenant_id: str, state: str) -> list[dict[str, Any]]:
        return list(self.handoffs.find({"tenant_id": tenant_id, "state": state}))

    # -- transitions ------------------------------------------------------------------------------

    def _reserve(self, agent: Agent, handoff_id: str) -> str | None:
        """Takes a free slot of an online agent for ``handoff_id``; its id, or None when offline or full."""
        current = self.agents.get(agent.tenant_id, agent.id)
        if current is None or current.presence != "online" or current.role != "agent":
            return None
        for n in range(current.capacity):
            slot = {
                "_id": f"{agent.tenant_id}/{agent.id}/{n}",
                "tenant_id": agent.tenant_id,
                "agent_id": agent.id,
                "handoff_id": handoff_id,
            }
            if mongo.insert_once(self.slots, slot):
                return slot["_id"]
        return None

    def _release(self, tenant_id: str, agent_id: str, handoff_id: str) -> None:
        self.slots.delete_many({"tenant_id": tenant_id, "agent_id": agent_id, "handoff_id": handoff_id})

    def claim(self, agent: Agent, handoff_id: str, now: datetime) -> dict[str, Any] | None:
        """Assigns a queued handoff to ``agent`` within their capacity; None if someone else has it.

        Raises ``AgentAtCapacity`` when the agent is offline or full.
        """
        handoff = self.get(agent.tenant_id, handoff_id)
        if handoff is None or handoff["state"] != "queued":
            return None
        slot = self._reserve(agent, handoff_id)
        if slot is None:
            raise AgentAtCapacity("you are offline or at capacity")
        round_ = handoff.get("round", 0)
        won = mongo.insert_once(
            self.assignments,
            {
                "_id": f"{handoff_id}/{round_}",
                "tenant_id": agent.tenant_id,
                "agent_id": agent.id,
                "agent_name": agent.name,
                "at": now,
            },
        )
        if not won:
            self.slots.delete_one({"_id": slot})
            return None
        return self._assign(handoff, round_, agent.id, agent.name, now)

    def _assign(
        self, handoff: dict[str, Any], round_: int, agent_id: str, agent_name: str, now: datetime
    ) -> dict[str, Any]:
        return self.handoffs.find_one_and_update(
            {"_id": handoff["_id"], "round": round_},
            {"$set": {"state": "assigned", "agent_id": agent_id, "agent_name": agent_name, "assigned_at": now}},
            return_document=ReturnDocument.AFTER,
        )

    def requeue(
        self, tenant_id: str, handoff_id: str, agent_id: str, *, queue: str | None = None
    ) -> dict[str, Any] | None:
        """Puts an assigned handoff back in a queue (its own unless ``queue``), keeping its waiting time."""
        handoff = self.get(tenant_id, handoff_id)
        if handoff is None or handoff["state"] != "assigned" or handoff["agent_id"] != agent_id:
            return None
        changes: dict[str, Any] = {"state": "queued", "agent_id": "", "agent_name": "", "round": handoff["round"] + 1}
        if queue:
            changes["queue"] = queue
        moved = self.handoffs.find_one_and_update(
            {"_id": handoff_id, "round": handoff["round"], "state": "assigned"},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        self._release(tenant_id, agent_id, handoff_id)
        # The customer has not been told their new place yet.
        self.positions.delete_one({"_id": handoff_id})
        return moved

    def reassign(self, handoff_id: str, from_agent: Agent, to_agent: Agent, now: datetime) -> dict[str, Any] | None:
        """Hands an assigned chat straight to another agent, if they have a free slot."""
        handoff = self.get(from_agent.tenant_id, handoff_id)
        if handoff is None or handoff["state"] != "assigned" or handoff["agent_id"] != from_agent.id:
            return None
        slot = self._reserve(to_agent, handoff_id)
        if slot is None:
            raise AgentAtCapacity("that agent is offline or at capacity")
        round_ = handoff["round"] + 1
        if not mongo.insert_once(
            self.assignments,
            {
                "_id": f"{handoff_id}/{round_}",
                "tenant_id": to_agent.tenant_id,
                "agent_id": to_agent.id,
                "agent_name": to_agent.name,
                "at": now,
            },
        ):
            self.slots.delete_one({"_id": slot})
            return None
        moved = self.handoffs.find_one_and_update(
            {"_id": handoff_id, "round": handoff["round"]},
            {"$set": {"round": round_, "agent_id": to_agent.id, "agent_name": to_agent.name, "assigned_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        self._release(from_agent.tenant_id, from_agent.id, handoff_id)
        return moved

    def resolve(
        self, tenant_id: str, handoff_id: str, agent_id: str, now: datetime, resolution: str
    ) -> dict[str, Any] | None:
        handoff = self.get(tenant_id, handoff_id)
        if handoff is None or handoff["state"] != "assigned" or handoff["agent_id"] != agent_id:
            return None
        resolved = self.handoffs.find_one_and_update(
            {"_id": handoff_id, "round": handoff["round"], "state": "assigned"},
            {"$set": {"state": "resolved", "resolved_at": now, "resolution": resolution}},
            return_document=ReturnDocument.AFTER,
        )
        self._release(tenant_id, agent_id, handoff_id)
        if resolved is not None:
            self.open.delete_one(
                {"_id": conversation_ref(tenant_id, resolved["conversation_id"]), "handoff_id": handoff_id}
            )
        return resolved

    def active(self, tenant_id: str, agent_id: str) -> int:
        return self.slots.count_documents({"tenant_id": tenant_id, "agent_id": agent_id})

    def set_position(self, handoff_id: str, position: int, wait_s: int) -> bool:
        """Stores the position last told to the customer; True when it changed (tell them again)."""
        told = self.positions.find_one({"_id": handoff_id}) or {}
        if (told.get("position"), told.get("wait_s")) == (position, wait_s):
            return False
        self.positions.update_one({"_id": handoff_id}, {"$set": {"position": position, "wait_s": wait_s}}, upsert=True)
        return True

    def set_contact(self, handoff_id: str, channel_ids: dict[str, str], at: datetime) -> None:
        """The channel ids of the customer's latest message, to answer it on its channel."""
        self.contacts.update_one({"_id": handoff_id}, {"$set": {"channel_ids": channel_ids, "at": at}}, upsert=True)

    def reconcile(self, tenant_id: str) -> None:
        """Repairs what a crash between two writes can leave: a won assignment not yet written to its
        handoff, and slots held for chats their agent no longer has."""
        for handoff in self.by_state(tenant_id, "queued"):
            won = self.assignments.find_one({"_id": f"{handoff['_id']}/{handoff.get('round', 0)}"})
            if won is not None:
                self._assign(handoff, handoff.get("round", 0), won["agent_id"], won["agent_name"], won["at"])
        for slot in self.slots.find({"tenant_id": tenant_id}):
            handoff = self.get(tenant_id, slot["handoff_id"])
            if handoff is None or handoff["state"] != "assigned" or handoff["agent_id"] != slot["agent_id"]:
                self.slots.delete_one({"_id": slot["_id"]})
