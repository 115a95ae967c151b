"""Loads a local transformers causal LM for serving: device, dtype, CPU threads, optional int8 quantization."""

from __future__ import annotations

import hashlib
import os
import struct
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchboard.core.logs import get_logger
from switchboard.generator.llm.errors import ModelArtifactError
from switchboard.generator.llm.requests import Decoder
from switchboard.generator.llm.settings import ModelSettings

log = get_logger(__name__)

_METADATA_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A model ready to decode, with its tokenizer and the facts the runtime needs about it."""

    model: Any
    tokenizer: Any
    device: str
    model_id: str
    eos_token_ids: frozenset[int]
    pad_token_id: int

    @property
    def decoder(self) -> Decoder:
        """The model and its end and pad token ids, as a scheduler decodes with them."""
        return Decoder(self.model, self.eos_token_ids, self.pad_token_id)


def offline() -> None:
    """Keeps transformers and huggingface_hub off the network; every load also passes local_files_only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def resolve_device(settings: ModelSettings) -> str:
    """cpu or cuda; ``auto`` picks cuda when torch sees a GPU. Asking for cuda without one is an error."""
    import torch

    if settings.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if settings.device == "cuda" and not torch.cuda.is_available():
        raise ModelArtifactError("GENERATOR_MODEL__DEVICE=cuda but torch sees no CUDA device; set it to cpu or auto")
    return settings.device


def resolve_dtype(settings: ModelSettings, device: str) -> Any:
    import torch

    if settings.dtype == "auto":
        return torch.bfloat16 if device == "cuda" else torch.float32
    return getattr(torch, settings.dtype)


def folder_digest(path: Path) -> str:
    """A digest of a model folder's metadata and weight layout, cheap even for large models.

    Covers the config, generation config and tokenizer files, and each safetensors file's size and header
    (tensor names, dtypes, shapes and offsets); a re-converted or re-quantized model gets a new digest.
    """
    digest = hashlib.sha256()
    for name in _METADATA_FILES:
        file = path / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + file.read_bytes())
    for weights in sorted(path.glob("*.safetensors")):
        with weights.open("rb") as handle:
            (header_size,) = struct.unpack("<Q", handle.read(8))
            digest.update(weights.name.encode() + str(weights.stat().st_size).encode() + handle.read(header_size))
    for weights in sorted(path.glob("*.bin")):
        digest.update(weights.name.encode() + str(weights.stat().st_size).encode())
    return digest.hexdigest()


def model_id_for(path: Path, settings: ModelSettings, dtype: Any) -> str:
    """``<folder name>@<digest>``, plus the options that change the text the model writes."""
    options = str(dtype).removeprefix("torch.") + ("+int8" if settings.quantize_int8 else "")
    return f"{path.name}@{folder_digest(path)[:16]}:{options}"


def load(path: Path, settings: ModelSettings) -> LoadedModel:
    """Loads tokenizer and model from a local folder (blocking: run it in a thread)."""
    offline()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not (path / "config.json").is_file():
        raise ModelArtifactError(
            f"{path} is not a transformers model folder (no config.json); check GENERATOR_MODEL__PATH"
        )
    device = resolve_device(settings)
    dtype = resolve_dtype(settings, device)
    if device == "cpu":
        torch.set_num_threads(settings.torch_threads)
    started = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=dtype).to(device).eval()
    if settings.quantize_int8:
        if device != "cpu":
            raise ModelArtifactError("GENERATOR_MODEL__QUANTIZE_INT8 applies to the cpu device only; unset it")
        with warnings.catch_warnings():
            # torch.ao's eager quantization is deprecated in favour of torchao, which this environment lacks.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    eos = _eos_token_ids(model, tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(eos)
    model_id = model_id_for(path, settings, dtype)
    log.info(
        "generator.model.loaded",
        model_id=model_id,
        device=device,
        seconds=round(time.monotonic() - started, 2),
        parameters=sum(p.numel() for p in model.parameters()),
        chat_template=bool(getattr(tokenizer, "chat_template", None)),
    )
    return LoadedModel(model, tokenizer, device, model_id, eos, pad)


def _eos_token_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    ids: set[int] = set()
    for source in (getattr(model, "generation_config", None), model.config):
        value = getattr(source, "eos_token_id", None)
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list):
            ids.update(value)
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    if not ids:
        raise ModelArtifactError("the model declares no end-of-sequence token; add eos_token_id to its config")
    return frozenset(ids)
