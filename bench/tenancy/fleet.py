"""The tenants of the tenancy benchmark: the shipped ones plus copies of one of them under new ids.

A copy differs from its source only in ``tenant.yaml``'s ``id`` (which must match the folder name).
The model cache is keyed by a hash of the Rasa project's training inputs (``config.yml``, the domain,
``data/``), never by the tenant id, so every copy is served by its source's model: it is trained once,
and each copy still loads its own assistant, as a separate tenant would.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

TENANT_FILE = "tenant.yaml"
ID_LINE = re.compile(r"^id:[ \t]*\S+[ \t]*$", re.MULTILINE)
# A tenant's own tests and byte-code play no part in serving it (the dialogue service trains and loads
# the project without them), so the benchmark's tenants go without.
NOT_COPIED = shutil.ignore_patterns("tests", "__pycache__", "*.pyc", ".pytest_cache")


def synthetic_ids(count: int, prefix: str = "loadtest") -> list[str]:
    """``loadtest-01`` … ``loadtest-<count>``: ids that match ``TENANT_ID`` and sort in order."""
    if count < 0:
        raise ValueError("count must not be negative")
    return [f"{prefix}-{index:02d}" for index in range(1, count + 1)]


def copy_tenant(source: Path, tenants_dir: Path, tenant_id: str) -> Path:
    """``source`` copied to ``tenants_dir/tenant_id`` with its ``tenant.yaml`` id set to ``tenant_id``."""
    target = tenants_dir / tenant_id
    shutil.copytree(source, target, ignore=NOT_COPIED)
    tenant_file = target / TENANT_FILE
    text, replaced = ID_LINE.subn(f"id: {tenant_id}", tenant_file.read_text(encoding="utf-8"), count=1)
    if replaced != 1:
        raise ValueError(f"{source / TENANT_FILE} has no top-level 'id:' line to rewrite")
    tenant_file.write_text(text, encoding="utf-8")
    return target


def build_fleet(shipped: Sequence[Path], template: Path, copies: Sequence[str], tenants_dir: Path) -> list[str]:
    """A tenants folder holding ``shipped`` as they are and ``template`` under each id of ``copies``;
    returns the tenant ids in the order they are loaded (shipped first)."""
    ids = []
    for project in shipped:
        shutil.copytree(project, tenants_dir / project.name, ignore=NOT_COPIED)
        ids.append(project.name)
    for tenant_id in copies:
        copy_tenant(template, tenants_dir, tenant_id)
        ids.append(tenant_id)
    return ids
