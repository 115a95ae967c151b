"""Tenant files: the shipped ones are valid, and every kind of mistake is reported with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.core.tenants import TenantError, load_tenant, load_tenants

REPO = Path(__file__).resolve().parents[4]


def _write(tmp_path: Path, folder: str, text: str) -> Path:
    path = tmp_path / folder / "tenant.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_tenants_are_valid_and_bilingual() -> None:
    tenants = {tenant.id: tenant for tenant in load_tenants(REPO / "tenants")}
    assert set(tenants) == {"demo", "broadband"}
    for tenant in tenants.values():
        assert set(tenant.languages) == {"zh", "en"}
        assert tenant.name["zh"] and tenant.name["en"]
    demo = tenants["demo"]
    assert set(demo.languages) == {"zh", "en"}
    assert demo.name["zh"] and demo.name["en"]
    assert demo.document()["_id"] == "demo"


@pytest.mark.parametrize(
    ("folder", "text", "expected"),
    [
        ("Bad_ID", "id: Bad_ID\nname: {en: x}", "id: 2-32 characters"),
        ("shop", "id: other\nname: {en: x}", "must match its folder name"),
        ("shop", "id: shop\nname: {fr: x}", "name"),
        ("shop", "id: shop\nname: {en: x}\nlanguages: [en]\ndefault_language: zh", "default_language"),
        ("shop", "id: shop\nname: {en: x}\nagent_hours: {start: '9am'}", "agent_hours.start"),
        ("shop", "id: shop\nname: {en: x}\ntimezone: Mars/Olympus", "unknown time zone"),
        ("shop", "id: shop\nname: {en: x}\nunknown_key: 1", "unknown_key"),
        ("shop", "- just\n- a list", "mapping"),
        ("shop", "id: [unclosed", "cannot read"),
    ],
)
def test_invalid_tenant_files_are_rejected_with_a_reason(tmp_path: Path, folder: str, text: str, expected: str) -> None:
    with pytest.raises(TenantError, match=expected) as error:
        load_tenant(_write(tmp_path, folder, text))
    assert "tenant.yaml" in str(error.value)


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TenantError, match=r"no \*/tenant\.yaml"):
        load_tenants(tmp_path)
