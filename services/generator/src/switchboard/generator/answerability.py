"""Whether the best passage answers the question at all, beyond its dense score.

A question is out of scope when it names something (a place, a brand, a policy) the knowledge base
never mentions ("do you ship to Canada", "能寄到加拿大吗"), or, in Chinese, where dense scores of
unrelated text sit within 0.003 of on-topic ones, when the best passage shares none of its content
characters ("你们卖汽车吗" against the shipping fee).

It is also out of scope when its key concept is one the knowledge base does not hold: the question
holds a content word the knowledge base never uses (jieba's words for Chinese, word stems for
English: "cash on delivery", "花呗分期", "gift wrap", "批发", "made in which country") and the passage
declares none of the question's key terms (``keyterms``). Dense similarity alone put "can I pay cash
on delivery" on the invoice passage; a passage whose declared topic the question names answers it
even when the question uses words of its own ("I moved house, ..." and the address passage).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import cached_property, lru_cache

import jieba
import jieba.posseg

from switchboard.generator.grounding import facts, normalise
from switchboard.generator.keyterms import fold
from switchboard.generator.text import STOPWORDS

jieba.setLogLevel(logging.WARNING)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z]+")
# Characters of question phrasing, shared by every passage and question alike.
_WEAK_ZH = frozenset("你您们我的吗呢了是有可以能什么怎多少请问一下不要在吧啊还和也就都这那个")


def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of asking, not of a topic: they say nothing about what the question is about.
_PHRASING_ZH = _word_list(
    "可以 能不能 可不可以 是不是 有没有 怎么 怎么样 怎样 如何 什么 什么样 什么时候 时候 多久 多长时间 多少 几天 "
    "哪里 哪儿 哪个 为什么 请问 你好 您好 你们 我们 我的 这个 那个 一下 需要 想要 想问 问一下 如果 已经 "
    "还能 还有 还是 现在 "
    "今天 明天 昨天 晚上 早上 上午 下午 一般 大概 东西 商品 订单 下单 买 购买 的话 吗 呢 吧 啊 好的 谢谢 麻烦 "
    "星期 礼拜 周 个月 月 年 小时 分钟 天"
)
# Parts of speech that never name a topic: adverbs, conjunctions, locatives, numerals, measure words,
# pronouns, particles, prepositions, interjections ("另外", "以后", "不太", "第五天", "自己", "得").
_FUNCTION_POS = ("d", "c", "f", "m", "q", "r", "u", "y", "p", "e", "o", "x", "zg")
# Counts ("两个", "三周") say how much, not what about.
_COUNT_ZH = re.compile(r"^[\d一二两三四五六七八九十百几半]+[个天周月年]?$")
_PHRASING_EN = _word_list(
    "could would will should get got have has had need want know tell like if after before still also just "
    "long soon able way ok okay hi hello thanks thank yes no not don't i'm it's what's anything something "
    "item items order orders thing things buy bought purchase shop store already give go goes going take takes "
    "come comes again ever really now today tomorrow tonight night morning week weeks month months year years "
    "day days hour hours minute minutes pls plz thx smth sth stuff late covers covered possible happen happens "
    "since too here there then than very much many some any every other another else"
)
_SUFFIXES = ("ing", "ed", "es", "s")
_STEM_CHARS = 6


def _stem(word: str) -> str:
    """A crude stem: without a common suffix, at most six letters ("packaging", "package" → "packag")."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)][:_STEM_CHARS]
    return word[:_STEM_CHARS]


@lru_cache(maxsize=64)
def _vocabulary(knowledge_text: str) -> tuple[str, frozenset[str]]:
    """The knowledge base's folded text (for Chinese words) and its English word stems."""
    folded = fold(normalise(knowledge_text))
    return folded, frozenset(_stem(word) for word in _WORD.findall(folded))


def unknown_terms(question: str, knowledge_text: str) -> list[str]:
    """The question's content words that the knowledge base (its text and declared keywords) never uses."""
    folded, stems = _vocabulary(knowledge_text)
    text = fold(normalise(question))
    unknown = {
        word
        for run in _CJK_RUN.findall(text)
        for word, pos in jieba.posseg.lcut(run)
        if not pos.startswith(_FUNCTION_POS)
        and word not in _PHRASING_ZH
        and not set(word) <= _WEAK_ZH
        and not _COUNT_ZH.match(word)
        and word not in folded
    }
    unknown |= {
        word
        for word in _WORD.findall(text)
        if len(word) > 2 and word not in STOPWORDS and word not in _PHRASING_EN and _stem(word) not in stems
    }
    return sorted(unknown)


def unknown_names(question: str, knowledge_text: str) -> list[str]:
    """Names in the question that the knowledge base never mentions."""
    known, _ = _vocabulary(knowledge_text)
    return sorted(fact.value for fact in facts(question) if fact.kind == "name" and fact.value not in known)


def _content_characters(question: str) -> frozenset[str]:
    return frozenset(_CJK.findall(normalise(question))) - _WEAK_ZH


def shares_chinese_terms(question: str, passage_text: str) -> bool:
    """True when a Chinese question shares a content character with the passage; English always."""
    return _shares(_content_characters(question), passage_text)


def _shares(wanted: frozenset[str], passage_text: str) -> bool:
    return not wanted or bool(wanted & set(normalise(passage_text)))


class QuestionScope:
    """One question against one knowledge base: what depends on the question alone is worked out once
    (and only when asked), however many passages are then checked against it."""

    def __init__(self, question: str, knowledge_text: str) -> None:
        self._question = question
        self._knowledge_text = knowledge_text

    @cached_property
    def names_unknown(self) -> bool:
        return bool(unknown_names(self._question, self._knowledge_text))

    @cached_property
    def terms_unknown(self) -> bool:
        return bool(unknown_terms(self._question, self._knowledge_text))

    @cached_property
    def _wanted(self) -> frozenset[str]:
        return _content_characters(self._question)

    def answered_by(self, passage_text: str, terms: Sequence[str] = ()) -> bool:
        """The question names nothing the knowledge base lacks, and either names one of the passage's key
        ``terms`` or shares content words with it and uses no content word the knowledge base lacks."""
        if self.names_unknown:
            return False
        if terms:
            # The question names one of the passage's declared key terms: that is a shared topic word,
            # even where the passage's own text words it differently ("便宜了" for its "降价").
            return True
        return _shares(self._wanted, passage_text) and not self.terms_unknown


def answerable(question: str, passage_text: str, knowledge_text: str, terms: Sequence[str] = ()) -> bool:
    """``QuestionScope.answered_by`` for a single passage."""
    return QuestionScope(question, knowledge_text).answered_by(passage_text, terms)
