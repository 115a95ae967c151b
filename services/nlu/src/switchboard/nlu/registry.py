"""The models a running service answers with: one per tenant, the newest stored version, hot-reloaded."""

from __future__ import annotations

import threading
from pathlib import Path

from prometheus_client import Counter

from switchboard.core.logs import get_logger
from switchboard.nlu.errors import ModelLoadError, UnknownTenantError
from switchboard.nlu.model import NluModel, TrainOptions, data_fingerprint
from switchboard.nlu.model_store import ModelStore, check_tenant
from switchboard.nlu.tenant_files import load_tenant_nlu
from switchboard.nlu.train import train_tenant

log = get_logger(__name__)

MODEL_LOADS = Counter("switchboard_nlu_model_loads_total", "Model versions loaded", ["tenant"])


class ModelRegistry:
    """Loads each tenant's newest version on first use and swaps in newer ones on ``refresh``.

    A swap replaces one reference, so a parse in flight finishes on the model it started with.
    """

    def __init__(self, store: ModelStore, tenants_dir: Path, options: TrainOptions | None = None) -> None:
        self.store = store
        self.tenants_dir = tenants_dir
        self.options = options
        self._models: dict[str, NluModel] = {}
        self._lock = threading.Lock()

    def ensure_trained(self, tenants: list[str]) -> None:
        """Trains every tenant in ``tenants`` whose newest stored version was not trained on its current
        data (none stored yet, or the files changed since), then loads them all. A version's name ends
        with its data fingerprint, so the check reads the tenant's files and no model."""
        for tenant in tenants:
            latest = self.store.latest(tenant)
            current = self._fingerprint(tenant)
            if latest is None or not latest.endswith(f"-{current}"):
                log.info("nlu.model.training_at_start", tenant_id=tenant, stale_version=latest or "")
                train_tenant(self.tenants_dir, self.store.root, tenant, options=self.options)
            self.get(tenant)

    def _fingerprint(self, tenant: str) -> str:
        source = load_tenant_nlu(self.tenants_dir, tenant)
        encoder = (self.options or TrainOptions()).encoder
        return data_fingerprint(source.data, source.out_of_scope, source.timezone, encoder)

    def get(self, tenant: str) -> NluModel:
        """The tenant's current model; loads the newest version if none is loaded yet."""
        model = self._models.get(tenant)
        if model is not None:
            return model
        try:
            check_tenant(tenant)
        except ValueError as error:
            raise UnknownTenantError(str(error)) from None
        version = self.store.latest(tenant)
        if version is None:
            raise UnknownTenantError(
                f"no NLU model for tenant {tenant!r}; train one with python -m switchboard.nlu.train"
            )
        return self._load(tenant, version)

    def loaded(self) -> dict[str, str]:
        return {tenant: model.version for tenant, model in self._models.items()}

    def refresh(self) -> list[tuple[str, str]]:
        """Loads every newer version of the loaded tenants; returns what changed."""
        changed = []
        for tenant, model in list(self._models.items()):
            latest = self.store.latest(tenant)
            if latest is not None and latest > model.version:
                try:
                    self._load(tenant, latest)
                except ModelLoadError as error:
                    log.warning("nlu.model.load_failed", tenant_id=tenant, version=latest, error=str(error))
                    continue
                changed.append((tenant, latest))
        return changed

    def _load(self, tenant: str, version: str) -> NluModel:
        with self._lock:
            current = self._models.get(tenant)
            if current is not None and current.version >= version:
                return current
            model = self.store.load(tenant, version)
            model.warm_up()
            self._models[tenant] = model
        MODEL_LOADS.labels(tenant).inc()
        log.info("nlu.model.loaded", tenant_id=tenant, version=version)
        return model
