"""Validation of tenant folders: every check over one folder, and every tenant of a folder independently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from switchboard.core.projects import config, consistency, knowledge, tenant_files
from switchboard.core.projects.problems import Findings, Problem, Severity
from switchboard.core.projects.project import Project, read_project


@dataclass(frozen=True, slots=True)
class TenantReport:
    """The problems of one tenant folder."""

    tenant_id: str
    folder: Path
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """``demo: ok (2 warnings)`` or ``shop: 3 errors, 1 warning``."""
        errors, warnings = len(self.errors), len(self.warnings)
        counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        return f"{self.tenant_id}: {'ok' if not errors else 'invalid'} ({counts})"


def validate_tenant(folder: Path) -> list[Problem]:
    """Every problem of the tenant folder ``folder``, errors and warnings, in file and line order.

    Never raises on the folder's content: a check that fails unexpectedly becomes an error problem,
    so the caller always gets a report."""
    findings = Findings()
    if not folder.is_dir():
        findings.error(folder, None, "not a folder")
        return findings.sorted()
    project = _guarded(findings, folder, "reading the project", lambda: read_project(folder, findings))
    if project is None:
        return findings.sorted()
    tenant = _guarded(findings, folder, "tenant.yaml", lambda: tenant_files.load_tenant_file(project, findings))
    languages = tenant_files.tenant_languages(tenant)
    checks: list[tuple[str, Callable[[Project, Findings], None]]] = [
        ("required files", tenant_files.check_required),
        ("channels.yaml", lambda p, f: tenant_files.check_channels(p, tenant, f)),
        ("copy.yaml", tenant_files.check_copy),
        ("config.yml", config.check_config),
        ("NLU data", consistency.check_nlu_data),
        ("stories and rules", consistency.check_steps),
        ("response languages", lambda p, f: consistency.check_response_languages(p, languages, f)),
        ("custom actions", consistency.check_action_endpoint),
        ("knowledge base", lambda p, f: knowledge.check_knowledge(p, tenant, f)),
    ]
    for name, check in checks:
        _guarded(findings, folder, name, lambda check=check: check(project, findings))
    return findings.sorted()


def _guarded(findings: Findings, folder: Path, name: str, run: Callable[[], object]) -> object:
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - one failing check must not hide the others' findings
        findings.error(folder, None, f"checking {name} failed: {type(error).__name__}: {error}")
        return None


def tenant_folders(folder: Path) -> list[Path]:
    """The tenant folders under ``folder``: every sub-folder not hidden and not starting with '_'."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def validate_tenants(folder: Path, tenant_ids: list[str] | None = None) -> list[TenantReport]:
    """A report per tenant of ``folder`` (or of ``tenant_ids``), each validated on its own: one broken
    tenant never stops the others from being checked or, at service start, from being served."""
    folders = [folder / tenant_id for tenant_id in tenant_ids] if tenant_ids else tenant_folders(folder)
    return [TenantReport(path.name, path, tuple(validate_tenant(path))) for path in folders]
