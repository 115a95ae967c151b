"""Checks of our own files in a tenant folder: the required files, ``tenant.yaml``, ``channels.yaml`` and
``copy.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from switchboard.core.copy import COPY_FILE, parse_copy
from switchboard.core.projects.located import LocatedDict, line_of
from switchboard.core.projects.problems import Findings
from switchboard.core.projects.project import Project, domain_files
from switchboard.core.tenants import Tenant

# (file, why it is needed, error when missing); a Rasa project needs the first three.
REQUIRED = (
    ("config.yml", "Rasa's dialogue policies", True),
    ("tenant.yaml", "the tenant's id, languages and hours", True),
    ("channels.yaml", "no channel reaches this tenant without it (ingest reads its keys)", False),
    ("agents.yaml", "no person can take a handed-off conversation", False),
    ("handoff.yaml", "handoff reasons and queues fall back to the defaults", False),
    ("calibration.yml", "the fallback threshold is calibrated without out-of-scope examples", False),
    ("tests/test_stories.yml", "`switchboard test` has no stories to run", False),
)
# Keys a channel section needs (see the ingest service's channel configuration).
CHANNEL_KEYS = {
    "web": ("session_secret", "rest_api_key"),
    "wechat": ("app_id", "app_secret", "token"),
    "voice": ("auth_token",),
}


def check_required(project: Project, findings: Findings) -> None:
    folder = project.folder
    for name, why, is_error in REQUIRED:
        if not (folder / name).exists():
            (findings.error if is_error else findings.warning)(folder / name, None, f"missing: {why}")
    if not domain_files(folder):
        findings.error(folder / "domain.yml", None, "missing: a Rasa project needs domain.yml or a domain/ folder")
    if not (folder / "data").is_dir():
        findings.error(folder / "data", None, "missing: data/ holds the NLU examples, stories and rules")
    elif not project.data.examples and not any(p.is_relative_to(folder / "data") for p in project.broken):
        findings.error(folder / "data", None, "no nlu: examples under data/: the NLU service has nothing to train")


def load_tenant_file(project: Project, findings: Findings) -> Tenant | None:
    """``tenant.yaml`` checked with the rules of ``switchboard.core.tenants``; None when it is unusable."""
    path = project.folder / "tenant.yaml"
    document = project.documents.get(path)
    if path not in project.documents:
        return None
    if not isinstance(document, LocatedDict):
        findings.error(path, line_of(document, 1), "expected a mapping at the top level (id:, name:, languages:)")
        return None
    try:
        tenant = Tenant(**{str(key): _plain(value) for key, value in document.items()})
    except ValidationError as error:
        for item in error.errors():
            location = [str(part) for part in item["loc"]]
            findings.error(path, _line(document, location), f"{'.'.join(location)}: {item['msg']}")
        return None
    for problem in tenant.problems():
        field = problem.split(":", 1)[0]
        findings.error(path, _line(document, field.split(".")), problem)
    if tenant.id != project.folder.name:
        findings.error(
            path, document.line_of("id"), f"id {tenant.id!r} must match its folder name {project.folder.name!r}"
        )
    return tenant


def _plain(value: Any) -> Any:
    """Located values as plain ones: pydantic 1 keeps ``str`` subclasses, whose extra attributes do not belong."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def _line(document: LocatedDict, location: list[str]) -> int | None:
    """The line of the deepest key of ``location`` that the document has."""
    line: int | None = document.line
    node: Any = document
    for part in location:
        if isinstance(node, LocatedDict) and part in node:
            line = node.line_of(part)
            node = node[part]
        else:
            break
    return line


def check_channels(project: Project, tenant: Tenant | None, findings: Findings) -> None:
    path = project.folder / "channels.yaml"
    if path not in project.documents:
        return
    document = project.documents[path]
    if document is None:
        document = LocatedDict()
    if not isinstance(document, LocatedDict):
        findings.error(path, line_of(document, 1), "expected a mapping of channels (web:, wechat:, voice:)")
        return
    for name, keys in CHANNEL_KEYS.items():
        switched_on = tenant is None or getattr(tenant.channels, name)
        section = document.get(name)
        if section is None:
            if tenant is not None and switched_on:
                findings.warning(path, None, f"{name} is switched on in tenant.yaml but has no {name}: section here")
            continue
        if not isinstance(section, LocatedDict):
            findings.error(path, document.line_of(name), f"{name}: expected a mapping")
            continue
        for key in keys:
            if not section.get(key):
                findings.error(path, document.line_of(name), f"{name}.{key}: required")


def check_copy(project: Project, findings: Findings) -> None:
    """``copy.yaml`` checked with the rules of ``switchboard.core.copy``: unknown keys, languages and placeholders,
    each at its line. A missing file is fine: the platform's copy applies."""
    path = project.folder / COPY_FILE
    if path not in project.documents:
        return
    document = project.documents[path]
    _, problems = parse_copy(_plain(document))
    for problem in problems:
        line = _line(document, list(problem.key)) if isinstance(document, LocatedDict) else line_of(document, 1)
        findings.error(path, line, problem.format())


def tenant_languages(tenant: Tenant | None) -> tuple[list[str], str] | None:
    """The tenant's languages and its default one, when ``tenant.yaml`` was usable."""
    if tenant is None:
        return None
    return [str(code) for code in tenant.languages], str(tenant.default_language)


def relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)
