"""Two questions share a cached answer only when numbers, order ids and negations agree."""

import pytest

from switchboard.generator.cache import AnswerCache, signature


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("can I return it", "can't I return it"),
        ("Can I return it within 7 days?", "Can I return it within 30 days?"),
        ("可以退货吗", "不可以退货吗"),
        ("七天内能退吗", "三十天内能退吗"),
        ("where is SB1001", "where is SB1003"),
        ("运费是10元吗", "运费是99元吗"),
    ],
)
def test_questions_that_differ_in_meaning_have_different_signatures(a: str, b: str) -> None:
    assert signature(a) != signature(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Can I return it within 7 days?", "Is returning within 7 days possible?"),
        ("7天无理由退货怎么申请", "怎么申请7天无理由退货"),
        ("七天能退吗", "7天能退吗"),
    ],
)
def test_rephrasings_keep_their_signature(a: str, b: str) -> None:
    assert signature(a) == signature(b)


def test_the_key_holds_knowledge_version_and_language() -> None:
    assert AnswerCache.key("v1", "zh", "q") != AnswerCache.key("v2", "zh", "q") != AnswerCache.key("v1", "en", "q")
