"""Knowledge files become titled, citable passages; misnamed or empty files are refused."""

from pathlib import Path

import pytest

from switchboard.generator.errors import GeneratorPermanentError
from switchboard.generator.knowledge import load_knowledge_base
from switchboard.generator.text import content_tokens, overlap

REPO = Path(__file__).resolve().parents[4]


def test_the_demo_knowledge_base_is_bilingual_and_covers_the_shop_policies() -> None:
    base = load_knowledge_base("demo", REPO / "tenants/demo/knowledge")
    languages = {p.language for p in base.passages}
    assert languages == {"zh", "en"}
    text = " ".join(p.text for p in base.passages)
    for fact in ("7 days", "7天", "3-5", "¥99", "16:00", "30 days", "1-year", "15-day", "09:00"):
        assert fact in text, fact
    assert all("#" in p.source and p.title for p in base.passages)
    assert len({p.id for p in base.passages}) == len(base.passages)


def test_the_version_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "a.en.md").write_text("# A\n## One\nFirst text.\n", encoding="utf-8")
    before = load_knowledge_base("t", tmp_path).version
    (tmp_path / "a.en.md").write_text("# A\n## One\nChanged text.\n", encoding="utf-8")
    assert load_knowledge_base("t", tmp_path).version != before


@pytest.mark.parametrize(
    ("name", "text"), [("notes.md", "# x\n## y\nz"), ("a.fr.md", "# x\n## y\nz"), ("a.en.md", "# Title only\n")]
)
def test_bad_files_are_refused_with_their_name(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(GeneratorPermanentError, match=name.split(".")[0]):
        load_knowledge_base("t", tmp_path)


def test_text_helpers_handle_chinese_english_and_emoji() -> None:
    assert {"退货", "货政"} <= content_tokens("退货政策")
    assert overlap("how much is shipping", "Shipping is free over ¥99") == 1.0
    assert overlap("😊", "anything") == 0.0


def test_declared_keywords_are_kept_apart_from_the_text_customers_see(tmp_path: Path) -> None:
    (tmp_path / "a.zh.md").write_text(
        "# 配送\n## 运费\n<!-- keywords: 包邮，免运费、邮费 -->\n满99元包邮。\n", encoding="utf-8"
    )
    (passage,) = load_knowledge_base("t", tmp_path).passages
    assert passage.text == "满99元包邮。" and passage.keywords == ("包邮", "免运费", "邮费")


def test_the_demo_sections_declare_their_customers_words() -> None:
    base = load_knowledge_base("demo", REPO / "tenants/demo/knowledge")
    assert all(p.keywords for p in base.passages)
    assert all("<!--" not in p.text for p in base.passages)
