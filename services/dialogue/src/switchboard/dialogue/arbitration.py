"""Question or task: a task intent read from a how/what/谁/多久/哪里 question that names no order and
no one's own order is a knowledge question; a question about agents' hours is business information;
a message NLU could not read that is worded as a question goes to the knowledge base (which answers
or says it does not know), and one that explicitly cancels is a stop. A message that is only a reference
id (an order number), with no task said, starts the tenant's look-up (a look at that order).

Which intents are tasks, which entities are reference ids (and their patterns), which intent a bare id
starts: the tenant's ``ProjectProfile``, read from its Rasa project (``switchboard.core.projects.profile``).
The intents named here (the knowledge question, business information, a stop, ...) are the platform's
conversation intents; a reading is only ever changed to an intent the tenant's domain declares.

A question about the customer's own case that names no order ("I moved house, is it possible to change
where my order goes", "货寄回去以后，钱多久能退到我这") asks how things work as much as it asks for the
task: it is answered from the knowledge base, and the task is offered (the ``offered_task`` entity
carries it; an order number given next starts it). A request to act ("can you change my address",
"帮我查下退款") stays the task."""

from __future__ import annotations

import re
from typing import Any

from switchboard.core.projects.profile import ProjectProfile
from switchboard.dialogue.answers import cancels, explicitly_complains, normalized

KNOWLEDGE_INTENT = "policy_question"
BUSINESS_INTENT = "business_info"
FALLBACK_INTENT = "nlu_fallback"
STOP_INTENT = "stop"
CHITCHAT_INTENT = "chitchat"
COMPLAINT_INTENT = "complaint"
HUMAN_INTENT = "human_agent"
# Readings an explicit cancel ("算了不退了", "never mind, forget the return") may get from NLU.
CANCELLED_INTENTS = frozenset({FALLBACK_INTENT, "deny", "affirm", "chitchat"})
# Readings that may be a question about when or how to reach a person.
PEOPLE_INTENTS = frozenset({"human_agent", KNOWLEDGE_INTENT})
OFFERED_TASK_ENTITY = "offered_task"

