"""Every tenant served by one dialogue service: lazy loads, a shared load, the LRU, hot swaps, bad tenant ids."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.decisions import Output
from switchboard.dialogue.errors import DialoguePermanentError
from switchboard.dialogue.tenant_assistants import AssistantLimits, TenantAssistants
from switchboard.dialogue.testing import Decisions, understood


def _copy_tenant(tenants: Path, tenant_id: str) -> Path:
    """The demo project under another id (same training inputs, so the cached model serves it)."""
    target = tenants / tenant_id
    shutil.copytree(repo_root() / "tenants" / "demo", target, ignore=shutil.ignore_patterns("knowledge", "tests"))
    tenant_file = target / "tenant.yaml"
    tenant_file.write_text(tenant_file.read_text(encoding="utf-8").replace("id: demo", f"id: {tenant_id}"), "utf-8")
    return target


@pytest.fixture()
def tenants(tmp_path: Path, action_server: object, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The copies keep the demo's endpoints.yml: their custom actions go to the session's action server.
    monkeypatch.setenv("DEMO_ACTIONS_URL", action_server.url)
    folder = tmp_path / "tenants"
    for tenant_id in ("shop-a", "shop-b"):
        _copy_tenant(folder, tenant_id)
    return folder


@pytest.fixture()
def cache(tmp_path: Path, trained_model: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(trained_model, folder / trained_model.name)
    return folder


async def _reply(assistants: TenantAssistants, tenant_id: str, text: str, intent: str) -> Decisions:
    event = understood(f"{tenant_id}-conversation", text, intent, tenant_id=tenant_id, language="en")
    outputs: list[Output] = await (await assistants.get(tenant_id)).handle(event)
    return Decisions.of(output.message for output in outputs)


async def test_each_tenant_gets_its_own_assistant_and_replies(tenants: Path, cache: Path, database: object) -> None:
    assistants = TenantAssistants(tenants, database, AssistantLimits(cache_dir=cache))
    assert assistants.known() == ["shop-a", "shop-b"]
    assert assistants.loaded() == {}
    for tenant_id in ("shop-a", "shop-b"):
        decisions = await _reply(assistants, tenant_id, "hello", "greet")
        assert decisions.templates == ["utter_greet"]
        assert {decided.envelope.tenant_id for decided in decisions.decided} == {tenant_id}
    loaded = assistants.loaded()
    assert set(loaded) == {"shop-a", "shop-b"}
    assert loaded["shop-a"].assistant is not loaded["shop-b"].assistant
    assert all(item.load_s > 0 for item in loaded.values())


async def test_concurrent_first_messages_share_one_load(tenants: Path, cache: Path, database: object) -> None:
    assistants = TenantAssistants(tenants, database, AssistantLimits(cache_dir=cache))
    first, second, third = await asyncio.gather(*(assistants.get("shop-a") for _ in range(3)))
    assert first is second is third


async def test_the_least_recently_used_tenant_is_unloaded(tenants: Path, cache: Path, database: object) -> None:
    assistants = TenantAssistants(tenants, database, AssistantLimits(cache_dir=cache, max_loaded=1))
    first = await assistants.get("shop-a")
    await assistants.get("shop-b")
    assert list(assistants.loaded()) == ["shop-b"]
    # Loaded again on its next message: a new assistant, the conversation's tracker is in the database.
    assert await assistants.get("shop-a") is not first


async def test_a_changed_project_is_swapped_in_and_a_turn_in_flight_keeps_its_version(
    tenants: Path, cache: Path, database: object
) -> None:
    assistants = TenantAssistants(tenants, database, AssistantLimits(cache_dir=cache))
    old = await assistants.get("shop-a")
    old_version = assistants.loaded()["shop-a"].version
    assert await assistants.refresh() == []  # nothing changed: nothing reloads
    domain = tenants / "shop-a" / "domain.yml"
    greeting = "Hello, welcome to the Switchboard Demo Shop!"
    domain.write_text(domain.read_text(encoding="utf-8").replace(greeting, "Hi there, this is shop A!"), "utf-8")
    assert await assistants.refresh() == ["shop-a"]
    new = await assistants.get("shop-a")
    assert new is not old and assistants.loaded()["shop-a"].version != old_version
    decisions = await _reply(assistants, "shop-a", "hello", "greet")
    assert decisions.texts[0].startswith("Hi there, this is shop A!")
    # The assistant a turn started with still answers with its own version.
    assert old.agent.domain.responses != new.agent.domain.responses


async def test_a_project_broken_at_runtime_keeps_the_old_version(tenants: Path, cache: Path, database: object) -> None:
    assistants = TenantAssistants(tenants, database, AssistantLimits(cache_dir=cache))
    old = await assistants.get("shop-a")
    (tenants / "shop-a" / "config.yml").write_text("policies:\n  - name: NoSuchPolicy\n", "utf-8")
    assert await assistants.refresh() == []
    assert await assistants.get("shop-a") is old
    assert (await _reply(assistants, "shop-a", "hello", "greet")).templates == ["utter_greet"]


@pytest.mark.parametrize("tenant_id", ["nobody", "", "../tenants/shop-a", "shop-a/../shop-b"])
async def test_an_unknown_or_malformed_tenant_id_is_a_permanent_error(
    tenants: Path, cache: Path, database: object, tenant_id: str
) -> None:
    assistants = TenantAssistants(tenants, database, AssistantLimits(cache_dir=cache))
    with pytest.raises(DialoguePermanentError):
        await assistants.get(tenant_id)
    assert assistants.loaded() == {}


async def test_a_tenant_that_does_not_validate_is_refused_with_file_and_line_and_the_others_serve(
    tenants: Path, cache: Path, database: object
) -> None:
    (tenants / "shop-b" / "domain.yml").write_text("version: '3.1'\nintents:\n  - greet\n  - [unclosed\n", "utf-8")
    assistants = TenantAssistants(tenants, database, AssistantLimits(cache_dir=cache))
    with pytest.raises(DialoguePermanentError, match=r"shop-b/domain\.yml:\d+"):
        await assistants.get("shop-b")
    assert (await _reply(assistants, "shop-a", "hello", "greet")).templates == ["utter_greet"]
