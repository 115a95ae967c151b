"""The models a running service answers with: one per tenant, the newest stored version, hot-reloaded."""

from __future__ import annotations

import threading
from pathlib import Path

from prometheus_client import Counter

from switchboard.core.logs import get_logger
from switchboard.core.tenant_watch import TenantWatch
from switchboard.nlu.errors import ModelLoadError, NluError, UnknownTenantError
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
        self._training: dict[str, threading.Lock] = {}

    def ensure_trained(self, tenants: list[str]) -> dict[str, str]:
        """Trains every tenant in ``tenants`` whose newest stored version was not trained on its current
        data (none stored yet, or the files changed since), then loads them all. A version's name ends
        with its data fingerprint, so the check reads the tenant's files and no model.

        Returns the tenants that could not be trained or loaded, with why: one tenant's broken data never
        stops the others (its current model, if any, keeps serving)."""
        failed: dict[str, str] = {}
        for tenant in tenants:
            try:
                latest = self.store.latest(tenant)
                current = self._fingerprint(tenant)
                if latest is None or not latest.endswith(f"-{current}"):
                    log.info("nlu.model.training", tenant_id=tenant, stale_version=latest or "")
                    train_tenant(self.tenants_dir, self.store.root, tenant, options=self.options)
                self.get(tenant)
            except (NluError, OSError, ValueError) as error:
                log.error("nlu.model.training_failed", tenant_id=tenant, error=str(error))
                failed[tenant] = str(error)
        return failed

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

    def get_or_train(self, tenant: str) -> NluModel:
        """``get``, but a tenant with NLU data and no stored model yet (added at runtime) is trained first.

        Blocking (seconds to a minute): call it from a worker thread. One training per tenant at a time;
        a second caller waits and then finds the trained version."""
        with self._lock:
            lock = self._training.setdefault(tenant, threading.Lock())
        with lock:
            try:
                return self.get(tenant)
            except UnknownTenantError:
                load_tenant_nlu(self.tenants_dir, check_tenant(tenant))  # no data: the error says so
            log.info("nlu.model.training_new_tenant", tenant_id=tenant)
            train_tenant(self.tenants_dir, self.store.root, tenant, options=self.options)
            return self.get(tenant)

    def discovered(self) -> list[str]:
        """Tenants under ``tenants_dir`` with a ``data/`` folder (where their NLU examples are), sorted."""
        return TenantWatch(self.tenants_dir, (), marker="data").tenants()

    def model_of(self, tenant: str) -> NluModel | None:
        """The tenant's model if it is in memory (never loads)."""
        return self._models.get(tenant)

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
