"""``switchboard deploy configmaps``: the tenants' folders as Kubernetes ConfigMaps and a kustomize
Component that mounts them where every service reads its tenants (``/opt/tenants``).

One ConfigMap ``tenant-<id>`` per tenant. ConfigMap keys cannot hold ``/``, so a file's key is its
path with ``/`` written ``--`` and the mount maps each key back to ``<id>/<path>`` with ``items:``.
Every Switchboard Deployment but the action servers mounts all tenants at ``/opt/tenants`` (one
projected volume hiding the image's copy); a tenant's action server mounts only its own tenant,
since it runs the tenant's code. The files go in as they are: secrets stay ``env:VARIABLE``
references, filled from the Secret named in deploy/README.md. The output depends on the files
only (sorted, no dates), so a second run writes the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from switchboard.core.tenants import TENANT_ID, TenantError, load_tenant

# The tenants folder of every image (Dockerfile: INGEST_TENANTS_DIR, NLU_TENANTS_DIR, ...).
TENANTS_MOUNT = "/opt/tenants"
VOLUME = "tenants"
KUSTOMIZATION = "kustomization.yaml"
# What a service or action server reads; tests/, README.md and anything else stay out.
TOP_LEVEL_SUFFIXES = (".yaml", ".yml")
FOLDERS = ("data", "domain", "knowledge", "actions")
SKIPPED_PARTS = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyc", ".pyo")
KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
KEY_SEPARATOR = "--"
# The API server refuses objects over 1 MiB; keep room for the metadata.
MAX_DATA_BYTES = 1_000_000
# A secret written in a tenant's YAML as ``env:NAME`` (the ingest service's channel configuration).
ENV_REFERENCE = re.compile(r"^env:([A-Z_][A-Z0-9_]*)$")
ACTION_SERVER_SELECTOR = "app.kubernetes.io/component=action-server"
PLATFORM_SELECTOR = "app.kubernetes.io/part-of=switchboard,app.kubernetes.io/component!=action-server"
# The files a run owns in its output folder; others there are left alone.
GENERATED_GLOBS = ("tenant-*.yaml", "mount-*.yaml")
HEADER = "# Written by `switchboard deploy configmaps` from {source}; edit the tenant's files and run it again.\n"


class ConfigMapError(ValueError):
    """A tenant cannot become a ConfigMap; the message names the tenant and the file."""


@dataclass(frozen=True, slots=True)
class TenantFile:
    """One file of a tenant: its path inside the tenant folder, its ConfigMap key and its text."""

    path: str
    key: str
    text: str


@dataclass(frozen=True, slots=True)
class TenantConfigMap:
    """What one tenant becomes: the ConfigMap's name, its files, and what else the deployment needs."""

    tenant_id: str
    files: tuple[TenantFile, ...]
    env_references: tuple[str, ...]
    left_out: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"tenant-{self.tenant_id}"

    @property
    def has_action_server(self) -> bool:
        return any(f.path == "actions/__init__.py" for f in self.files)

    def manifest(self) -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "labels": {
                    "app.kubernetes.io/name": self.name,
                    "app.kubernetes.io/component": "tenant",
                    "app.kubernetes.io/part-of": "switchboard",
                },
            },
            "data": {f.key: f.text for f in self.files},
        }

    def projection(self) -> dict[str, object]:
        """The projected-volume source that puts every file at ``<id>/<path>`` under the mount."""
        items = [{"key": f.key, "path": f"{self.tenant_id}/{f.path}"} for f in self.files]
        return {"configMap": {"name": self.name, "items": items}}


def key_of(path: str) -> str:
    return path.replace("/", KEY_SEPARATOR)


def tenant_configmap(tenants_dir: Path, tenant_id: str) -> TenantConfigMap:
    """The ConfigMap of ``tenants_dir/tenant_id``; raises :class:`ConfigMapError` when it cannot be one."""
    if not TENANT_ID.fullmatch(tenant_id):
        raise ConfigMapError(
            f"{tenant_id!r} is not a tenant id: 2-32 characters, lowercase letters, digits and '-', "
            "starting with a letter"
        )
    folder = tenants_dir / tenant_id
    try:
        load_tenant(folder / "tenant.yaml")
    except TenantError as error:
        raise ConfigMapError(str(error)) from error
    chosen, left_out = _runtime_files(folder)
    files: list[TenantFile] = []
    by_key: dict[str, str] = {}
    for path in chosen:
        relative = path.relative_to(folder).as_posix()
        key = key_of(relative)
        if not KEY.fullmatch(key):
            raise ConfigMapError(
                f"{path}: a ConfigMap key allows letters, digits, '-', '_' and '.' only (and 253 of them); rename it"
            )
        if key in by_key:
            raise ConfigMapError(f"{path}: its key {key!r} is also the key of {folder / by_key[key]}; rename one")
        by_key[key] = relative
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ConfigMapError(f"{path}: not UTF-8 text, which a ConfigMap's data needs") from error
        files.append(TenantFile(relative, key, text))
    size = sum(len(f.key) + len(f.text.encode("utf-8")) for f in files)
    if size > MAX_DATA_BYTES:
        raise ConfigMapError(
            f"{folder}: {size} bytes of files; a ConfigMap holds at most {MAX_DATA_BYTES} (move knowledge out)"
        )
    references = sorted({name for f in files if "/" not in f.path for name in _env_references(folder, f)})
    return TenantConfigMap(tenant_id, tuple(files), tuple(references), left_out)


