"""Whether the best passage answers the question at all, beyond its dense score.

A question is out of scope when it names something (a place, a brand, a policy) the knowledge base
never mentions ("do you ship to Canada", "能寄到加拿大吗"), or, in Chinese, where dense scores of
unrelated text sit within 0.003 of on-topic ones, when the best passage shares none of its content
characters ("你们卖汽车吗" against the shipping fee).
"""

from __future__ import annotations

import re

from switchboard.generator.grounding import facts, normalise

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Characters of question phrasing, shared by every passage and question alike.
_WEAK_ZH = frozenset("你您们我的吗呢了是有可以能什么怎多少请问一下不要在吧啊还和也就都这那个")


def unknown_names(question: str, knowledge_text: str) -> list[str]:
    """Names in the question that the knowledge base never mentions."""
    known = normalise(knowledge_text).lower()
    return sorted(fact.value for fact in facts(question) if fact.kind == "name" and fact.value not in known)


def shares_chinese_terms(question: str, passage_text: str) -> bool:
    """True when a Chinese question shares a content character with the passage; English always."""
    wanted = set(_CJK.findall(normalise(question))) - _WEAK_ZH
    if not wanted:
        return True
    return bool(wanted & set(normalise(passage_text)))


def answerable(question: str, passage_text: str, knowledge_text: str) -> bool:
    """The question names nothing the knowledge base lacks and shares content words with the passage."""
    return not unknown_names(question, knowledge_text) and shares_chinese_terms(question, passage_text)
