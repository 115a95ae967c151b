"""Question or task: a task intent read from a how/what/谁/多久/哪里 question that names no order and
no one's own order is a knowledge question; a question about agents' hours is business information;
a message NLU could not read that is worded as a question goes to the knowledge base (which answers
or says it does not know), and one that explicitly cancels is a stop. A message that is only an order
number, with no task said, is a look at that order."""

from __future__ import annotations

import re
from typing import Any

from switchboard.dialogue.answers import cancels, normalized

TASK_INTENTS = frozenset({"check_order", "return_item", "damaged_item", "refund_status", "change_address", "invoice"})
KNOWLEDGE_INTENT = "policy_question"
BUSINESS_INTENT = "business_info"
FALLBACK_INTENT = "nlu_fallback"
STOP_INTENT = "stop"
ORDER_STATUS_INTENT = "check_order"
# Readings an explicit cancel ("算了不退了", "never mind, forget the return") may get from NLU.
CANCELLED_INTENTS = frozenset({FALLBACK_INTENT, "deny", "affirm", "chitchat"})
# Readings that may be a question about when or how to reach a person.
PEOPLE_INTENTS = frozenset({"human_agent", KNOWLEDGE_INTENT})
# Entities that make a message about one order: then it is a task, whatever its wording.
ORDER_ENTITIES = frozenset({"order_id", "phone_last4", "phone_number"})

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
# Just an order number ("SB1002", "订单号：SB1002", "order #SB1002"): nothing else is said.
_BARE_ORDER_ID = re.compile(r"^\W*(订单号?|单号|order(\s+(number|no\.?|id))?)?\W*SB\s*-?\s*\d{4}\W*$", re.IGNORECASE)
_PEOPLE = re.compile(r"人工|客服|真人|agent|human|person|support|customer service|live chat|you\b", re.IGNORECASE)
_HOURS = re.compile(
    r"几点|什么时候|时间|上班|下班|营业|联系方式|电话|hours|what time|when\b|open\b|available|contact",
    re.IGNORECASE,
)


def is_general_question(text: str) -> bool:
    """A how/what question about the shop's rules rather than about the customer's own order."""
    asks = bool(_QUESTION_ZH.search(text) or _QUESTION_EN.search(text))
    return asks and not _PERSONAL.search(text)


def reads_as_question(text: str) -> bool:
    """Worded as a question of any kind ("能放冰块吗", "do you ship to Canada", "warranty?")."""
    text = normalized(text)
    return bool(_ASKS_ZH.search(text) or _ASKS_EN.search(text))


def arbitrated_intent(intent: str, text: str, entities: list[dict[str, Any]]) -> str:
    """The intent the dialogue acts on: ``intent`` unless the wording says question, not task."""
    if intent in CANCELLED_INTENTS and cancels(text):
        return STOP_INTENT
    if intent not in TASK_INTENTS and _BARE_ORDER_ID.match(normalized(text)):
        # Customers paste the number and wait: NLU reads it as anything (a fallback, a question).
        return ORDER_STATUS_INTENT
    if any(entity.get("entity") in ORDER_ENTITIES for entity in entities):
        return intent
    if intent == FALLBACK_INTENT and reads_as_question(text):
        return KNOWLEDGE_INTENT
    if intent in TASK_INTENTS and is_general_question(text):
        return KNOWLEDGE_INTENT
    if intent in PEOPLE_INTENTS and _HOURS.search(text) and _PEOPLE.search(text):
        return BUSINESS_INTENT
    return intent


def arbitrate(parse_data: dict[str, Any]) -> dict[str, Any]:
    """Rasa parse data with the arbitrated intent on top (its ranking keeps every other reading)."""
    intent = parse_data["intent"]
    name = arbitrated_intent(intent["name"], parse_data.get("text") or "", parse_data.get("entities") or [])
    if name == intent["name"]:
        return parse_data
    chosen = {"name": name, "confidence": intent["confidence"]}
    ranking = [chosen, *(item for item in parse_data.get("intent_ranking") or [] if item["name"] != name)]
    return {**parse_data, "intent": chosen, "intent_ranking": ranking}
