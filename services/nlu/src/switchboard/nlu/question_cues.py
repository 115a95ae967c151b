"""Cue tokens for the form of a message: a question about how the shop works, or a request about the
customer's own order.

"how long does a refund take" and "where is my refund for SB1002" share their content words; what
sets them apart is the form: a question word, a condition ("if I return it", "要是退货的话"), a
"usually", a question wrapped as a request ("could you tell me ...", "想问一下"), against a
possessive, an order id or "please"/"帮我". Each cue found becomes one token (and each pair of a
question cue with an own-order cue one more), a feature block of its own in the intent model, so the
classifier learns how much each form counts for each intent from the examples.
"""

from __future__ import annotations

import re

from switchboard.nlu.tokens import normalise

_EN_QUESTION_START = re.compile(
    r"^(?:hi|hello|hey|excuse me|sorry|and|also|so|ok)?[\s,!.]*"
    r"(how|what|whats|when|where|which|who|why|is|are|do|does|did|can|could|will|would|should|may|any)\b"
)


def _either(english: str, chinese: tuple[str, ...]) -> re.Pattern[str]:
    """English words or phrases (``english``, a regex alternation, on word boundaries) or Chinese substrings."""
    return re.compile(rf"\b(?:{english})\b|" + "|".join(chinese))


# (cue, pattern) over the normalised text (NFKC, lower case: full-width "？" is "?").
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("q_mark", re.compile(r"[?]\s*$|[?].")),
    (
        "q_zh",
        re.compile(
            r"[吗嘛么呢]\s*[?!.。]*\s*$|吗[,，?]|"
            + "|".join(("多久", "几天", "几个", "怎么", "如何", "能不能", "可不可以", "能否", "是否", "是不是"))
            + "|"
            + "|".join(("有没有", "多少", "什么", "哪", "谁", "几点", "要不要"))
        ),
    ),
    (
        "cond",
        _either(
            "if|in case|once|after i|when i|whether",
            ("要是", "如果", "的话", "假如", "万一", "之后还", "以后还", "后还能"),
        ),
    ),
    (
        "general",
        _either(
            "usually|normally|generally|in general|typically|policy|policies|rules?|allowed",
            ("一般", "通常", "平时", "政策", "规则", "规定", "流程", "条件"),
        ),
    ),
    (
        "ask",  # a question wrapped as a request: "could you tell me ...", "想问一下 ..."
        _either(
            "tell me|explain|let me know|(?:like|want|need) to know|wondering|question about|info (?:on|about)",
            ("想问", "问一下", "问下", "请问", "想了解", "想知道", "咨询", "说一下", "告诉我"),
        ),
    ),
    ("order_id", re.compile(r"(?<![a-z0-9])[a-z]{2}\d{4,8}(?![0-9])|(?<!\d)\d{6,}(?!\d)")),
    (
        "own",
        _either(
            "my|mine|i ordered|i bought|i returned|i sent",
            ("我的", "我买的", "我下的", "我退的", "这单", "那单", "这个订单", "我这"),
        ),
    ),
    (
        "request",
        _either(
            "please|pls|i want|i'd like|i would like|i need|can you|could you|help me",
            ("帮我", "给我", "麻烦", "请帮", "我要", "我想"),
        ),
    ),
)
_QUESTIONS = ("q_start", "q_mark", "q_zh", "cond", "general", "ask")
_OWN = ("order_id", "own", "request")


def cues(text: str) -> list[str]:
    """The form cues of ``text``, plus one token per (question cue, own-order cue) pair found."""
    folded = " ".join(normalise(text).split())
    found = [name for name, pattern in _CUES if pattern.search(folded)]
    if _EN_QUESTION_START.search(folded):
        found.append("q_start")
    pairs = [f"{q}+{o}" for q in _QUESTIONS if q in found for o in _OWN if o in found]
    return found + pairs
