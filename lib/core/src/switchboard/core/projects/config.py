"""Checks of ``config.yml``: policy names Rasa 3.6 knows, and the NLU pipeline our NLU service replaces."""

from __future__ import annotations

import ast
import difflib
import importlib.util
from pathlib import Path

from switchboard.core.projects.located import LocatedDict, LocatedList, line_of
from switchboard.core.projects.problems import Findings
from switchboard.core.projects.project import Project
from switchboard.core.projects.rasa_names import BUILTIN_POLICIES, REMOVED_POLICIES, replaced_component


def check_config(project: Project, findings: Findings) -> None:
    path = project.folder / "config.yml"
    if path not in project.documents:
        return
    document = project.documents[path]
    if not isinstance(document, LocatedDict):
        findings.error(path, line_of(document, 1), "expected a mapping (recipe:, policies:)")
        return
    _check_pipeline(path, document, findings)
    policies = document.get("policies")
    if policies is None:
        findings.warning(path, None, "no policies: Rasa trains its defaults (RulePolicy, MemoizationPolicy, TEDPolicy)")
        return
    if not isinstance(policies, LocatedList):
        findings.error(path, document.line_of("policies"), "policies: expected a list of - name: <Policy>")
        return
    for index, policy in enumerate(policies):
        line = policies.line_of(index)
        name = policy.get("name") if isinstance(policy, dict) else None
        if not isinstance(name, str) or not name:
            findings.error(path, line, "a policy needs a name (- name: RulePolicy)")
            continue
        _check_policy(project.folder, path, line, name, findings)


def _check_pipeline(path: Path, document: LocatedDict, findings: Findings) -> None:
    pipeline = document.get("pipeline")
    if not isinstance(pipeline, LocatedList):
        return
    for index, component in enumerate(pipeline):
        name = component.get("name") if isinstance(component, dict) else component
        if not name:
            continue
        findings.warning(
            path,
            pipeline.line_of(index),
            f"pipeline component {name} does not run: {replaced_component(str(name))}",
        )


def _check_policy(folder: Path, path: Path, line: int, name: str, findings: Findings) -> None:
    if name in BUILTIN_POLICIES:
        return
    if name in REMOVED_POLICIES:
        findings.error(path, line, f"policy {name} was removed in Rasa 3; use {REMOVED_POLICIES[name]}")
        return
    if "." not in name:
        close = difflib.get_close_matches(name, sorted(BUILTIN_POLICIES), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        known = ", ".join(sorted(BUILTIN_POLICIES))
        findings.error(path, line, f"unknown policy {name}{hint}; Rasa 3.6 has {known}, or give a module path")
        return
    found, reason = _class_defined(folder, name)
    if not found:
        findings.warning(
            path, line, f"policy {name}: {reason} in this Python environment; the dialogue service's must import it"
        )


def _class_defined(folder: Path, dotted: str) -> tuple[bool, str]:
    """Whether ``module.Class`` exists, read from the module's source so nothing is imported or run."""
    module, _, class_name = dotted.rpartition(".")
    source_file = folder / (module.replace(".", "/") + ".py")  # a policy shipped in the project itself
    if not source_file.is_file():
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return False, f"module {module} cannot be found"
        source_file = Path(spec.origin)
    try:
        tree = ast.parse(source_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        return False, f"cannot read {source_file.name}: {error}"
    defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    defined |= {
        alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    if class_name not in defined:
        return False, f"module {module} defines no class {class_name}"
    return True, ""