def _env_references(folder: Path, file: TenantFile) -> set[str]:
    """The ``env:NAME`` values anywhere in one of the tenant's own top-level YAML files."""
    try:
        document = yaml.safe_load(file.text)
    except yaml.YAMLError as error:
        raise ConfigMapError(f"{folder / file.path}: not valid YAML: {error}") from error
    found: set[str] = set()
    todo = [document]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            todo += value.values()
        elif isinstance(value, list):
            todo += value
        elif isinstance(value, str) and (match := ENV_REFERENCE.match(value)):
            found.add(match.group(1))
    return found


def _runtime_files(folder: Path) -> tuple[list[Path], tuple[str, ...]]:
    """The files a deployment reads, sorted by path, and the top-level names left out."""
    chosen: list[Path] = []
    left_out: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix in TOP_LEVEL_SUFFIXES:
            chosen.append(entry)
        elif entry.is_dir() and entry.name in FOLDERS:
            chosen += [
                path
                for path in sorted(entry.rglob("*"))
                if path.is_file()
                and path.suffix not in SKIPPED_SUFFIXES
                and not any(part in SKIPPED_PARTS or part.startswith(".") for part in path.relative_to(folder).parts)
            ]
        else:
            left_out.append(entry.name + ("/" if entry.is_dir() else ""))
    return sorted(chosen, key=lambda p: p.relative_to(folder).as_posix()), tuple(left_out)


@dataclass(frozen=True, slots=True)
class MountPatch:
    """One JSON patch file of the Component: the Deployments it targets and the tenants they mount."""

    file: str
    target: dict[str, str]
    configmaps: tuple[TenantConfigMap, ...]

    def operations(self) -> list[dict[str, object]]:
        """Adds the read-only tenants volume to the pod and mounts it in the first (the service's) container."""
        volume = {"name": VOLUME, "projected": {"sources": [c.projection() for c in self.configmaps]}}
        mount = {"name": VOLUME, "mountPath": TENANTS_MOUNT, "readOnly": True}
        return [
            {"op": "add", "path": "/spec/template/spec/volumes/-", "value": volume},
            {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-", "value": mount},
        ]


def mount_patches(configmaps: list[TenantConfigMap]) -> list[MountPatch]:
    """Every platform Deployment mounts every tenant; an action server only its own tenant."""
    patches = [
        MountPatch("mount-tenants.yaml", {"kind": "Deployment", "labelSelector": PLATFORM_SELECTOR}, tuple(configmaps))
    ]
    patches += [
        MountPatch(f"mount-actions-{c.tenant_id}.yaml", {"kind": "Deployment", "name": f"actions-{c.tenant_id}"}, (c,))
        for c in configmaps
        if c.has_action_server
    ]
    return patches


def component(configmaps: list[TenantConfigMap], patches: list[MountPatch]) -> dict[str, object]:
    """The kustomize Component: the ConfigMaps, and the mounts as JSON patches of the Deployments."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "resources": [f"{c.name}.yaml" for c in configmaps],
        "patches": [{"path": patch.file, "target": patch.target} for patch in patches],
    }


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text as a ``|`` block, so a ConfigMap reads (and diffs) like the file it holds."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def _dump(document: object) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


@dataclass(frozen=True, slots=True)
class Written:
    """What a run wrote: the tenants, and the generated files it removed (tenants no longer asked for)."""

    configmaps: tuple[TenantConfigMap, ...]
    removed: tuple[Path, ...]


def write(tenants_dir: Path, tenant_ids: list[str], out: Path) -> Written:
    """Writes ``tenant-<id>.yaml`` per tenant and ``kustomization.yaml`` into ``out``; nothing when any
    tenant fails (the error names it)."""
    ids = sorted(set(tenant_ids)) if tenant_ids else tenants_in(tenants_dir)
    if not ids:
        raise ConfigMapError(f"no tenant folder with a tenant.yaml under {tenants_dir}")
    configmaps = [tenant_configmap(tenants_dir, tenant_id) for tenant_id in ids]
    out.mkdir(parents=True, exist_ok=True)
    source = _shown(tenants_dir)
    patches = mount_patches(configmaps)
    wanted = {f"{c.name}.yaml" for c in configmaps} | {patch.file for patch in patches}
    owned = sorted(path for pattern in GENERATED_GLOBS for path in out.glob(pattern))
    removed = tuple(path for path in owned if path.name not in wanted)
    for path in removed:
        path.unlink()
    header = HEADER.format(source=source)
    for configmap in configmaps:
        secrets = ", ".join(configmap.env_references) or "none"
        note = f"# env: references in these files, to be set from a Secret: {secrets}\n"
        _write_text(out / f"{configmap.name}.yaml", header + note + _dump(configmap.manifest()))
    for patch in patches:
        _write_text(out / patch.file, header + _dump(patch.operations()))
    _write_text(out / KUSTOMIZATION, header + _dump(component(configmaps, patches)))
    return Written(tuple(configmaps), removed)


def tenants_in(tenants_dir: Path) -> list[str]:
    """Every folder with a ``tenant.yaml``, sorted; a folder whose name is no tenant id is refused later."""
    return sorted(path.parent.name for path in tenants_dir.glob("*/tenant.yaml"))


def _shown(tenants_dir: Path) -> str:
    """The tenants folder as the header names it: its own name, so the output is the same on every machine."""
    return f"{tenants_dir.resolve().name}/"


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")
