"""Tenant projects checked before they run: a tenant folder is a Rasa 3 project plus our own files.

``validate_tenant(folder)`` lists every ``Problem`` (file, line, severity, message) without importing
Rasa, so the CLI (``switchboard validate``) and each service at startup report the same mistakes the
same way; ``validate_tenants`` checks each tenant of a folder on its own.
"""

from switchboard.core.projects.problems import Problem, Severity
from switchboard.core.projects.validate import TenantReport, tenant_folders, validate_tenant, validate_tenants

__all__ = ["Problem", "Severity", "TenantReport", "tenant_folders", "validate_tenant", "validate_tenants"]
