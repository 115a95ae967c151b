"""The helpdesk's records: accounts, plans, areas and area outages, read once from ``data/accounts.yaml``.

``BROADBAND_ACCOUNTS_FILE`` points at another file (tests, a real export). Outage restore times are
relative in the file and become clock times when it loads, so the demo behaves the same on any day.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, Field, validator

from switchboard.core.tenants import load_tenant

TENANT_FOLDER = Path(__file__).resolve().parents[1]
DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "accounts.yaml"
BILL_DUE_DAY = 20  # knowledge/billing.*.md: issued on the 1st, due on the 20th


class Localized(BaseModel):
    zh: str
    en: str

    def pick(self, language: str) -> str:
        return self.en if language == "en" else self.zh


class PlanRecord(BaseModel):
    name: Localized
    price: str = Field(regex=r"^\d+\.\d{2}$")


class OutageRecord(BaseModel):
    area: str
    cause: Localized
    restore_in_hours: int = Field(ge=1, le=72)


class AccountRecord(BaseModel):
    account_id: str = Field(regex=r"^LN\d{6}$")
    area: str
    plan: str
    phone: str = Field(regex=r"^1\d{10}$")
    balance: str = Field(regex=r"^\d+\.\d{2}$")
    overdue: bool = False
    contract_months_left: int = Field(ge=0, le=24)
    suburban: bool = False


class RecordsFile(BaseModel):
    plans: dict[str, PlanRecord]
    areas: dict[str, Localized]
    outages: list[OutageRecord] = []
    accounts: list[AccountRecord]

    @validator("accounts")
    def _known_references(cls, accounts: list[AccountRecord], values: dict) -> list[AccountRecord]:
        for account in accounts:
            if account.plan not in values.get("plans", {}):
                raise ValueError(f"{account.account_id}: unknown plan {account.plan!r}")
            if account.area not in values.get("areas", {}):
                raise ValueError(f"{account.account_id}: unknown area {account.area!r}")
        return accounts


@dataclass(frozen=True, slots=True)
class Outage:
    """An active outage of one area and when service is expected back (tenant time)."""

    area: str
    cause: Localized
    restore_by: datetime


@dataclass(frozen=True, slots=True)
class Records:
    """Every record the actions read; loaded once per process."""

    plans: dict[str, PlanRecord]
    areas: dict[str, Localized]
    outages: dict[str, Outage]
    accounts: dict[str, AccountRecord]
    zone: ZoneInfo

    def account(self, account_id: str | None) -> AccountRecord | None:
        return self.accounts.get((account_id or "").strip().upper())

    def outage_in(self, area: str) -> Outage | None:
        return self.outages.get(area)

    def now(self) -> datetime:
        return datetime.now(self.zone)


def due_date(today: date, overdue: bool) -> date:
    """The due date of the current bill: this month's 20th, or the last 20th already past for an overdue one."""
    this_month = today.replace(day=BILL_DUE_DAY)
    if overdue:
        if today > this_month:
            return this_month
        last_month_end = today.replace(day=1) - timedelta(days=1)
        return last_month_end.replace(day=BILL_DUE_DAY)
    if today <= this_month:
        return this_month
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=BILL_DUE_DAY)
    return next_month


def next_bill_date(today: date) -> date:
    """Bills are issued on the 1st of each month."""
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


def load_records(path: Path, zone: ZoneInfo, loaded_at: datetime | None = None) -> Records:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    parsed = RecordsFile(**raw)
    now = loaded_at or datetime.now(zone)
    outages = {
        item.area: Outage(item.area, item.cause, now + timedelta(hours=item.restore_in_hours))
        for item in parsed.outages
    }
    return Records(
        parsed.plans, parsed.areas, outages, {account.account_id: account for account in parsed.accounts}, zone
    )


@lru_cache(maxsize=1)
def records() -> Records:
    """The records of this process (the tenant's time zone from its tenant.yaml)."""
    zone = ZoneInfo(load_tenant(TENANT_FOLDER / "tenant.yaml").timezone)
    return load_records(Path(os.environ.get("BROADBAND_ACCOUNTS_FILE") or DEFAULT_FILE), zone)
