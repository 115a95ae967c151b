"""TenantWatch: tenants added, changed and removed are told apart; other folders and files are ignored."""

from __future__ import annotations

import os
from pathlib import Path

from switchboard.core.tenant_watch import TenantChanges, TenantWatch


def _tenant(root: Path, tenant_id: str) -> Path:
    folder = root / tenant_id
    (folder / "data").mkdir(parents=True)
    (folder / "tenant.yaml").write_text(f"id: {tenant_id}\n", "utf-8")
    (folder / "data" / "nlu.yml").write_text("nlu: []\n", "utf-8")
    return folder


def _touch(path: Path, text: str) -> None:
    path.write_text(text, "utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a coarse clock still differs


def test_first_look_adds_every_tenant_then_nothing_changes(tmp_path: Path) -> None:
    _tenant(tmp_path, "shop")
    _tenant(tmp_path, "bank")
    (tmp_path / "not a tenant").mkdir()
    (tmp_path / "Bad_Id").mkdir()
    (tmp_path / "Bad_Id" / "tenant.yaml").write_text("id: x\n", "utf-8")
    watch = TenantWatch(tmp_path, ("data",))
    assert watch.changes() == TenantChanges(added=("bank", "shop"))
    assert not watch.changes()


def test_a_watched_file_changed_a_tenant_added_and_one_removed(tmp_path: Path) -> None:
    shop = _tenant(tmp_path, "shop")
    bank = _tenant(tmp_path, "bank")
    watch = TenantWatch(tmp_path, ("data",))
    watch.changes()
    _touch(shop / "data" / "nlu.yml", "nlu:\n- intent: greet\n  examples: |\n    - 你好 👋\n")
    _touch(shop / "knowledge.md", "not watched")
    _tenant(tmp_path, "telco")
    (bank / "tenant.yaml").unlink()
    changes = watch.changes()
    assert changes == TenantChanges(added=("telco",), changed=("shop",), removed=("bank",))
    assert changes.updated == ("telco", "shop")


def test_an_unwatched_file_changes_nothing(tmp_path: Path) -> None:
    shop = _tenant(tmp_path, "shop")
    watch = TenantWatch(tmp_path, ("data",))
    watch.changes()
    _touch(shop / "agents.yaml", "agents: []\n")
    assert not watch.changes()
