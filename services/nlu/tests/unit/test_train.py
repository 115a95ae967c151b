"""The training command: a progress bar, a new complete version under the models folder, old ones pruned."""

from pathlib import Path

import pytest

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
