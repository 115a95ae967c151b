"""The two pinned Python environments: ``services`` (3.11) and ``dialogue`` (3.10, for Rasa 3.6).

Each gets its production lock (what the images install) and, on top, its development lock (test
and lint tools). A lock is (re)installed only when it changed, and protobuf stubs are regenerated
only when ``proto/`` changed, so a warm run costs a few hash computations. Wheels are kept in a
wheelhouse in the download cache, outside the repository.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devstack import paths
from devstack.errors import DevstackError
from devstack.progress import run_checked, run_logged, say

VENVS_DIR = paths.REPO_ROOT / ".venvs"
UPDATE_GB = 1.0  # headroom asked for when an existing environment follows a changed lock
PROTO_DIR = paths.REPO_ROOT / "proto"


@dataclass(frozen=True, slots=True)
class PyEnv:
    """One pinned environment and the project packages it runs."""

    name: str
    python: str  # major.minor
    packages: tuple[str, ...]  # source folders (with src/) put on the path
    install_gb: float  # disk a new environment takes (measured, rounded up)
    wheels_gb: float  # disk its wheels take in the wheelhouse

    def _requirements(self, suffix: str) -> Path:
        return paths.REPO_ROOT / "requirements" / f"{self.name}{suffix}"

    @property
    def lock(self) -> Path:
        """Production pins: what the images install."""
        return self._requirements(".lock")

    @property
    def inputs(self) -> Path:
        return self._requirements(".in")

    @property
    def dev_lock(self) -> Path:
        """Development pins (tests, lint) installed on top of :attr:`lock`; never in an image."""
        return self._requirements("-dev.lock")

    @property
    def dev_inputs(self) -> Path:
        return self._requirements("-dev.in")

    @property
    def unresolved(self) -> Path:
        """Optional ``<env>-nodeps.in``: exact pins installed without dependency resolution (see the file)."""
        return self._requirements("-nodeps.in")

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
        ("lib/core", "lib/cli", "services/ingest", "services/nlu", "services/generator", "services/handoff"),
        install_gb=7.0,
        wheels_gb=3.5,
    ),
    "dialogue": PyEnv("dialogue", "3.10", ("lib/core", "services/dialogue"), install_gb=3.0, wheels_gb=1.0),
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
    # The development marker covers both locks: reinstalling the production lock may replace a
    # package the development pins were checked against.
    for marker, lock, digest in (
        ("lock", env.lock, _digest(env.lock)),
        ("dev-lock", env.dev_lock, _digest(env.lock, env.dev_lock)),
    ):
        if not _marker(env, marker).exists() or _marker(env, marker).read_text() != digest:
            _install_lock(env, lock)
            _marker(env, marker).write_text(digest)
    site = _site_packages(env)
    pth = site / "switchboard-local.pth"
    sources = "".join(f"{paths.REPO_ROOT / package / 'src'}\n" for package in env.packages)
    if not pth.exists() or pth.read_text() != sources:
        pth.write_text(sources)
    proto_digest = _digest(*sorted(PROTO_DIR.rglob("*.proto")), env.lock)
    if not _marker(env, "proto").exists() or _marker(env, "proto").read_text() != proto_digest:
        protogen = [str(env.interpreter), "-m", "switchboard.core.protogen"]
        run_checked(
            [*protogen, "--proto-dir", str(PROTO_DIR), "--out", str(site)], f"generating protobuf stubs in {env.name}"
        )
        _marker(env, "proto").write_text(proto_digest)
        say(f"    protobuf stubs generated into {env.name}")
    return env.interpreter


def wheelhouse(env: PyEnv) -> Path:
    """Wheels of every pin, kept outside the repo and reused by later installs."""
    return paths.cache_dir() / "wheels" / f"py{env.python}"


def _canonical(name: str) -> str:
    """A distribution name as wheel file names spell it (PEP 427 escaping, lower case)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def pins(lock: Path) -> dict[str, str]:
    """``name==version`` lines of a lock file, by canonical name."""
    found: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and not name.startswith("#"):
            found[_canonical(name)] = version
    return found


def _wheel_key(wheel: Path) -> tuple[str, str]:
    """(canonical name, version) from a wheel file name."""
    name, version = wheel.name.split("-")[:2]
    return _canonical(name), version


def missing_wheels(wanted: dict[str, str], house: Path) -> list[str]:
    """The pins (as ``name==version``) that have no wheel in ``house``."""
    present = {_wheel_key(wheel) for wheel in house.glob("*.whl")}
    return [f"{name}=={version}" for name, version in wanted.items() if (name, version) not in present]


def prune_superseded(wanted: dict[str, str], house: Path) -> int:
    """Deletes wheels of pinned packages at versions the lock no longer pins; returns bytes freed.

    A bumped lock would otherwise leave every old torch and CUDA wheel behind (gigabytes). Wheels
    of packages the lock does not mention are kept: another checkout may still use them.
    """
    freed = 0
    for wheel in house.glob("*.whl"):
        name, version = _wheel_key(wheel)
        if name in wanted and wanted[name] != version:
            freed += wheel.stat().st_size
            wheel.unlink()
    return freed


