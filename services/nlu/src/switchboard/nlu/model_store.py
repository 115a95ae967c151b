"""Versioned models on disk: ``<models_dir>/<tenant>/<version>/{model.pkl,meta.json}``.

A version is complete once ``meta.json`` exists: it is written last, after an atomic rename of
the whole version folder, so a reader never loads half a model. Versions sort by their UTC
timestamp prefix. The folder is trusted input (pickle): only the training command writes it.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from switchboard.nlu.errors import ModelLoadError
from switchboard.nlu.model import NluModel

_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_META = "meta.json"
_MODEL = "model.pkl"


def check_tenant(tenant: str) -> str:
    if not _TENANT.match(tenant):
        raise ValueError(f"invalid tenant id {tenant!r}: lowercase letters, digits and '-'")
    return tenant


class ModelStore:
    """Reads and writes the model versions of every tenant under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self, tenant: str) -> list[str]:
        folder = self.root / check_tenant(tenant)
        if not folder.is_dir():
            return []
        return sorted(entry.name for entry in folder.iterdir() if (entry / _META).is_file())

    def latest(self, tenant: str) -> str | None:
        versions = self.versions(tenant)
        return versions[-1] if versions else None

    def save(self, tenant: str, model: NluModel) -> str:
        """Writes ``model`` as a new version and returns it."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        version = f"{stamp}-{model.fingerprint}"
        model.version = version
        folder = self.root / check_tenant(tenant)
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
        try:
            with (staging / _MODEL).open("wb") as handle:
                pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
            target = folder / version
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        meta = {
            "tenant": tenant,
            "version": version,
            "fingerprint": model.fingerprint,
            "intents": model.intents,
            "examples": len(model.data.examples),
            "calibration": asdict(model.calibration),
            "cascade": model.acceptance.report() if model.acceptance else None,
            "timezone": model.timezone_name,
        }
        temporary = target / f".{_META}.tmp"
        temporary.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, target / _META)
        return version

    def load(self, tenant: str, version: str) -> NluModel:
        path = self.root / check_tenant(tenant) / version / _MODEL
        try:
            with path.open("rb") as handle:
                model = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
            raise ModelLoadError(f"cannot load model {tenant}/{version}: {error}") from error
        if not isinstance(model, NluModel):
            raise ModelLoadError(f"{path} holds no NLU model")
        model.version = version
        return model

    def prune(self, tenant: str, keep: int) -> list[str]:
        """Deletes all but the newest ``keep`` versions; returns the deleted ones."""
        old = self.versions(tenant)[:-keep] if keep > 0 else []
        for version in old:
            shutil.rmtree(self.root / tenant / version, ignore_errors=True)
        return old
