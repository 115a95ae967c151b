"""Shared fixtures: the demo tenant's model, trained once per test session into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.core.testing.plugin import repo_root
from switchboard.nlu.model import NluModel
from switchboard.nlu.model_store import ModelStore
from switchboard.nlu.train import train_tenant


@pytest.fixture(scope="session")
def tenants_dir() -> Path:
    return repo_root() / "tenants"


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory, tenants_dir: Path) -> ModelStore:
    root = tmp_path_factory.mktemp("models")
    train_tenant(tenants_dir, root, "demo")
    return ModelStore(root)


@pytest.fixture(scope="session")
def demo_model(trained_store: ModelStore) -> NluModel:
    return trained_store.load("demo", trained_store.latest("demo"))
