"""Every service has the same shape, so the docs and the deploy files cannot drift from the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("ingest", "nlu", "dialogue", "generator", "handoff")
PREFIXES = {
    "ingest": "INGEST_",
    "nlu": "NLU_",
    "dialogue": "DIALOGUE_",
    "generator": "GENERATOR_",
    "handoff": "HANDOFF_",
}
SKELETON_FILES = (
    "pyproject.toml",
    "README.md",
    ".env.example",
    "src/switchboard/{name}/__init__.py",
    "src/switchboard/{name}/__main__.py",
    "src/switchboard/{name}/settings.py",
    "src/switchboard/{name}/app.py",
    "src/switchboard/{name}/errors.py",
)


def test_the_services_folder_holds_exactly_the_five_services() -> None:
    assert sorted(p.name for p in (REPO / "services").iterdir() if p.is_dir()) == sorted(SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_service_has_the_common_skeleton(name: str) -> None:
    root = REPO / "services" / name
    for relative in SKELETON_FILES:
        assert (root / relative.format(name=name)).is_file(), f"services/{name}/{relative.format(name=name)} missing"
    tests = list((root / "tests").rglob("test_*.py"))
    assert tests, f"services/{name}/tests has no tests"
    assert (REPO / "deploy" / "base" / name / "kustomization.yaml").is_file()
    assert re.search(rf"^FROM runtime AS {name}$", (REPO / "Dockerfile").read_text(), re.MULTILINE), (
        f"the Dockerfile has no {name} image stage"
    )
    assert not (root / "src" / "switchboard" / "__init__.py").exists(), "switchboard is a namespace package"


@pytest.mark.parametrize("name", SERVICES)
def test_entry_point_settings_and_errors_follow_the_convention(name: str) -> None:
    package = REPO / "services" / name / "src" / "switchboard" / name
    main = (package / "__main__.py").read_text()
    assert "load_settings(Settings)" in main and f'serve("{name}"' in main

    settings = ast.parse((package / "settings.py").read_text())
    classes = [node for node in settings.body if isinstance(node, ast.ClassDef) and node.name == "Settings"]
    assert len(classes) == 1, "one Settings class per service"
    keywords = {kw.arg: ast.literal_eval(kw.value) for kw in classes[0].keywords}
    assert keywords == {"env_prefix": PREFIXES[name], "env_nested_delimiter": "__", "extra": "forbid"}
    assert any(isinstance(base, ast.Name) and base.id == "ServiceSettings" for base in classes[0].bases)

    errors = ast.parse((package / "errors.py").read_text())
    error_classes = {node.name for node in errors.body if isinstance(node, ast.ClassDef)}
    root_error = f"{name.capitalize() if name != 'nlu' else 'Nlu'}Error"
    assert {
        root_error,
        root_error.replace("Error", "RetryableError"),
        root_error.replace("Error", "PermanentError"),
    } <= error_classes


@pytest.mark.parametrize("name", SERVICES)
def test_app_exposes_the_one_build_seam(name: str) -> None:
    """``build(runtime, settings, topics=None) -> <Service>Parts`` in every app.py, used by the entry point and tests;
    read from the source because dialogue runs on its own interpreter."""
    package = REPO / "services" / name / "src" / "switchboard" / name
    app = ast.parse((package / "app.py").read_text())
    builds = [node for node in app.body if isinstance(node, ast.AsyncFunctionDef) and node.name == "build"]
    assert len(builds) == 1, f"services/{name}/app.py has no async build"
    signature = builds[0].args
    assert [(a.arg, ast.unparse(a.annotation)) for a in signature.args] == [
        ("runtime", "ServiceRuntime"),
        ("settings", "Settings"),
        ("topics", "ConversationTopics | None"),
    ]
    assert [ast.unparse(d) for d in signature.defaults] == ["None"]
    assert not (signature.kwonlyargs or signature.vararg or signature.kwarg)
    parts = f"{name.capitalize()}Parts"
    assert ast.unparse(builds[0].returns) == parts
    [record] = [node for node in app.body if isinstance(node, ast.ClassDef) and node.name == parts]
    assert any("dataclass" in ast.unparse(d) for d in record.decorator_list), f"{parts} is a dataclass"
    main = (package / "__main__.py").read_text()
    assert f"from switchboard.{name}.app import build" in main and "build(runtime, settings)" in main
    others = [n.name for n in app.body if isinstance(n, ast.AsyncFunctionDef) and n.name in {"wire", "build_on"}]
    assert not others, f"services/{name}/app.py has a second composition root: {others}"


@pytest.mark.parametrize("name", SERVICES)
def test_env_example_documents_the_prefix_and_the_readme_the_topics(name: str) -> None:
    root = REPO / "services" / name
    example = (root / ".env.example").read_text()
    variables = re.findall(r"^#?\s*([A-Z0-9_]+)=", example, re.M)
    assert variables and all(v.startswith(PREFIXES[name]) for v in variables)
    readme = (root / "README.md").read_text()
    for heading in ("Consumes", "Produces", "Serves", "Run it alone"):
        assert heading in readme, f"services/{name}/README.md lacks '{heading}'"


def test_no_service_copies_shared_code() -> None:
    """Shared pieces live in lib/core only: no service defines its own Kafka client or envelope."""
    for path in (REPO / "services").rglob("*.py"):
        text = path.read_text()
        assert "AIOKafkaProducer(" not in text and "AIOKafkaConsumer(" not in text, path
        assert "TraceContextTextMapPropagator" not in text, path
        assert "class Envelope" not in text, path