def _require_space(env: PyEnv, house: Path, fetching: bool) -> None:
    """Fails before pip does, with the figures, when the disk cannot hold what this step writes."""
    needs = [(env.root, env.install_gb if not _marker(env, "lock").exists() else UPDATE_GB)]
    if fetching:
        needs.append((house, env.wheels_gb))
    by_disk: dict[int, tuple[Path, float]] = {}
    for path, gigabytes in needs:
        existing = next(parent for parent in (path, *path.parents) if parent.exists())
        device = existing.stat().st_dev
        held = by_disk.get(device, (existing, 0.0))[1]
        by_disk[device] = (existing, held + gigabytes)
    for existing, gigabytes in by_disk.values():
        free = shutil.disk_usage(existing).free / 1e9
        if free < gigabytes:
            raise DevstackError(
                f"installing the {env.name} environment needs about {gigabytes:.1f} GB free on the disk "
                f"holding {existing}, and {free:.1f} GB is free. Free some space (stopped stacks' data: "
                f"`make clean-state`), or put the download cache on a larger disk with SWITCHBOARD_CACHE_DIR"
            )


def _install_lock(env: PyEnv, lock: Path) -> None:
    """Installs ``lock`` into ``env`` from the wheelhouse, fetching into the wheelhouse only the wheels it lacks.

    The package index may forbid HTTP caching, so pip's own cache cannot be relied on; the
    wheelhouse is our cache (sdists are built into wheels once). What is missing is decided by
    file name before pip runs, so a failing install (a full disk, say) is reported as itself
    instead of being retried as a download.
    """
    wanted = pins(lock)
    house = wheelhouse(env)
    house.mkdir(parents=True, exist_ok=True)
    missing = missing_wheels(wanted, house)
    _require_space(env, house, fetching=bool(missing))
    pip = [str(env.interpreter), "-m", "pip"]
    if missing:
        say(f"    {len(missing)} of {len(wanted)} wheels are not cached yet; fetching them")
        wanted_file = env.root / f"missing-wheels-{lock.stem}.txt"
        wanted_file.write_text("\n".join(missing) + "\n")
        run_logged(
            f"downloading and building {len(missing)} wheel{'s' if len(missing) > 1 else ''} for {env.name} "
            f"(Python {env.python}; first time takes minutes)",
            [
                *pip,
                "wheel",
                "--no-deps",
                "--use-pep517",
                "--no-cache-dir",
                "--progress-bar",
                "off",
                "--find-links",
                str(house),
                "-w",
                str(house),
                "-r",
                str(wanted_file),
            ],
            env.root / "wheel.log",
        )
        wanted_file.unlink()
    # --no-compile: Python writes the bytecode of what it imports on first use; compiling all
    # of torch and CUDA's Python files up front cost 0.4 GB of disk and a third of the install time.
    run_logged(
        f"installing {len(wanted)} pinned packages of {lock.name} into {env.name} from {house}",
        [*pip, "install", "--no-deps", "--no-index", "--no-compile", "--find-links", str(house), "-r", str(lock)],
        env.root / "install.log",
    )
    freed = prune_superseded(wanted, house)
    if freed:
        say(f"    removed {freed / 1e6:.0f} MB of wheels the lock no longer pins from {house}")


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
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--no-deps",
                    "--progress-bar",
                    "off",
                    "-r",
                    str(env.unresolved),
                ],
                Path(scratch) / "nodeps.log",
            )
        frozen = run_checked([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all"], "freezing")
    _write_lock(env, env.inputs, env.lock, _frozen_pins(frozen, exclude=set()))
    _relock_dev(env, python)


def _relock_dev(env: PyEnv, python: str) -> None:
    """Resolves ``<env>-dev.in`` constrained by the production lock; writes only the pins it adds.

    The constraint keeps every shared dependency at its production version, so installing the
    development lock on top (``--no-deps``) never changes what production runs.
    """
    with tempfile.TemporaryDirectory(prefix=f"switchboard-lock-{env.name}-dev-") as scratch:
        venv = Path(scratch) / "venv"
        run_checked([python, "-m", "venv", str(venv)], "creating a scratch environment")
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        run_logged(
            f"resolving {env.dev_inputs.name} against {env.lock.name}",
            [*pip, "install", "--progress-bar", "off", "-r", str(env.dev_inputs), "-c", str(env.lock)],
            Path(scratch) / "resolve.log",
        )
        frozen = run_checked([*pip, "freeze", "--all"], "freezing")
    _write_lock(env, env.dev_inputs, env.dev_lock, _frozen_pins(frozen, exclude=set(pins(env.lock))))


def _frozen_pins(frozen: str, exclude: set[str]) -> list[str]:
    """``pip freeze`` lines without pip's own tools and without the canonical names in ``exclude``."""
    tools = {"pip", "setuptools", "wheel"}
    return [
        line
        for line in frozen.splitlines()
        if line.split("==")[0] not in tools and _canonical(line.split("==")[0]) not in exclude
    ]


def _write_lock(env: PyEnv, inputs: Path, lock: Path, lines: list[str]) -> None:
    header = f"# Generated by 'make lock' from {inputs.name} for Python {env.python}; do not edit by hand.\n"
    lock.write_text(header + "\n".join(lines) + "\n")
    say(f"    wrote {lock.relative_to(paths.REPO_ROOT)} ({len(lines)} pins)")


def size_mb(env: PyEnv) -> float:
    total = sum(path.stat().st_size for path in env.root.rglob("*") if path.is_file() and not path.is_symlink())
    return total / 1e6


__all__ = [
    "ENVIRONMENTS",
    "PyEnv",
    "ensure",
    "ensure_all",
    "find_python",
    "missing_wheels",
    "pins",
    "prune_superseded",
    "relock",
    "size_mb",
]
