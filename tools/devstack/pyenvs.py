"""The two pinned Python environments: ``services`` (3.11) and ``dialogue`` (3.10, for Rasa 3.6).

An environment is (re)installed only when its lock file changed, and its protobuf stubs are
regenerated only when ``proto/`` changed, so a warm run costs a few hash computations.
pip's wheel cache stays in pip's default place, outside the repository.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devstack import paths
from devstack.errors import DevstackError
from devstack.progress import run_checked, run_logged, say

VENVS_DIR = paths.REPO_ROOT / ".venvs"
PROTO_DIR = paths.REPO_ROOT / "proto"


@dataclass(frozen=True, slots=True)
class PyEnv:
    """One pinned environment and the project packages it runs."""

    name: str
    python: str  # major.minor
    packages: tuple[str, ...]  # source folders (with src/) put on the path

    @property
    def lock(self) -> Path:
        return paths.REPO_ROOT / "requirements" / f"{self.name}.lock"

    @property
    def inputs(self) -> Path:
        return paths.REPO_ROOT / "requirements" / f"{self.name}.in"

    @property
    def unresolved(self) -> Path:
        """Optional ``<env>-nodeps.in``: exact pins installed without dependency resolution (see the file)."""
        return paths.REPO_ROOT / "requirements" / f"{self.name}-nodeps.in"

    @property
    def root(self) -> Path:
        return VENVS_DIR / self.name

    @property
    def interpreter(self) -> Path:
        return self.root / "bin" / "python"


ENVIRONMENTS = {
    "services": PyEnv(
        "services",
        "3.11",
        ("lib/core", "services/ingest", "services/nlu", "services/generator", "services/handoff"),
    ),
    "dialogue": PyEnv("dialogue", "3.10", ("lib/core", "services/dialogue")),
}


def find_python(version: str) -> str:
    """A working ``python<version>`` from pyenv's versions or PATH; a clear error when there is none.

    pyenv's shims are on PATH even for versions that are not selected (they then fail), so each
    candidate is run once before it is trusted.
    """
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / f"python{version}")))[::-1]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise DevstackError(
        f"Python {version} is needed and was not found on PATH or under {pyenv_root}/versions; "
        f"install it (for example `pyenv install {version}`) and run again"
    )


def _digest(*files: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(paths.REPO_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _marker(env: PyEnv, what: str) -> Path:
    return env.root / f".switchboard-{what}"


def _site_packages(env: PyEnv) -> Path:
    out = run_checked(
        [str(env.interpreter), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        f"locating site-packages of {env.name}",
    )
    return Path(out.strip())


def ensure(env: PyEnv) -> Path:
    """Creates or updates ``env`` so it matches its lock file and ``proto/``; returns its python."""
    if not env.interpreter.exists():
        python = find_python(env.python)
        say(f"==> creating the {env.name} environment with {python}")
        run_checked([python, "-m", "venv", str(env.root)], f"creating {env.root}")
    lock_digest = _digest(env.lock)
    if not _marker(env, "lock").exists() or _marker(env, "lock").read_text() != lock_digest:
        _install_lock(env)
        _marker(env, "lock").write_text(lock_digest)
    site = _site_packages(env)
    pth = site / "switchboard-local.pth"
    sources = "".join(f"{paths.REPO_ROOT / package / 'src'}\n" for package in env.packages)
    if not pth.exists() or pth.read_text() != sources:
        pth.write_text(sources)
    proto_digest = _digest(*sorted(PROTO_DIR.rglob("*.proto")), env.lock)
    if not _marker(env, "proto").exists() or _marker(env, "proto").read_text() != proto_digest:
        run_checked(
            [str(env.interpreter), "-m", "switchboard.core.protogen", "--proto-dir", str(PROTO_DIR), "--out", str(site)],
            f"generating protobuf stubs in {env.name}",
        )
        _marker(env, "proto").write_text(proto_digest)
        say(f"    protobuf stubs generated into {env.name}")
    return env.interpreter


def wheelhouse(env: PyEnv) -> Path:
    """Wheels of every pin, kept outside the repo and reused by later installs."""
    return paths.cache_dir() / "wheels" / f"py{env.python}"


def _install_lock(env: PyEnv) -> None:
    """Installs the lock from the wheelhouse, filling the wheelhouse from PyPI first when needed.

    The package index may forbid HTTP caching, so pip's own cache cannot be relied on; the
    wheelhouse is our cache (sdists are built into wheels once).
    """
    count = sum(1 for line in env.lock.read_text().splitlines() if line and not line.startswith("#"))
    house = wheelhouse(env)
    house.mkdir(parents=True, exist_ok=True)
    pip = [str(env.interpreter), "-m", "pip"]
    offline = [*pip, "install", "--no-deps", "--no-index", "--find-links", str(house), "-r", str(env.lock)]
    try:
        run_logged(f"installing {count} pinned packages into {env.name} from {house}", offline, env.root / "install.log")
        return
    except DevstackError:
        say("    some wheels are not cached yet; fetching them")
    run_logged(
        f"downloading and building wheels for {env.name} (Python {env.python}; first time takes minutes)",
        [*pip, "wheel", "--no-deps", "--use-pep517", "--progress-bar", "off", "--find-links", str(house), "-w", str(house), "-r", str(env.lock)],
        env.root / "wheel.log",
    )
    run_logged(f"installing {count} pinned packages into {env.name}", offline, env.root / "install.log")


def ensure_all() -> dict[str, Path]:
    return {name: ensure(env) for name, env in ENVIRONMENTS.items()}


def relock(env: PyEnv) -> None:
    """Resolves ``<env>.in`` in ONE pip call in a scratch venv and writes ``<env>.lock``.

    One call matters for the dialogue environment: a second pip call on top of Rasa 3.6 breaks
    its protobuf and click pins. Pins in ``<env>-nodeps.in`` are then added with ``--no-deps``: a
    package whose declared caps conflict with the resolved set only in a part of it we never use.
    """
    python = find_python(env.python)
    with tempfile.TemporaryDirectory(prefix=f"switchboard-lock-{env.name}-") as scratch:
        venv = Path(scratch) / "venv"
        run_checked([python, "-m", "venv", str(venv)], "creating a scratch environment")
        run_logged(
            f"resolving {env.inputs.name}",
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--progress-bar", "off", "-r", str(env.inputs)],
            Path(scratch) / "resolve.log",
        )
        if env.unresolved.exists():
            run_logged(
                f"adding {env.unresolved.name} without resolution",
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--progress-bar", "off",
                 "-r", str(env.unresolved)],
                Path(scratch) / "nodeps.log",
            )
        frozen = run_checked([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all"], "freezing")
    pins = [line for line in frozen.splitlines() if line.split("==")[0] not in {"pip", "setuptools", "wheel"}]
    header = f"# Generated by 'make lock' from {env.inputs.name} for Python {env.python}; do not edit by hand.\n"
    env.lock.write_text(header + "\n".join(pins) + "\n")
    say(f"    wrote {env.lock.relative_to(paths.REPO_ROOT)} ({len(pins)} pins)")


def size_mb(env: PyEnv) -> float:
    total = sum(path.stat().st_size for path in env.root.rglob("*") if path.is_file() and not path.is_symlink())
    return total / 1e6


__all__ = ["ENVIRONMENTS", "PyEnv", "ensure", "ensure_all", "find_python", "relock", "size_mb"]
