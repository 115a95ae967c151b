"""``switchboard test`` and ``shell`` against the real system: the five services on the test stack,
talked to through the ingest service's REST webhook with the demo tenant's key."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from switchboard.cli import shell
from switchboard.cli.main import main
from switchboard.cli.stories import read_responses
from switchboard.core.testing.plugin import repo_root

pytestmark = pytest.mark.slow

STORIES = """\
version: "3.1"
stories:
  - story: a greeting is answered
    steps:
      - user: hello
        intent: greet
      - action: utter_greet
  - story: a greeting is not a goodbye
    steps:
      - user: hello
        intent: greet
      - action: utter_goodbye
"""


def _system_stack_module():
    """The system tests' way of running the services (tests/system/conftest.py), reused as is."""
    path = repo_root() / "tests" / "system" / "conftest.py"
    spec = importlib.util.spec_from_file_location("switchboard_system_stack", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ingest_url(infra: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    system = _system_stack_module()
    with system.running_stack(infra, tmp_path_factory.mktemp("stack")) as stack:
        stack.wait_ready()
        yield f"http://127.0.0.1:{stack.services['ingest'].http_port}"


@pytest.fixture()
def demo_copy(tmp_path: Path) -> Path:
    """The demo tenant's files the CLI reads (its key and responses), with test stories of our own."""
    folder = tmp_path / "demo"
    shutil.copytree(repo_root() / "tenants" / "demo", folder, ignore=shutil.ignore_patterns("tests"))
    (folder / "tests").mkdir()
    (folder / "tests" / "test_stories.yml").write_text(STORIES, encoding="utf-8")
    return folder


def test_stories_pass_and_fail_through_the_running_system(ingest_url: str, demo_copy: Path, capsys) -> None:
    code = main(["--tenants-dir", str(demo_copy.parent), "test", "demo", "--url", ingest_url])
    out = capsys.readouterr().out
    assert "PASS a greeting is answered" in out, out
    assert "FAIL a greeting is not a goodbye: turn 1 ('hello'): expected utter_goodbye in en" in out, out
    assert "demo: 1/2 stories passed" in out
    assert code == 1


def test_shell_prints_the_bot_replies(ingest_url: str, demo_copy: Path, capsys) -> None:
    assert shell.run(demo_copy, ingest_url, lines=["hello", "/quit", "never sent"]) == 0
    out = capsys.readouterr().out.splitlines()
    [greeting] = read_responses(demo_copy, "zh").patterns("utter_greet", "en")
    assert len(out) == 1 and out[0].startswith("bot> "), out
    assert greeting.match(out[0][len("bot> ") :]), out