_QUESTION_ZH = re.compile(
    r"谁|多久|多长时间|哪里|哪儿|什么|怎么|怎样|如何|多少|几天|几个工作日|是否|能不能|可不可以|有没有|吗[？?！!。\s]*$"
)
_QUESTION_EN = re.compile(
    r"^\s*(how|what|what's|whats|when|who|whose|where|which|why|is there|are there|do you|does)\b", re.IGNORECASE
)
# Any question, for a message NLU could not read: question words, particles, marks.
_ASKS_ZH = re.compile(
    r"[?？]|吗|呢|么|能不能|可不可以|可以.{0,12}吗|有没有|是不是|会不会|要不要|多少|多久|怎么|什么|哪|几|谁|为什么|是否|如何"
)
_ASKS_EN = re.compile(
    r"\?|^\s*(how|what|what's|whats|when|who|where|which|why|can|could|is|are|will|would|should|may|do|does|did)\b"
    r"|\b(is there|are there|do you|can i|can you)\b",
    re.IGNORECASE,
)
# The customer's own order or purchase: "我的订单", "my parcel", "I want to return ...".
_PERSONAL = re.compile(
    r"我的|我买的|我这|我刚|我要|我想|帮我|给我|\bmy\b|\bI want\b|\bI'd like\b|\bI need\b|\bI'm\b", re.IGNORECASE
)
# Words that only say what a bare reference id is ("订单号：SB1002", "order #SB1002", "账号 LN100004"); the
# words of the entity's name ("order", "account") count too.
_ID_LABELS = ("订单号", "订单", "单号", "账号", "帐号", "账户", "用户号", "编号", "号码", "number", "no", "id", "ref")
# A question about how the customer's own case works: possibility, timing, what to do.
_OWN_CASE_QUESTION = re.compile(
    r"还能|能不能|可不可以|可以.{0,12}吗|能.{0,12}吗|多久|多长时间|什么时候|几天|怎么办|在哪|算不算|是不是|"
    r"^\s*(can|could|may)\s+i\b|\bis\s+(it|that|this)\s+(still\s+)?(possible|covered|too\s+late)\b|"
    r"\b(when|how\s+long|how\s+soon)\b|\bwhat\s+(can|should|do)\s+i\s+do\b|\bam\s+i\s+(able|allowed)\b|"
    r"\bdo\s+i\s+(need|have)\s+to\b",
    re.IGNORECASE,
)
# A request to act, however it is worded: the task itself.
_REQUEST = re.compile(
    r"帮我|给我|麻烦|请帮|我要|我想|替我|查一下|查下|查查|"
    r"\b(can|could|would|will)\s+you\b|\bplease\b|\bpls\b|\bhelp\s+me\b|\bI\s+want\b|\bI'?d\s+like\b|"
    r"\bI\s+need\s+(you|to)\b|\b(check|track|look\s+up|find)\b",
    re.IGNORECASE,
)
# The shop as the one asked about (你们 is the shop; small talk asks 你, "you" alone).
_ABOUT_THE_SHOP = re.compile(
    r"你们|贵店|店铺|商城|仓库|门店|实体店|公司|"
    r"\byour\s+(shop|store|company|warehouse|stores|shops|website|site|app)\b|"
    r"\bdo\s+you\s+(guys\s+)?(sell|have|ship|offer|deliver|accept|take|stock|do|carry|make)\b|\bcan\s+i\s+(buy|pay|order|get)\b",
    re.IGNORECASE,
)
# The customer's own order or parcel: a complaint about it is for a person to look at.
_OWN_ORDER = re.compile(r"我的(订单|快递|包裹|货)|\bmy\s+(order|package|parcel|delivery|refund)\b", re.IGNORECASE)
# Asking whether the assistant is a bot, as opposed to asking for a person.
_ASKS_IF_BOT = re.compile(
    r"机器人|\bAI\b|\b(ro)?bots?\b|真人吗|是人吗|real person\?|human\?|are you (a )?(real|human)", re.I
)
_WANTS_PERSON = re.compile(
    r"转|接|找|叫|换|要|让|给我|talk to|speak (to|with)|connect|transfer|get me|want|need|let me|put me", re.I
)
_CLAUSES = re.compile(r"[,，.。;；!！]")
# Trailing emoji and symbols ("能退吗？🙏"), which hide how a sentence ends.
_TRAILING_SYMBOLS = re.compile(r"[^\w\s?？!！。.]+$")
# People to talk to; "you" only as someone who is open or around ("when are you open"), not as the shop doing
# something ("when do you dispatch").
_PEOPLE = re.compile(
    r"人工|客服|真人|agent|human|person|support|customer service|live chat|"
    r"\b(are|is)\s+(you|anyone|someone)\s+(guys\s+)?(open|available|online|around|there|working)\b",
    re.IGNORECASE,
)
_HOURS = re.compile(
    r"几点|什么时候|时间|上班|下班|营业|联系方式|电话|hours|what time|when\b|open\b|available|contact",
    re.IGNORECASE,
)


def is_general_question(text: str) -> bool:
    """A how/what question about the shop's rules rather than about the customer's own order."""
    text = _TRAILING_SYMBOLS.sub("", normalized(text))
    asks = bool(_QUESTION_ZH.search(text) or _QUESTION_EN.search(text))
    return asks and not _PERSONAL.search(text)


def is_bare_reference(text: str, profile: ProjectProfile) -> bool:
    """Just one of the tenant's reference ids, perhaps with what it is ("SB1002", "订单号：SB1002", full-width
    and spaced too)."""
    found = profile.reference_in(text)
    if found is None:
        return False
    labels = sorted({*_ID_LABELS, *found[0].split("_")}, key=len, reverse=True)
    rest = re.sub(r"[\W_]+", "", profile.without_references(text))
    return re.fullmatch(f"(?:{'|'.join(map(re.escape, labels))})*", rest, re.IGNORECASE) is not None


def asks_about_own_case(text: str) -> bool:
    """A question about how the customer's own case works, not a request to act on it."""
    text = _TRAILING_SYMBOLS.sub("", normalized(text))
    return bool(_OWN_CASE_QUESTION.search(text)) and not _REQUEST.search(text)


def reads_as_question(text: str) -> bool:
    """Worded as a question of any kind ("能放冰块吗", "do you ship to Canada", "warranty?")."""
    text = normalized(text)
    return bool(_ASKS_ZH.search(text) or _ASKS_EN.search(text))


