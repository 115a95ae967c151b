"""Two questions share a cached answer only when numbers, order ids and negations agree."""

import pytest

from switchboard.core.projects.profile import load_profile
from switchboard.core.testing.plugin import repo_root
from switchboard.generator.cache import AnswerCache, signature

DEMO = load_profile(repo_root() / "tenants" / "demo")
BROADBAND = load_profile(repo_root() / "tenants" / "broadband")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("can I return it", "can't I return it"),
        ("Can I return it within 7 days?", "Can I return it within 30 days?"),
        ("可以退货吗", "不可以退货吗"),
        ("七天内能退吗", "三十天内能退吗"),
        ("where is SB1001", "where is SB1003"),
        ("运费是10元吗", "运费是99元吗"),
        # Look-alikes that once shared a signature (and, being near-identical, a cached answer):
        ("Can I return it?", "Can\u2019t I return it?"),  # typographic apostrophe
        ("Do you ship on the same day?", "Don\u2019t you ship on the same day?"),
        ("Can I return it?", "Cant I return it?"),
        ("Is the item returnable?", "Is the item non-returnable?"),
        ("退货要付运费吗？", "退货不用付运费吗？"),
        ("签收二十天后还能开发票吗？", "签收210天后还能开发票吗？"),  # 二十 is 20, not "2" + "10"
        ("订单满三十元包邮吗？", "订单满310元包邮吗？"),
        ("Can I return it within seven days?", "Can I return it within thirty days?"),
        ("Is the warranty one year?", "Is the warranty two years?"),
        ("Can I return it within a week?", "Can I return it within a month?"),
        ("一周内能退货吗？", "一个月内能退货吗？"),
        ("我的订单SB1001到哪了", "我的订单SB10010到哪了"),
    ],
)
def test_questions_that_differ_in_meaning_have_different_signatures(a: str, b: str) -> None:
    assert signature(a, DEMO) != signature(b, DEMO)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Can I return it within 7 days?", "Is returning within 7 days possible?"),
        ("7天无理由退货怎么申请", "怎么申请7天无理由退货"),
        ("七天能退吗", "7天能退吗"),
        ("三十天内能退吗", "30天内能退吗"),
        ("一百零五元", "105元"),
        ("双十一有价保吗", "双11有价保吗"),
        ("Can I return it within seven days?", "Can I return it within 7 days?"),
        ("Is there a twenty-five day limit?", "Is there a 25 day limit?"),
        ("Can\u2019t I return it?", "Can't I return it?"),
        ("可以七天无理由退货吗？", "7天无理由退货可以吗？"),
    ],
)
def test_rephrasings_keep_their_signature(a: str, b: str) -> None:
    assert signature(a, DEMO) == signature(b, DEMO)


def test_the_key_holds_knowledge_version_and_language() -> None:
    key = AnswerCache.key
    assert key("v1", "zh", "q", DEMO) != key("v2", "zh", "q", DEMO) != key("v1", "en", "q", DEMO)


def test_an_order_id_inside_chinese_text_is_part_of_the_signature() -> None:
    assert "o=SB1001" in signature("我的订单SB1001到哪了", DEMO)
    assert "o=;" in signature("SB100 是什么", DEMO)


def test_the_key_separates_the_tenants_own_ids() -> None:
    # Broadband's account numbers: LN and 6 digits, by the regex of its NLU data.
    one, other = "我的账号LN100004这个月账单多少", "我的账号LN100007这个月账单多少"
    assert AnswerCache.key("v1", "zh", one, BROADBAND) != AnswerCache.key("v1", "zh", other, BROADBAND)
    assert "o=LN100004" in signature("is there an outage for ln 100004?", BROADBAND)
    # The shop's patterns know no account number: the id is not read as one.
    assert "o=;" in signature("is there an outage for ln 100004?", DEMO)
