"""``switchboard validate``: every problem of the tenants as ``file:line: error: message``, a summary each."""

from __future__ import annotations

from pathlib import Path

from switchboard.cli.output import say
from switchboard.core.projects import TenantReport, validate_tenants


def print_reports(reports: list[TenantReport], relative_to: Path, *, warnings: bool = True) -> None:
    for report in reports:
        for problem in report.problems:
            if warnings or problem.is_error:
                say(problem.format(relative_to))
        say(report.summary())


def run(tenants_dir: Path, tenant_ids: list[str], *, warnings: bool = True) -> tuple[int, list[TenantReport]]:
    """Exit status 1 when any tenant has an error, and the reports."""
    reports = validate_tenants(tenants_dir, tenant_ids or None)
    print_reports(reports, Path.cwd(), warnings=warnings)
    return (0 if all(report.ok for report in reports) else 1), reports
