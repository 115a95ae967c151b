"""Where a tenant's NLU data lives: the Rasa project's ``tenants/<id>/data/`` (``nlu:`` sections of its
YAML files), our ``tenants/<id>/calibration.yml`` and ``tenant.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from switchboard.core.tenants import load_tenant
from switchboard.nlu import trainingdata
from switchboard.nlu.errors import TrainingDataError, UnknownTenantError
from switchboard.nlu.model_store import check_tenant
from switchboard.nlu.trainingdata import TrainingData


@dataclass(frozen=True)
class TenantNluData:
    tenant: str
    data: TrainingData
    out_of_scope: list[str]
    timezone: str


def load_tenant_nlu(tenants_dir: Path, tenant: str) -> TenantNluData:
    """The tenant's training data, out-of-scope calibration texts and time zone."""
    folder = tenants_dir / check_tenant(tenant)
    data_dir = folder / "data"
    if not data_dir.is_dir():
        raise UnknownTenantError(f"tenant {tenant!r} has no NLU data ({data_dir} is missing)")
    data = trainingdata.load(data_dir)
    if not data.examples:
        raise UnknownTenantError(f"tenant {tenant!r} has no NLU data (no nlu: examples under {data_dir})")
    out_of_scope: list[str] = []
    calibration_file = folder / "calibration.yml"
    if calibration_file.is_file():
        try:
            document = yaml.safe_load(calibration_file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise TrainingDataError(f"cannot read {calibration_file}: {error}") from None
        out_of_scope = [str(text) for text in document.get("out_of_scope") or []]
    tenant_file = folder / "tenant.yaml"
    timezone = load_tenant(tenant_file).timezone if tenant_file.is_file() else "UTC"
    return TenantNluData(tenant, data, out_of_scope, timezone)
