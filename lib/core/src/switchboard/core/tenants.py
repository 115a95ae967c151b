"""Tenants: who Switchboard serves. Defined in ``tenants/<id>/tenant.yaml``, stored in the database.

Every event carries its tenant id and every store is queried by it; this module is the one place
that says what a tenant is. ``python -m switchboard.core.tenants seed`` loads the files (idempotent).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, ValidationError

from switchboard.core.language import DEFAULT_LANGUAGE, SUPPORTED, Code
from switchboard.core.settings import PYDANTIC_V2, MongoSettings

TENANT_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class TenantError(ValueError):
    """A tenant file is missing or invalid; the message names the file and the field."""


class AgentHours(BaseModel, extra="forbid"):
    start: str = "09:00"
    end: str = "21:00"


class Channels(BaseModel, extra="forbid"):
    web: bool = True
    wechat: bool = False
    voice: bool = False


class Tenant(BaseModel, extra="forbid"):
    """One tenant's identity and service settings."""

    id: str
    name: dict[Code, str]
    languages: list[Code] = Field(default_factory=lambda: list(SUPPORTED))
    default_language: Code = DEFAULT_LANGUAGE
    timezone: str = "Asia/Shanghai"
    agent_hours: AgentHours = AgentHours()
    channels: Channels = Channels()

    def problems(self) -> list[str]:
        """Rules across fields, checked here so the model reads the same on pydantic 1 and 2."""
        found = []
        if not TENANT_ID.match(self.id):
            found.append("id: 2-32 characters: lowercase letters, digits and '-', starting with a letter")
        if self.default_language not in self.languages:
            found.append("default_language: must be one of the tenant's languages")
        for field in ("start", "end"):
            if not HOUR.match(getattr(self.agent_hours, field)):
                found.append(f"agent_hours.{field}: use HH:MM, 24-hour clock")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(f"timezone: unknown time zone {self.timezone!r}")
        return found

    def document(self) -> dict[str, Any]:
        """The database document: ``_id`` is the tenant id."""
        data = self.model_dump() if PYDANTIC_V2 else self.dict()
        return {"_id": data.pop("id"), **data}


def load_tenant(path: Path) -> Tenant:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TenantError(f"{path}: cannot read: {error}") from error
    if not isinstance(raw, dict):
        raise TenantError(f"{path}: expected a mapping at the top level")
    try:
        tenant = Tenant(**raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise TenantError(f"{path}: {problems}") from error
    if tenant.problems():
        raise TenantError(f"{path}: {'; '.join(tenant.problems())}")
    if tenant.id != path.parent.name:
        raise TenantError(f"{path}: id {tenant.id!r} must match its folder name {path.parent.name!r}")
    return tenant


def load_tenants(folder: Path) -> list[Tenant]:
    """Every ``<folder>/<id>/tenant.yaml``, sorted by id."""
    files = sorted(folder.glob("*/tenant.yaml"))
    if not files:
        raise TenantError(f"no */tenant.yaml under {folder}")
    return [load_tenant(path) for path in files]


def seed(collection: Any, tenants: list[Tenant]) -> int:
    """Upserts ``tenants`` into ``collection``; returns how many documents changed."""
    changed = 0
    for tenant in tenants:
        result = collection.replace_one({"_id": tenant.id}, tenant.document(), upsert=True)
        changed += int(bool(result.upserted_id) or result.modified_count)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load tenants/<id>/tenant.yaml into the database.")
    parser.add_argument("command", choices=["seed", "check"])
    parser.add_argument("--dir", type=Path, default=Path("tenants"))
    parser.add_argument("--mongo-uri", default=MongoSettings().uri)
    parser.add_argument("--database", default=MongoSettings().database)
    args = parser.parse_args(argv)
    try:
        tenants = load_tenants(args.dir)
    except TenantError as error:
        sys.stderr.write(f"tenants: {error}\n")
        return 2
    if args.command == "seed":
        from switchboard.core import mongo

        client = mongo.connect(MongoSettings(uri=args.mongo_uri, database=args.database), "tenants-seed")
        with client:
            changed = seed(client[args.database]["tenants"], tenants)
        sys.stdout.write(f"tenants: {len(tenants)} loaded ({changed} changed): {', '.join(t.id for t in tenants)}\n")
    else:
        sys.stdout.write(f"tenants: {len(tenants)} valid\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