def names_a_case(entities: list[dict[str, Any]], profile: ProjectProfile) -> bool:
    """A reference id or another entity a task's form asks for (an order id, the phone's digits) among the
    entities: the message is about one case."""
    return any(entity.get("entity") in profile.case_entities for entity in entities)


def arbitrated_intent(intent: str, text: str, entities: list[dict[str, Any]], profile: ProjectProfile) -> str:
    """The intent the dialogue acts on: ``intent`` unless the wording says question, not task (and the
    tenant's domain has the intent it says)."""
    name = _arbitrated(intent, text, entities, profile)
    return name if name in profile.intents else intent


def _arbitrated(intent: str, text: str, entities: list[dict[str, Any]], profile: ProjectProfile) -> str:
    plain = normalized(text)
    tasks = profile.task_intents
    if intent in CANCELLED_INTENTS and cancels(plain):
        return STOP_INTENT
    if (
        intent in tasks
        and cancels(plain)
        and not (_REQUEST.search(plain) or any(reads_as_question(clause) for clause in _CLAUSES.split(plain)))
    ):
        # "actually forget it, leave the address as it is": the task's words, but no task asked for (a
        # change of mind asks for one: "算了不退了，我想查一下物流", "actually forget that, where is my order").
        return STOP_INTENT
    if profile.lookup_intent and intent not in tasks and is_bare_reference(plain, profile):
        # Customers paste the number and wait: NLU reads it as anything (a fallback, a question).
        return profile.lookup_intent
    if names_a_case(entities, profile):
        return intent
    if intent == FALLBACK_INTENT and reads_as_question(plain):
        return KNOWLEDGE_INTENT
    if (
        intent == COMPLAINT_INTENT
        and reads_as_question(plain)
        and not explicitly_complains(plain)
        and not _OWN_ORDER.search(plain)
    ):
        # "刚付完款就便宜了二十块，能补给我吗😭": upset, but a question the knowledge base answers (an angry
        # customer still goes to a person: EscalationPolicy reads the emotion).
        return KNOWLEDGE_INTENT
    if intent == HUMAN_INTENT and _ASKS_IF_BOT.search(plain) and not _WANTS_PERSON.search(plain):
        # "am I chatting with a robot or a real person": small talk, not a request for one.
        return CHITCHAT_INTENT
    if intent == CHITCHAT_INTENT and reads_as_question(plain) and _ABOUT_THE_SHOP.search(plain):
        # "你们的仓库在哪个城市", "do you sell gift cards": about the shop, not small talk with the assistant; the
        # knowledge base answers or says honestly that it does not know.
        return KNOWLEDGE_INTENT
    if intent in tasks and is_general_question(plain):
        return KNOWLEDGE_INTENT
    if intent in PEOPLE_INTENTS and _HOURS.search(plain) and _PEOPLE.search(plain):
        return BUSINESS_INTENT
    return intent


def offered_task(intent: str, text: str, entities: list[dict[str, Any]], profile: ProjectProfile) -> str | None:
    """The task to offer after a knowledge answer: ``intent`` when the message asks how the customer's own
    case works and names no case, and the tenant's domain words the offer; None otherwise."""
    if not profile.offers_tasks or intent not in profile.task_intents or names_a_case(entities, profile):
        return None
    return intent if asks_about_own_case(text) else None


def arbitrate(parse_data: dict[str, Any], profile: ProjectProfile) -> dict[str, Any]:
    """Rasa parse data with the arbitrated intent on top (its ranking keeps every other reading)."""
    intent = parse_data["intent"]
    text, entities = parse_data.get("text") or "", parse_data.get("entities") or []
    name = arbitrated_intent(intent["name"], text, entities, profile)
    offer = offered_task(name, text, entities, profile)
    if offer is not None and KNOWLEDGE_INTENT in profile.intents:
        name = KNOWLEDGE_INTENT
        entities = [*entities, {"entity": OFFERED_TASK_ENTITY, "value": offer, "extractor": "switchboard-dialogue"}]
    if name == intent["name"]:
        return parse_data
    chosen = {"name": name, "confidence": intent["confidence"]}
    ranking = [chosen, *(item for item in parse_data.get("intent_ranking") or [] if item["name"] != name)]
    return {**parse_data, "intent": chosen, "intent_ranking": ranking, "entities": entities}
