"""What a customer's answer to the form's question says, read from its text: the phone's last 4 digits,
an explicit cancel, a change of mind, a damaged item.

NLU reads each message alone and often gives no entity for an answer (full-width digits, "it's 3721", "杯子");
the form, which asked the question, reads the text itself. Text is NFKC-normalized first, so full-width
letters and digits typed with a Chinese input method ("SB1005" typed full-width) read as their ASCII forms.
A reference id (an order number) is read by the tenant's own patterns (``ProjectProfile.reference_in``).
"""

from __future__ import annotations

import re

from switchboard.core.projects.profile import ProjectProfile, normalized

# The form's questions any words can answer (validation then checks them against the order).
FREE_TEXT_SLOTS = frozenset({"product", "return_reason", "address"})
# Four digits standing alone: not part of a longer number nor of an id such as SB1003.
BARE_FOUR_DIGITS = re.compile(r"(?<![0-9A-Za-z])[0-9]{4}(?![0-9])")
# Beyond this many other characters an answer of four digits is a sentence, and its digits count
# only when it says they are the phone's ("啊不对，手机后四位是3721", "wrong digits, it's 3721").
SHORT_ANSWER_CHARS = 8
_PHONE_CUE = re.compile(
    r"手机|电话|尾号|后四位|后4位|号码|数字|phone|digits?|number|last\s*(4|four)|it'?s|its|is\b|typo|wrong|sorry",
    re.IGNORECASE,
)
# An explicit end of the request, as opposed to a return reason that sounds like "stop" ("不想要了").
_CANCEL = re.compile(
    r"算了|不退了|不用退|不退货|取消(退货|退款|申请|操作|这个|吧|了)?$|^取消|不办了|不弄了|先不(退|改|开|查)|不改了|不用了|"
    r"never\s*mind|forget\s+(it|that|the|about)|cancel|don'?t\s+(want\s+to\s+)?(return|bother)|"
    r"^\s*(stop|quit|exit|abort)\b|no\s+need\s+to\s+return|not\s+returning",
    re.IGNORECASE,
)
# A customer leaving one task for another mid-form ("changed my mind, just tell me where SB1001 is").
_CHANGE_OF_MIND = re.compile(
    r"changed?\s+my\s+mind|instead|actually|forget\s+(it|that|the|about)|never\s*mind|hold\s+on|wait\b|"
    r"rather|just\s+(tell|check|show)|算了|不退了|不改了|不用了|改成|换成|还是(先)?|先帮我|等等|等一下|其实",
    re.IGNORECASE,
)
# A return reason that is a damage or a defect: a quality return, shipping paid by the shop.
_DAMAGED = re.compile(
    r"坏|破|裂|碎|漏|瑕疵|质量(问题|差|不好)|故障|开不了机|不能用|用不了|没反应|不亮|不响|划痕|凹|变形|次品|"
    r"broken|broke|damaged?|defect|faulty|cracked|crack|leak|dent|scratch|doesn'?t\s+work|not\s+working|"
    r"won'?t\s+(turn|switch)\s+on|dead\b|shattered",
    re.IGNORECASE,
)

# A complaint about the shop or a call for a person, as opposed to a complaint about the item or a question.
_EXPLICIT_COMPLAINT = re.compile(
    r"投诉|举报|差评|曝光|12315|消协|经理|人工|客服|骗|垃圾|"
    r"complain|complaint|report|review|manager|supervisor|agent|human|scam|ridiculous|terrible|worst",
    re.IGNORECASE,
)


def last4_in(text: str, profile: ProjectProfile | None = None) -> str | None:
    """The phone's last 4 digits in an answer: a short answer that is just them (full-width too,
    "尾号是 3721。"), or a sentence that says they are the phone's digits. Anything else (a year or an amount inside a
    longer sentence, two groups of digits, the digits of one of the tenant's reference ids when ``profile``
    is given) is no answer."""
    text = profile.without_references(text) if profile else normalized(text)
    groups = BARE_FOUR_DIGITS.findall(text)
    if len(groups) != 1:
        return None
    rest = re.sub(r"[\W_]", "", BARE_FOUR_DIGITS.sub("", text))
    return groups[0] if len(rest) <= SHORT_ANSWER_CHARS or _PHONE_CUE.search(text) else None


def answers_question(slot: str | None, text: str) -> bool:
    """Whether ``text`` can answer the form's question for ``slot``: the digits it asks for, or any words
    for a free-text question (the item, the reason, the address). A reference id (an order number) needs
    no reading here: the dialogue service adds it as an entity, which fills its slot."""
    if slot == "phone_last4":
        return last4_in(text) is not None
    return slot in FREE_TEXT_SLOTS and bool(normalized(text)) and not cancels(text)


def cancels(text: str) -> bool:
    """An explicit end of the request ("算了不退了", "取消退货", "never mind, forget the return")."""
    return bool(_CANCEL.search(normalized(text)))


def changes_mind(text: str) -> bool:
    """Words that leave the current task for another ("actually, just tell me where it is", "算了，查物流")."""
    return bool(_CHANGE_OF_MIND.search(normalized(text)))


def says_damaged(text: str) -> bool:
    """A reason that is damage or a defect ("漏水", "开不了机", "arrived broken")."""
    return bool(_DAMAGED.search(normalized(text)))


def explicitly_complains(text: str) -> bool:
    """A complaint about the shop or a call for a person ("我要投诉", "worst service, get me a manager")."""
    return bool(_EXPLICIT_COMPLAINT.search(normalized(text)))
