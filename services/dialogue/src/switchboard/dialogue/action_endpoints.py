"""Where a tenant's custom actions run: the one seam between the dialogue service and a tenant's actions.

The platform's actions run in the dialogue process; every other custom action of the tenant goes to
the action server that the project's ``endpoints.yml`` names (Rasa's format, ``${VAR}`` expanded from
the environment as Rasa does)::

    action_endpoint:
      url: "${DEMO_ACTIONS_URL:-http://127.0.0.1:5055/webhook}"
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.shared.exceptions import RasaException
from rasa.shared.utils.io import read_yaml_file
from rasa.utils.endpoints import EndpointConfig

from switchboard.core.copy import CopyCache, TenantCopy
from switchboard.core.logs import get_logger
from switchboard.core.projects.profile import ProjectProfile, load_profile
from switchboard.core.tenants import Tenant
from switchboard.dialogue.action_runner import (
    ActionServerClient,
    ActionServerPolicy,
    InProcessActionEndpoint,
    RoutingActionEndpoint,
)
from switchboard.dialogue.actions import platform_actions

log = get_logger(__name__)

ENDPOINTS_FILE = "endpoints.yml"
ENV_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class EndpointsError(ValueError):
    """A project's ``endpoints.yml`` cannot be read; the message names the file."""


@dataclass(frozen=True)
class ActionServerAddress:
    """The action server of a project, as its ``endpoints.yml`` gives it."""

    url: str
    source: Path


def action_server_of(project_dir: Path) -> ActionServerAddress | None:
    """The ``action_endpoint`` of ``project_dir/endpoints.yml``; None without the file or the entry."""
    path = project_dir / ENDPOINTS_FILE
    if not path.is_file():
        return None
    try:
        content: Any = read_yaml_file(path)
    except (RasaException, ValueError) as error:
        raise EndpointsError(f"{path}: {error}") from error
    if content is None:
        return None
    if not isinstance(content, dict):
        raise EndpointsError(f"{path}: expected a mapping of endpoints, found {type(content).__name__}")
    entry = content.get("action_endpoint")
    if entry is None:
        return None
    url = entry.get("url") if isinstance(entry, dict) else None
    if isinstance(url, str):
        url = _expanded(url, path)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise EndpointsError(f"{path}: action_endpoint.url must be an http(s) url, found {url!r}")
    return ActionServerAddress(url, path)


def _expanded(value: str, path: Path) -> str:
    """``${VAR}`` (and ``${VAR:-default}``) from the environment, quoted or not: Rasa's loader expands
    unquoted values only, and knows no defaults."""
    missing: list[str] = []

    def variable(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is None:
            missing.append(name)
            return match.group(0)
        return default

    expanded = ENV_VARIABLE.sub(variable, value)
    if missing:
        raise EndpointsError(f"{path}: set the environment variables {', '.join(sorted(set(missing)))} (in {value!r})")
    return expanded


def routing_endpoint(
    project_dir: Path,
    tenant: Tenant,
    server: ActionServerAddress | None,
    policy: ActionServerPolicy,
    *,
    copy: Callable[[], TenantCopy] | None = None,
    profile: ProjectProfile | None = None,
) -> RoutingActionEndpoint:
    """The tenant's endpoint: platform actions in-process, the rest on ``server``; ``copy`` reads the tenant's
    current copy (its ``copy.yaml`` in ``project_dir``, read again when it changes, when not given);
    ``profile`` is the project's tasks and reference ids (read from ``project_dir`` when not given)."""
    copy = copy or CopyCache(project_dir.parent).source(project_dir.name)
    profile = profile if profile is not None else load_profile(project_dir)
    platform = InProcessActionEndpoint(platform_actions(tenant, copy, profile=profile), timeout_s=policy.timeout_s)
    client = ActionServerClient(server.url, policy) if server else None
    if server is None:
        log.info("dialogue.actions.platform_only", tenant_id=tenant.id, missing=str(project_dir / ENDPOINTS_FILE))
    else:
        log.info("dialogue.actions.server", tenant_id=tenant.id, url=server.url)
    return RoutingActionEndpoint(platform, client, project_dir, policy, copy)


def tenant_action_endpoint(
    project_dir: Path,
    tenant: Tenant,
    database: Any,
    timeout_s: float,
    *,
    copy: Callable[[], TenantCopy] | None = None,
    profile: ProjectProfile | None = None,
) -> EndpointConfig:
    """The action endpoint of the tenant whose Rasa project is ``project_dir``.

    ``database`` is unused: the tenant's own records belong to its action server."""
    policy = ActionServerPolicy(timeout_s=timeout_s)
    return routing_endpoint(project_dir, tenant, action_server_of(project_dir), policy, copy=copy, profile=profile)
