"""Trains the assistant's dialogue model (``rasa train core``) and caches it by the data's hash.

A tenant folder is a Rasa 3 project: ``config.yml``, ``domain.yml`` (or a ``domain/`` folder) and
``data/``. The cache key is a SHA-256 over those files (names and bytes) and the Rasa version, so an
unchanged project reuses its model and any edit of them retrains; the tenant's other files (knowledge
base, channels, agents) never do. Models live outside git
(``DIALOGUE_ASSISTANT__CACHE_DIR``, by default ``.run/models``). Training is deterministic (rule and
memoization policies, no random initialisation) and takes seconds; its steps show on a progress bar.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import rasa
from tqdm import tqdm

from switchboard.core.logs import get_logger
from switchboard.dialogue.errors import DialoguePermanentError

log = get_logger(__name__)

PROJECT_SUFFIXES = (".yml", ".yaml")
# What Rasa trains the dialogue model from, relative to the project folder.
TRAINING_INPUTS = ("config.yml", "domain.yml", "domain", "data")


def domain_path(assistant_dir: Path) -> Path:
    """``domain/`` when the project splits its domain into files, else ``domain.yml``."""
    folder = assistant_dir / "domain"
    return folder if folder.is_dir() else assistant_dir / "domain.yml"


def _training_files(assistant_dir: Path) -> list[Path]:
    found: list[Path] = []
    for name in TRAINING_INPUTS:
        path = assistant_dir / name
        found.extend([path] if path.is_file() else (p for p in path.rglob("*") if p.is_file()))
    return sorted(found)


def assistant_digest(assistant_dir: Path) -> str:
    """Hash of the project's training inputs and the Rasa version; any change of them gives a new model."""
    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    for path in _training_files(assistant_dir):
        if path.suffix in PROJECT_SUFFIXES:
            digest.update(path.relative_to(assistant_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def model_version(assistant_dir: Path) -> str:
    """The version name of the project's model: the start of its digest."""
    return assistant_digest(assistant_dir)[:20]


def model_path(assistant_dir: Path, cache_dir: Path) -> Path:
    return cache_dir / f"dialogue-{model_version(assistant_dir)}.tar.gz"


def ensure_model(assistant_dir: Path, cache_dir: Path, *, show_progress: bool = True) -> Path:
    """The cached model of this project, trained first when there is none."""
    for required in (domain_path(assistant_dir), assistant_dir / "config.yml", assistant_dir / "data"):
        if not required.exists():
            raise DialoguePermanentError(f"the Rasa project {assistant_dir} lacks {required.name}")
    # Rasa's training cache (also touched when a model loads) goes next to the models, never into
    # the working directory.
    os.environ["RASA_CACHE_DIRECTORY"] = str(cache_dir / "rasa-cache")
    target = model_path(assistant_dir, cache_dir)
    if target.exists():
        log.info("dialogue.model.cached", path=str(target))
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tqdm(total=3, desc="dialogue model", unit="step", disable=not show_progress) as progress:
        progress.set_postfix_str("reading the assistant project")
        from rasa.model_training import train_core

        progress.update()
        progress.set_postfix_str("training core policies")
        with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
            trained = train_core(
                domain=str(domain_path(assistant_dir)),
                config=str(assistant_dir / "config.yml"),
                stories=str(assistant_dir / "data"),
                output=scratch,
                fixed_model_name="model",
            )
            if not trained:
                raise DialoguePermanentError(f"training the assistant in {assistant_dir} produced no model")
            progress.update()
            progress.set_postfix_str("caching the model")
            # Atomic within the cache folder: a concurrent start sees the whole file or none.
            staged = Path(scratch) / "staged.tar.gz"
            shutil.move(trained, staged)
            os.replace(staged, target)
        progress.update()
    log.info("dialogue.model.trained", path=str(target))
    return target
