"""Pure scoring of replies: fact hits, fabricated numbers, honesty, escalation, final states, percentiles."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

# Marker phrases of each final state, per language, as the demo tenant's templates and the handoff
# service word them (tenants/demo/domain.yml, services/handoff, services/generator/style.py).
OUTCOME_MARKERS: dict[str, dict[str, tuple[str, ...]]] = {
    "return_registered": {"zh": ("创建退货申请",), "en": ("opened return",)},
    "damaged_return_registered": {"zh": ("质量问题退货申请",), "en": ("opened quality return",)},
    "return_refused": {"zh": ("超过了 7 天", "超过了7天"), "en": ("past the 7-day return window",)},
    "order_status": {"zh": ("已由", "已于", "已付款"), "en": ("has shipped", "was delivered", "is paid")},
    "address_changed": {"zh": ("收货地址已改为",), "en": ("delivery address of order",)},
    "address_locked": {"zh": ("无法修改地址",), "en": ("address can't be changed",)},
    "invoice_requested": {"zh": ("申请电子发票（编号",), "en": ("requested the electronic invoice",)},
    "refund_status": {"zh": ("退款记录", "已受理"), "en": ("no refund on order", "is open; the refund")},
    "form_stopped": {"zh": ("已为您取消本次操作",), "en": ("i've stopped there",)},
    "escalated": {
        "zh": ("正在为您转接", "登记回电"),
        "en": ("connecting you now", "logged a callback"),
    },
}
ESCALATION = OUTCOME_MARKERS["escalated"]
# What an honest "the knowledge base does not say" reply contains: it says so, or offers a person.
HONEST_MARKERS = {
    "zh": ("没有找到答案", "不知道", "无法回答", "不确定", "人工客服", "转接人工", "同事", "回电"),
    "en": ("don't know", "do not know", "not sure", "can't answer", "colleague", "human agent", "call back"),
}
# The question a form asks for each pending slot.
ASK_MARKERS = {
    "order_id": {"zh": ("订单号",), "en": ("order number",)},
    "phone_last4": {"zh": ("后 4 位", "后4位"), "en": ("last 4 digits",)},
    "product": {"zh": ("哪件商品",), "en": ("which item",)},
    "return_reason": {"zh": ("退货原因",), "en": ("why you're returning",)},
    "address": {"zh": ("新的收货地址",), "en": ("new delivery address",)},
}
_NUMBER = re.compile(r"\d+(?:[.:]\d+)?")


def normalized(text: str) -> str:
    """Full-width folded (NFKC), lower case, typographic apostrophes made plain."""
    return unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")


def contains_any(text: str, needles: Iterable[str]) -> bool:
    haystack = normalized(text)
    return any(normalized(needle) in haystack for needle in needles)


def kb_correct(reply: str, facts: Sequence[str], and_facts: Sequence[str] = ()) -> bool:
    """One of ``facts`` appears, and one of ``and_facts`` too when the message asked two things."""
    return contains_any(reply, facts) and (not and_facts or contains_any(reply, and_facts))


def numbers(text: str) -> set[str]:
    """Every number, amount, time or duration in ``text``, canonical (``99.00`` -> ``99``, ``09:00`` -> ``9:00``)."""
    found = set()
    for token in _NUMBER.findall(normalized(text)):
        if ":" in token:
            hours, minutes = token.split(":")
            found.add(f"{int(hours)}:{minutes}")
        elif "." in token:
            found.add(str(float(token)).removesuffix(".0"))
        else:
            found.add(str(int(token)))
    return found


# The handoff service's queue notice: a place in the queue and a wait it worked out, no claim about the shop.
_QUEUE_NOTICE = re.compile(
    r"排在第\s*\d+\s*位|约\s*\d+\s*分钟|number\s+\d+\s+in\s+the\s+queue|about\s+\d+\s+min\w*", re.IGNORECASE
)


# Identifiers the system generated for this customer (a callback ticket CB-3B6CB983, a return RTE2010A50).
_GENERATED_ID = re.compile(r"\b(?:CB|RT)-?[0-9A-F]{6,}\b", re.IGNORECASE)


def fabricated(reply: str, allowed: set[str]) -> set[str]:
    """Numbers in ``reply`` that neither the knowledge base nor the customer's own words hold (a queue
    notice's place and wait are the queue's, a ticket's id is the system's: no claims)."""
    text = _GENERATED_ID.sub(" ", _QUEUE_NOTICE.sub(" ", normalized(reply)))
    return numbers(text) - allowed


def honest(reply: str, lang: str) -> bool:
    """The reply says it does not know or offers a person, in either language."""
    return contains_any(reply, HONEST_MARKERS[lang] + HONEST_MARKERS["en" if lang == "zh" else "zh"])


def escalated(reply: str) -> bool:
    return contains_any(reply, ESCALATION["zh"] + ESCALATION["en"])


def reached(outcome: str, reply: str) -> bool:
    """The reply shows the final state ``outcome`` (either language's wording)."""
    markers = OUTCOME_MARKERS[outcome]
    return contains_any(reply, markers["zh"] + markers["en"])


def asks(slot: str, reply: str) -> bool:
    markers = ASK_MARKERS[slot]
    return contains_any(reply, markers["zh"] + markers["en"])


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def rate(hits: int, total: int) -> float | None:
    return None if total == 0 else hits / total


def precision_recall(pairs: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """Precision and recall of ``(expected, observed)`` pairs."""
    pairs = list(pairs)
    true_positive = sum(1 for expected, observed in pairs if expected and observed)
    observed = sum(1 for _, seen in pairs if seen)
    expected = sum(1 for wanted, _ in pairs if wanted)
    return rate(true_positive, observed), rate(true_positive, expected)
