"""Safety around the model: clean and screen what goes in, redact personal data, vet what comes out.

Everything here is pure and fast (regular expressions and checksums), so it runs on every request
before anything reaches the model, the cache or the logs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from switchboard.core.projects.profile import ProjectProfile

# --- input cleaning -------------------------------------------------------------------------------

_TAG_CHARACTERS = range(0xE0000, 0xE0080)


def strip_invisible(text: str) -> str:
    """Removes format characters (zero-width, bidi controls) and Unicode tag characters.

    Both are invisible to a person yet read by a model: the classic carriers of hidden instructions.
    """
    return "".join(char for char in text if ord(char) not in _TAG_CHARACTERS and unicodedata.category(char) != "Cf")


_INJECTION_PATTERNS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(ignore|disregard|forget|override)\b.{0,30}\b(previous|prior|above|earlier|all|any|your)\b.{0,20}"
        r"\b(instructions?|rules|prompts?|directions|guidelines)\b",
        r"\b(reveal|show|print|repeat|leak)\b.{0,30}\b(system prompt|instructions|hidden prompt|your prompt)\b",
        r"\byou are now\b|\bfrom now on,? you\b|\bdeveloper mode\b|\bjailbreak\b|\bDAN\b",
        r"\bact as (an? )?(unrestricted|different|new)\b",
        r"(忽略|无视|忘记|忘掉|不要理会).{0,10}(之前|以上|上面|前面|所有|全部|先前)?.{0,6}(指令|指示|规则|设定|提示|要求)",
        r"(输出|显示|告诉我|泄露|重复).{0,10}(系统提示|系统指令|提示词|你的指令|你的设定)",
        r"(你现在是|从现在开始你|扮演一个|开发者模式|越狱)",
    )
]


def looks_like_injection(text: str) -> bool:
    """True when the text tries to steer the assistant instead of asking the shop something."""
    return any(pattern.search(text) for pattern in _INJECTION_PATTERNS)


# --- personal data ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CN_MOBILE = re.compile(r"(?<![\d])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![\d])")
_CN_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_CARD = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_cn_id(number: str) -> bool:
    """Checks the ISO 7064 mod 11-2 check character of an 18-character resident ID number."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact(text: str) -> str:
    """Replaces e-mails, Chinese mobile numbers, ID numbers (checksum-valid) and card numbers (Luhn-valid).

    Order ids and prices stay: they are what customers ask about and carry no identity.
    """
    text = _EMAIL.sub("[EMAIL]", text)
    text = _CN_ID.sub(lambda m: "[ID_NUMBER]" if valid_cn_id(m[0]) else m[0], text)

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match[0])
        return "[CARD_NUMBER]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match[0]

    text = _CARD.sub(card, text)
    return _CN_MOBILE.sub("[PHONE]", text)


# --- output vetting --------------------------------------------------------------------------------

_PROMISES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bfull refund\b|\b100% refund\b|\brefund (you|your money) (right away|now|immediately|today)\b",
        r"\bdiscount\b|\bcoupon\b|\bvoucher\b|\bfree of charge\b|\bcompensat\w*\b|\bwaive\w*\b",
        r"全额退款|立即退款|马上退款|折扣|打折|优惠券|代金券|补偿|赔偿|免单|免费送",
    )
]
_DIGITS_11 = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str = ""


def check_output(
    answer: str,
    *,
    canary: str,
    system_prompt: str,
    supporting_texts: Iterable[str],
    context_text: str,
    blocked_topics: Iterable[str],
    references: ProjectProfile,
) -> Verdict:
    """Vets a model answer before anyone sees it.

    Rejects a leaked canary or system prompt, a promise the retrieved policy does not make, reference
    ids (the tenant's order or account numbers, by its ``references`` patterns) or phone numbers the
    customer did not give (another customer's data), and blocked topics.
    """
    if canary and canary in answer:
        return Verdict(False, "canary leaked")
    if _shares_long_run(answer, system_prompt, 40):
        return Verdict(False, "system prompt leaked")
    support = " ".join(supporting_texts).lower()
    for pattern in _PROMISES:
        for match in pattern.finditer(answer):
            if match[0].lower() not in support:
                return Verdict(False, f"promise outside policy: {match[0]!r}")
    known = set(references.references_in(context_text))
    for entity, _, _, value in references.reference_spans(answer):
        if value not in known:
            return Verdict(False, f"mentions an id ({entity}) the customer did not give")
    for match in _DIGITS_11.finditer(answer):
        if match[0] not in context_text:
            return Verdict(False, "mentions a phone number the customer did not give")
    topic = blocked_topic(answer, blocked_topics)
    if topic:
        return Verdict(False, f"blocked topic: {topic}")
    return Verdict(True)


def blocked_topic(text: str, topics: Iterable[str]) -> str:
    lowered = text.lower()
    return next((topic for topic in topics if topic.lower() in lowered), "")


def _shares_long_run(text: str, secret: str, width: int) -> bool:
    if len(secret) < width:
        return bool(secret) and secret in text
    return any(secret[start : start + width] in text for start in range(0, len(secret) - width + 1, width // 2))
