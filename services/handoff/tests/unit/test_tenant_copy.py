"""The handoff's customer messages come from the tenant's copy, which is read again when ``copy.yaml`` changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from switchboard.core.copy import default_copy, load_copy
from switchboard.core.tenant_watch import TenantWatch
from switchboard.core.testing.plugin import repo_root
from switchboard.handoff.app import TENANT_FILES, reload_setups
from switchboard.handoff.pipeline_events import queued_notice
from switchboard.handoff.workflow import TenantSetup


class _Agents:
    def seed(self, tenant_id: str, agents: object) -> None:
        pass


class _Store:
    agents = _Agents()


def _tenants(tmp_path: Path) -> Path:
    shutil.copytree(
        repo_root() / "tenants" / "demo",
        tmp_path / "demo",
        ignore=shutil.ignore_patterns("knowledge", "data", "actions"),
    )
    return tmp_path


def test_the_queue_notice_is_worded_by_the_copy_given(tmp_path: Path) -> None:
    folder = _tenants(tmp_path) / "demo"
    (folder / "copy.yaml").write_text(
        "handoff:\n  queued: {en: 'Place {position}{wait}.'}\n  queued_wait: {en: ' (~{minutes} min)'}\n"
        "  with_agent: {en: 'With{agent} now.'}\n",
        encoding="utf-8",
    )
    words = load_copy(folder).handoff
    assert queued_notice(words, "en", 3, 150, None) == "Place 3 (~2 min)."
    assert queued_notice(words, "en", 2, 0, None) == "Place 2."
    assert queued_notice(words, "en", None, 0, "Lucy") == "With Lucy now."
    assert queued_notice(default_copy().handoff, "zh", 3, 150, None) == default_copy().handoff.queued.format(
        "zh", position=3, wait=default_copy().handoff.queued_wait.format("zh", minutes=2)
    )


def test_a_changed_copy_yaml_reloads_the_setup_and_a_broken_one_keeps_it(tmp_path: Path) -> None:
    tenants = _tenants(tmp_path)
    watch = TenantWatch(tenants, TENANT_FILES)
    setups: dict[str, TenantSetup] = {}
    assert reload_setups(watch, setups, _Store()) == ["demo"]
    assert setups["demo"].copy.csat.prompt == default_copy().csat.prompt
    path = tenants / "demo" / "copy.yaml"
    path.write_text("csat:\n  prompt: {zh: 给思博商城打个分吧：}\n", encoding="utf-8")
    os.utime(path, ns=(10**9, 10**9))
    assert reload_setups(watch, setups, _Store()) == ["demo"]
    assert setups["demo"].copy.csat.prompt.of("zh") == "给思博商城打个分吧："
    path.write_text("csat:\n  prompt: {zh: '打分 {score}'}\n", encoding="utf-8")
    os.utime(path, ns=(2 * 10**9, 2 * 10**9))
    assert reload_setups(watch, setups, _Store()) == []
    assert setups["demo"].copy.csat.prompt.of("zh") == "给思博商城打个分吧："
