"""Where a tenant's custom actions run: the one seam between the dialogue service and a tenant's actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.utils.endpoints import EndpointConfig

from switchboard.core.tenants import Tenant
from switchboard.dialogue.action_runner import InProcessActionEndpoint
from switchboard.dialogue.actions import build_actions
from switchboard.dialogue.shop import Shop


def tenant_action_endpoint(project_dir: Path, tenant: Tenant, database: Any, timeout_s: float) -> EndpointConfig:
    """The action endpoint of the tenant whose Rasa project is ``project_dir``."""
    return InProcessActionEndpoint(build_actions(Shop(database, tenant.id, tenant.timezone)), timeout_s=timeout_s)
