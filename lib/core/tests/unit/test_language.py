"""Language per message: zh, en or mixed from its scripts; the hint decides text without words;
a reply is written in a language the tenant serves."""

import pytest

from switchboard.core.contracts import Language
from switchboard.core.language import detect, from_wire, reply_language, to_wire
from switchboard.core.testing import full_width


@pytest.mark.parametrize(
    ("text", "language", "dominant"),
    [
        ("我的订单到哪了", "zh", "zh"),
        ("订单SB1003到哪了？🚚", "zh", "zh"),
        ("where is my order?", "en", "en"),
        ("我的 order 还没到", "mixed", "zh"),
        ("ok 好的", "mixed", "zh"),
        ("please check 订单 status for me", "mixed", "en"),
        ("退货 policy 怎么样？😊", "mixed", "zh"),
        ("return policy 好", "mixed", "en"),
        ("我昨天在你们店里买了一个蓝牙耳机但是到现在为止还没有收到任何物流信息 ok", "zh", "zh"),
        (full_width("where is my order"), "en", "en"),
        (f"我的订单{full_width('SB1003')}到哪了", "zh", "zh"),
    ],
)
def test_detect_reads_the_scripts(text: str, language: str, dominant: str) -> None:
    detection = detect(text)
    assert (detection.language, detection.dominant, detection.reason) == (language, dominant, "script")


def test_confidence_is_the_dominant_share() -> None:
    assert detect("我的订单到哪了").confidence == 1.0
    assert 0.5 < detect("我的 order 还没到").confidence < 0.9


@pytest.mark.parametrize("text", ["", "   ", "👍🎉", "12345", "？！。"])
def test_text_without_words_falls_back_to_the_hint(text: str) -> None:
    assert (detect(text, "zh-CN").language, detect(text, "zh-CN").reason) == ("zh", "hint")
    assert detect(text, "en-US").wire == Language.LANGUAGE_EN
    unknown = detect(text, "fr-FR")
    assert (unknown.language, unknown.confidence, unknown.reason, unknown.wire) == (
        "",
        0.0,
        "none",
        Language.LANGUAGE_UNSPECIFIED,
    )


def test_wire_mapping_round_trips() -> None:
    for code in ("zh", "en", "mixed"):
        assert from_wire(to_wire(code)) == code
    assert to_wire(None) == to_wire("fr") == Language.LANGUAGE_UNSPECIFIED
    assert from_wire(Language.LANGUAGE_UNSPECIFIED) == ""


@pytest.mark.parametrize(
    ("language", "default", "served", "expected"),
    [
        ("en", "zh", ("zh", "en"), "en"),
        ("zh", "en", ("zh", "en"), "zh"),
        ("mixed", "en", ("zh", "en"), "zh"),
        ("mixed", "en", ("en",), "en"),
        ("en", "zh", ("zh",), "zh"),
        ("fr", "en", ("zh", "en"), "en"),
        ("", "en", ("zh", "en"), "en"),
        (None, "zh", ("zh", "en"), "zh"),
        ("fr", "fr", ("zh", "en"), "zh"),
    ],
)
def test_reply_language_falls_back_to_the_tenant_default(
    language: str | None, default: str, served: tuple[str, ...], expected: str
) -> None:
    assert reply_language(language, default, served) == expected
