"""Agents and supervisors of a tenant: their skills, capacity, presence and hashed passwords.

Defined in ``tenants/<id>/agents.yaml`` and upserted into the ``agents`` collection (``_id`` is
``<tenant>/<agent id>``): the file owns the profile, the database owns presence. The chats in hand
are the agent's documents in ``agent_slots`` (see ``handoffs``), one unique slot per chat.
``python -m switchboard.handoff.agents hash`` prints the hash of a password read from stdin.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError
from pymongo.collection import Collection

from switchboard.handoff.errors import HandoffConfigError

# scrypt parameters (RFC 7914): n=2**14, r=8, p=1 needs 16 MiB and ~50 ms per check.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
_HASH_PREFIX = "scrypt$"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return _HASH_PREFIX + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a ``hash_password`` result; False on any malformed hash."""
    try:
        prefix, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), **_SCRYPT)
    except (ValueError, TypeError):
        return False
    return prefix + "$" == _HASH_PREFIX and hmac.compare_digest(actual, expected)


class AgentProfile(BaseModel, extra="forbid"):
    """One person who answers customers (role agent) or watches the floor (role supervisor)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9._-]{0,31}$")
    name: str = Field(min_length=1, max_length=64)
    role: Literal["agent", "supervisor"] = "agent"
    team: str = Field("support", pattern=r"^[a-z][a-z0-9-]{0,31}$")
    capacity: int = Field(3, ge=0, le=50)
    languages: list[str] = Field(default_factory=lambda: ["zh", "en"])
    channels: list[str] = Field(default_factory=lambda: ["web", "wechat", "voice"])
    queues: list[str] = Field(default_factory=lambda: ["general"])
    password_hash: str = Field(pattern=r"^scrypt\$")


class AgentsFile(BaseModel, extra="forbid"):
    agents: list[AgentProfile]


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent as stored, with its runtime state."""

    tenant_id: str
    id: str
    name: str
    role: str
    team: str
    capacity: int
    languages: tuple[str, ...]
    channels: tuple[str, ...]
    queues: tuple[str, ...]
    presence: str = "offline"
    active: int = 0

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Agent:
        return cls(
            tenant_id=doc["tenant_id"],
            id=doc["agent_id"],
            name=doc["name"],
            role=doc["role"],
            team=doc["team"],
            capacity=doc["capacity"],
            languages=tuple(doc["languages"]),
            channels=tuple(doc["channels"]),
            queues=tuple(doc["queues"]),
            presence=doc.get("presence", "offline"),
            active=doc.get("active", 0),
        )

    def can_serve(self, *, queue: str, language: str, channel: str) -> bool:
        """Skill match: the queue (topic), the customer's language and channel; empty skills match all."""
        return (
            self.role == "agent"
            and queue in self.queues
            and (not language or language in self.languages)
            and (not channel or channel in self.channels)
        )


def agent_key(tenant_id: str, agent_id: str) -> str:
    return f"{tenant_id}/{agent_id}"


def load_agents(path: Path) -> list[AgentProfile]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return AgentsFile(**(raw or {})).agents
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as error:
        raise HandoffConfigError(f"{path}: {error}") from error


@dataclass(frozen=True, slots=True)
class AgentDirectory:
    """The ``agents`` collection: profiles from the tenant files, presence and load from the service."""

    collection: Collection
    slots: Collection

    def _agent(self, doc: dict[str, Any]) -> Agent:
        active = self.slots.count_documents({"tenant_id": doc["tenant_id"], "agent_id": doc["agent_id"]})
        return Agent.from_document({**doc, "active": active})

    def ensure_indexes(self) -> None:
        self.collection.create_index([("tenant_id", 1), ("presence", 1)])

    def seed(self, tenant_id: str, profiles: list[AgentProfile]) -> None:
        """Upserts profiles; presence and the chats in hand of a known agent are left as they are."""
        for profile in profiles:
            data = profile.model_dump()
            agent_id = data.pop("id")
            self.collection.update_one(
                {"_id": agent_key(tenant_id, agent_id)},
                {
                    "$set": {"tenant_id": tenant_id, "agent_id": agent_id, **data},
                    "$setOnInsert": {"presence": "offline"},
                },
                upsert=True,
            )

    def authenticate(self, tenant_id: str, agent_id: str, password: str) -> Agent | None:
        doc = self.collection.find_one({"_id": agent_key(tenant_id, agent_id), "tenant_id": tenant_id})
        if doc is None:
            # Same work for an unknown id, so timing does not tell which ids exist.
            verify_password(password, hash_password("x"))
            return None
        return self._agent(doc) if verify_password(password, doc["password_hash"]) else None

    def get(self, tenant_id: str, agent_id: str) -> Agent | None:
        doc = self.collection.find_one({"_id": agent_key(tenant_id, agent_id), "tenant_id": tenant_id})
        return self._agent(doc) if doc else None

    def team(self, tenant_id: str, team: str) -> list[Agent]:
        docs = self.collection.find({"tenant_id": tenant_id, "team": team}).sort("agent_id", 1)
        return [self._agent(d) for d in docs]

    def all(self, tenant_id: str) -> list[Agent]:
        return [self._agent(d) for d in self.collection.find({"tenant_id": tenant_id})]

    def online(self, tenant_id: str) -> list[Agent]:
        return [self._agent(d) for d in self.collection.find({"tenant_id": tenant_id, "presence": "online"})]

    def set_presence(self, tenant_id: str, agent_id: str, presence: str, now: datetime) -> None:
        self.collection.update_one(
            {"_id": agent_key(tenant_id, agent_id)}, {"$set": {"presence": presence, "seen_at": now}}
        )

    def stale(self, tenant_id: str, before: datetime) -> list[Agent]:
        """Agents marked online whose console has not been heard from since ``before``."""
        docs = self.collection.find({"tenant_id": tenant_id, "presence": "online", "seen_at": {"$lt": before}})
        return [self._agent(d) for d in docs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Agent passwords for tenants/<id>/agents.yaml.")
    parser.add_argument("command", choices=["hash"])
    parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        sys.stderr.write("agents: give the password on stdin\n")
        return 2
    sys.stdout.write(hash_password(password) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
