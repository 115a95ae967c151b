"""Language per turn: zh, en or mixed; codes and digits do not count as English; the hint decides text without words."""

import pytest

from switchboard.core.contracts import Language
from switchboard.nlu.language import code, detect


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单到哪了", Language.LANGUAGE_ZH),
        ("订单SB1003到哪了？🚚", Language.LANGUAGE_ZH),
        ("where is my order?", Language.LANGUAGE_EN),
        ("我的 order 还没到", Language.LANGUAGE_MIXED),
        ("ok 好的", Language.LANGUAGE_MIXED),
        ("please check 订单 status for me", Language.LANGUAGE_MIXED),
        ("我昨天在你们店里买了一个蓝牙耳机但是到现在为止还没有收到任何物流信息 ok", Language.LANGUAGE_ZH),
    ],
)
def test_detect(text: str, expected: Language) -> None:
    assert detect(text) == expected


def test_text_without_words_falls_back_to_the_hint() -> None:
    assert detect("12345 👍", "zh-CN") == Language.LANGUAGE_ZH
    assert detect("12345", "en-US") == Language.LANGUAGE_EN
    assert detect("", "") == Language.LANGUAGE_UNSPECIFIED
    assert code(Language.LANGUAGE_MIXED) == "mixed" and code(Language.LANGUAGE_UNSPECIFIED) == ""
