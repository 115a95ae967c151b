"""``switchboard validate``: ``file:line: error: message`` lines, a summary per tenant, exit codes."""

from __future__ import annotations

from pathlib import Path

from switchboard.cli.main import main


def _new(tmp_path: Path, tenant: str) -> Path:
    assert main(["--tenants-dir", str(tmp_path), "tenant", "new", tenant]) == 0
    return tmp_path / tenant


def test_exit_0_when_valid_and_1_with_errors_naming_file_and_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _new(tmp_path, "good")
    bad = _new(tmp_path, "bad")
    config = bad / "config.yml"
    config.write_text(config.read_text().replace("MemoizationPolicy", "MemoPolicy"))
    capsys.readouterr()
    assert main(["--tenants-dir", str(tmp_path), "validate", "good"]) == 0
    assert capsys.readouterr().out.splitlines() == ["good: ok (0 errors, 0 warnings)"]
    assert main(["--tenants-dir", str(tmp_path), "validate"]) == 1
    lines = capsys.readouterr().out.splitlines()
    line = next(n for n, text in enumerate(config.read_text().splitlines(), start=1) if "MemoPolicy" in text)
    assert lines[0].startswith(f"bad/config.yml:{line}: error: unknown policy MemoPolicy")
    assert lines[1:] == ["bad: invalid (1 error, 0 warnings)", "good: ok (0 errors, 0 warnings)"]


def test_an_unknown_tenant_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main(["--tenants-dir", str(tmp_path), "validate", "nobody"]) == 2
    assert "no tenant folder" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys) -> None:
    assert main(["frobnicate"]) == 2
    assert main([]) == 2
