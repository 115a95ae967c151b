"""``switchboard kb import``: good rows become knowledge files the generator loads; bad rows are refused
with their row numbers and nothing is written; existing files are kept without --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.cli.main import main
from switchboard.core.projects import validate_tenant

GOOD = """topic,language,title,text,keywords
shipping,en,Delivery times,"Orders ship within 24 hours and arrive in 2-4 days.","delivery, how long, arrive"
shipping,zh,发货时间,下单后 24 小时内发货，2-4 天送达。,发货、多久到
shipping,en,Shipping fee,Shipping is free over 99 yuan.,
"""


@pytest.fixture()
def tenant(tmp_path: Path) -> Path:
    assert main(["--tenants-dir", str(tmp_path), "tenant", "new", "acme"]) == 0
    return tmp_path / "acme"


def _import(tenant: Path, source: Path, *extra: str) -> int:
    return main(["--tenants-dir", str(tenant.parent), "kb", "import", "acme", str(source), *extra])


def test_csv_rows_become_sections_the_generator_loads(tenant: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "kb.csv"
    source.write_text(GOOD, encoding="utf-8")
    assert _import(tenant, source) == 0
    assert "wrote acme/knowledge/shipping.en.md (2 sections)" in capsys.readouterr().out
    text = (tenant / "knowledge" / "shipping.en.md").read_text()
    assert text.startswith("# Shipping\n\n## Delivery times\n<!-- keywords: delivery, how long, arrive -->\n")
    assert validate_tenant(tenant) == []
    from switchboard.generator.knowledge import load_knowledge_base

    passages = load_knowledge_base("acme", tenant / "knowledge").passages
    titles = {(p.language, p.title): p for p in passages}
    assert titles[("en", "Shipping / Delivery times")].keywords == ("delivery", "how long", "arrive")
    assert titles[("zh", "Shipping / 发货时间")].text == "下单后 24 小时内发货，2-4 天送达。"


def test_bad_rows_are_named_and_nothing_is_written(tenant: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "kb.csv"
    source.write_text(
        "topic,language,title,text\nok,en,Fine,Some text.\nBad Topic,en,T,x\nfaq,fr,T,x\nfaq,en,,\n"
        + "long,en,Long,"
        + "a" * 1600
        + "\n",
        encoding="utf-8",
    )
    assert _import(tenant, source) == 1
    out = capsys.readouterr().out
    assert "row 3: topic 'Bad Topic'" in out
    assert "row 4: language 'fr'" in out
    assert "row 5: title is empty; text is empty" in out
    assert "row 6: text has more than 1500 characters" in out
    assert "nothing imported: 4 problems" in out
    assert not (tenant / "knowledge" / "ok.en.md").exists()


def test_missing_columns(tenant: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "kb.csv"
    source.write_text("topic,title\nx,y\n", encoding="utf-8")
    assert _import(tenant, source) == 1
    assert "row 1: missing column(s) language, text" in capsys.readouterr().out


def test_existing_files_need_force(tenant: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "contact.en.md"
    source.write_text("# Contact\n## Email\nWrite to help@example.com.\n", encoding="utf-8")
    before = (tenant / "knowledge" / "contact.en.md").read_text()
    assert _import(tenant, source) == 1
    assert "not overwritten (use --force): knowledge/contact.en.md" in capsys.readouterr().out
    assert (tenant / "knowledge" / "contact.en.md").read_text() == before
    assert _import(tenant, source, "--force") == 0
    assert "help@example.com" in (tenant / "knowledge" / "contact.en.md").read_text()


def test_markdown_named_by_options_and_checked(tenant: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "notes.md"
    source.write_text("# 保修\n## 期限\n一年保修。\n", encoding="utf-8")
    assert _import(tenant, source) == 1
    assert "give --topic" in capsys.readouterr().out
    assert _import(tenant, source, "--topic", "warranty", "--language", "zh") == 0
    assert (tenant / "knowledge" / "warranty.zh.md").read_text() == "# 保修\n## 期限\n一年保修。\n"
    untitled = tmp_path / "x.en.md"
    untitled.write_text("no title line\n", encoding="utf-8")
    assert _import(tenant, untitled) == 1
    assert "line 1: start with a '# Title' line" in capsys.readouterr().out
