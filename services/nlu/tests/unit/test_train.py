"""The training command: a progress bar, a new complete version under the models folder, old ones pruned."""

from pathlib import Path

import pytest

from switchboard.nlu.model import ParseInput
from switchboard.nlu.model_store import ModelStore
from switchboard.nlu.train import main


def test_training_shows_progress_and_writes_a_version(
    tmp_path: Path, tenants_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = ["--tenant", "demo", "--tenants-dir", str(tenants_dir), "--models-dir", str(tmp_path), "--encoder", "none"]
    assert main([*argv, "--keep", "1"]) == 0
    err = capsys.readouterr().err
    assert "training demo" in err and "100%" in err and "fallback threshold" in err
    first = ModelStore(tmp_path).versions("demo")
    assert len(first) == 1 and (tmp_path / "demo" / first[0] / "meta.json").is_file()
    assert main([*argv, "--keep", "1"]) == 0
    second = ModelStore(tmp_path).versions("demo")
    assert len(second) == 1 and second[0] > first[0]


def test_an_unknown_tenant_is_a_clear_error(tmp_path: Path, tenants_dir: Path) -> None:
    from switchboard.nlu.errors import UnknownTenantError

    with pytest.raises(UnknownTenantError, match="no NLU data"):
        main(["--tenant", "nobody", "--tenants-dir", str(tenants_dir), "--models-dir", str(tmp_path)])


def test_a_model_trained_on_older_data_is_retrained_at_start_and_a_current_one_is_kept(
    tmp_path: Path, tenants_dir: Path
) -> None:
    import shutil

    from switchboard.nlu.model import TrainOptions
    from switchboard.nlu.registry import ModelRegistry

    tenants = tmp_path / "tenants"
    shutil.copytree(tenants_dir / "demo", tenants / "demo", ignore=shutil.ignore_patterns("actions", "knowledge"))
    store = ModelStore(tmp_path / "models")
    options = TrainOptions(encoder="none")
    ModelRegistry(store, tenants, options).ensure_trained(["demo"])
    [first] = store.versions("demo")
    ModelRegistry(store, tenants, options).ensure_trained(["demo"])
    assert store.versions("demo") == [first]  # same data: the stored version serves
    nlu = tenants / "demo" / "data" / "nlu.yml"
    text = nlu.read_text(encoding="utf-8")
    nlu.write_text(text.replace("    - 你好\n", "    - 你好\n    - 哈喽哈喽呀\n", 1), encoding="utf-8")
    registry = ModelRegistry(store, tenants, options)
    registry.ensure_trained(["demo"])
    [old, new] = store.versions("demo")
    assert old == first and new != first  # the files changed: trained again, and the new version serves
    assert registry.loaded() == {"demo": new}


def _tenant_copy(source: Path, tenants: Path, tenant_id: str) -> Path:
    import shutil

    target = tenants / tenant_id
    shutil.copytree(source / "demo", target, ignore=shutil.ignore_patterns("actions", "knowledge"))
    tenant_file = target / "tenant.yaml"
    tenant_file.write_text(tenant_file.read_text("utf-8").replace("id: demo", f"id: {tenant_id}"), "utf-8")
    return target


def test_a_tenant_added_at_runtime_is_trained_on_first_use_and_a_broken_one_stops_no_other(
    tmp_path: Path, tenants_dir: Path
) -> None:
    from switchboard.nlu.errors import UnknownTenantError
    from switchboard.nlu.model import TrainOptions
    from switchboard.nlu.registry import ModelRegistry

    tenants = tmp_path / "tenants"
    _tenant_copy(tenants_dir, tenants, "shop")
    broken = _tenant_copy(tenants_dir, tenants, "broken")
    (broken / "data" / "nlu.yml").write_text("nlu:\n- intent: greet\n  examples: [unclosed\n", "utf-8")
    store = ModelStore(tmp_path / "models")
    registry = ModelRegistry(store, tenants, TrainOptions(encoder="none"))
    assert registry.discovered() == ["broken", "shop"]
    failed = registry.ensure_trained(registry.discovered())
    assert list(failed) == ["broken"] and "nlu.yml" in failed["broken"]
    assert set(registry.loaded()) == {"shop"}

    _tenant_copy(tenants_dir, tenants, "added")
    with pytest.raises(UnknownTenantError):
        registry.get("added")  # get never trains
    model = registry.get_or_train("added")
    assert model.parse_batch([ParseInput("你好 👋")])[0].intent.name == "greet"
    assert registry.get_or_train("added") is model  # trained once
    with pytest.raises(UnknownTenantError, match="no NLU data"):
        registry.get_or_train("nobody")
