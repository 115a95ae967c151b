"""Notices tenants added, changed or removed under ``tenants/`` while a service runs.

Each service cares about some of a tenant's files (ingest its ``channels.yaml``, handoff its
``tenant.yaml``, ``handoff.yaml`` and ``agents.yaml``, NLU its ``data/``). A ``TenantWatch`` remembers
a stamp (name, modification time, size) of those files per tenant and ``changes`` says which
tenants differ since the last call. Polling, not inotify: it works the same on a laptop, in a
container and on a Kubernetes ConfigMap volume (whose files are swapped through a symlink, which
inotify watchers of the file itself miss), and a stat of a few files per tenant every few seconds
costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from switchboard.core.tenants import TENANT_ID

Stamp = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class TenantChanges:
    """Tenant ids whose watched files appeared, changed or disappeared since the last look."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def updated(self) -> tuple[str, ...]:
        """Added or changed: the tenants to (re)load."""
        return self.added + self.changed

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def stamp_of(folder: Path, names: Iterable[str]) -> Stamp:
    """The stamp of ``names`` (files, or folders taken with every file under them) inside ``folder``."""
    entries: list[tuple[str, int, int]] = []
    for name in names:
        path = folder / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue
            entries.append((file.relative_to(folder).as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class TenantWatch:
    """The stamps of the watched files of every tenant folder that has ``marker``."""

    def __init__(self, tenants_dir: Path, names: Iterable[str], marker: str = "tenant.yaml") -> None:
        self.tenants_dir = tenants_dir
        self.names = (marker, *(name for name in names if name != marker))
        self.marker = marker
        self._stamps: dict[str, Stamp] = {}

    def tenants(self) -> list[str]:
        """Tenant ids whose folder holds the marker file, sorted (folders with other names are ignored)."""
        found = (path.parent.name for path in self.tenants_dir.glob(f"*/{self.marker}"))
        return sorted(tenant for tenant in found if TENANT_ID.fullmatch(tenant))

    def changes(self) -> TenantChanges:
        """What differs since the previous call (the first call reports every tenant as added)."""
        current = {tenant: stamp_of(self.tenants_dir / tenant, self.names) for tenant in self.tenants()}
        added = tuple(tenant for tenant in current if tenant not in self._stamps)
        changed = tuple(t for t in current if t in self._stamps and current[t] != self._stamps[t])
        removed = tuple(tenant for tenant in self._stamps if tenant not in current)
        self._stamps = current
        return TenantChanges(added, changed, removed)
