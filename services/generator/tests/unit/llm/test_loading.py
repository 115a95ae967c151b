"""Loading a local model folder: digest-based model ids, device checks, int8 quantization on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from switchboard.generator.llm import ModelArtifactError, ModelSettings
from switchboard.generator.llm.loading import folder_digest, load, resolve_device


def test_a_saved_folder_loads_with_its_eos_and_a_stable_model_id(tiny_folder: Path) -> None:
    loaded = load(tiny_folder, ModelSettings(path=tiny_folder))
    again = load(tiny_folder, ModelSettings(path=tiny_folder))
    assert loaded.model_id == again.model_id
    assert loaded.model_id.startswith("tiny-llama@") and loaded.model_id.endswith(":float32")
    assert loaded.eos_token_ids == {loaded.tokenizer.eos_token_id}
    assert loaded.device == "cpu" and torch.get_num_threads() == 1


def test_the_model_id_changes_with_the_config_and_with_quantization(tiny_folder: Path) -> None:
    before = folder_digest(tiny_folder)
    config = json.loads((tiny_folder / "config.json").read_text())
    config["rms_norm_eps"] = 1e-5 + 1e-9
    (tiny_folder / "config.json").write_text(json.dumps(config))
    assert folder_digest(tiny_folder) != before
    quantized = load(tiny_folder, ModelSettings(path=tiny_folder, quantize_int8=True))
    assert quantized.model_id.endswith(":float32+int8")
    linear = quantized.model.model.layers[0].mlp.down_proj
    assert "quantized" in type(linear).__module__, "Linear layers are replaced by dynamic int8 ones"
    with torch.inference_mode():
        logits = quantized.model(input_ids=torch.tensor([[1, 2, 3]])).logits
    assert logits.shape == (1, 3, len(quantized.tokenizer)) and torch.isfinite(logits).all()


def test_a_folder_without_a_config_is_refused_with_the_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="GENERATOR_MODEL__PATH"):
        load(tmp_path, ModelSettings(path=tmp_path))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without a GPU")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(ModelArtifactError, match="no CUDA device"):
        resolve_device(ModelSettings(device="cuda"))
    assert resolve_device(ModelSettings(device="auto")) == "cpu"
