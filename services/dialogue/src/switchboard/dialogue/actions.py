"""The platform's custom actions, which every tenant's assistant gets: answer from the knowledge base,
hand off to a person, say the agents' hours.

They run in the dialogue process (``action_runner``); every other custom action of a tenant runs in
the tenant's own action server. Decisions that are not template replies leave the assistant as
custom payloads (``{"decision": "generate"}`` / ``{"decision": "handoff", "reasons": [...]}``), which
the service turns into ``ReplyDecided`` events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from switchboard.core.language import reply_language
from switchboard.core.tenants import Tenant
from switchboard.dialogue.arbitration import OFFERED_TASK_ENTITY, TASK_INTENTS
from switchboard.dialogue.business import agent_hours_reply

OFFERED_TASK_SLOT = "offered_task"
DECISION_GENERATE = "generate"
DECISION_HANDOFF = "handoff"
# HandoffReason names without their HANDOFF_REASON_ prefix.
REASON_CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
REASON_NEGATIVE_EMOTION = "NEGATIVE_EMOTION"
REASON_REPEATED_FALLBACK = "REPEATED_FALLBACK"
REASON_SENSITIVE_INTENT = "SENSITIVE_INTENT"
REASON_POLICY_EXCEPTION = "POLICY_EXCEPTION"


def language_of(tracker: Tracker) -> str:
    """The language replies are written in: the conversation's, by the one rule of ``switchboard.core.language``."""
    return reply_language(tracker.get_slot("language"))


def last_user_intents(events: list[dict[str, Any]], count: int) -> list[str]:
    """The intents of the last ``count`` user messages, newest first."""
    intents: list[str] = []
    for event in reversed(events):
        if event.get("event") == "user":
            intents.append(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")
            if len(intents) == count:
                break
    return intents


def handoff_reasons(tracker: Tracker) -> list[str]:
    """Why this conversation goes to a person, read from the latest message and the recent turns."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    emotion = (message.get("metadata") or {}).get("emotion") or {}
    reasons = []
    if intent == "human_agent" or (intent == "affirm" and tracker.get_slot("offered_handoff")):
        reasons.append(REASON_CUSTOMER_REQUEST)
    if intent == "affirm" and tracker.get_slot("offered_handoff"):
        reasons.append(REASON_POLICY_EXCEPTION)
    if intent == "complaint":
        reasons.append(REASON_SENSITIVE_INTENT)
    if emotion.get("label") == "ANGRY":
        reasons.append(REASON_NEGATIVE_EMOTION)
    if last_user_intents(tracker.events, 2) == ["nlu_fallback", "nlu_fallback"]:
        reasons.append(REASON_REPEATED_FALLBACK)
    return reasons or [REASON_CUSTOMER_REQUEST]


def handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Asks for a person and pauses the bot: it stays silent until the agent hands the conversation back."""
    topic = tracker.get_slot("task") if tracker.active_loop_name else None
    dispatcher.utter_message(
        json_message={
            "decision": DECISION_HANDOFF,
            "reasons": handoff_reasons(tracker),
            "topic": topic or (tracker.latest_message.get("intent") or {}).get("name") or "",
        }
    )
    return [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("offered_handoff", False),
        ConversationPaused(),
    ]


class ActionGenerateAnswer(Action):
    """Hands the question to the generator, which answers from the tenant's knowledge base."""

    def name(self) -> str:
        return "action_generate_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(json_message={"decision": DECISION_GENERATE, "personal": False})
        offer = next(tracker.get_latest_entity_values(OFFERED_TASK_ENTITY), None)
        if offer in TASK_INTENTS and tracker.active_loop_name is None:
            # A question about the customer's own case: answered, then the task is offered.
            dispatcher.utter_message(response="utter_offer_task")
            return [SlotSet(OFFERED_TASK_SLOT, offer)]
        return [SlotSet(OFFERED_TASK_SLOT, None)] if tracker.get_slot(OFFERED_TASK_SLOT) else []


class ActionHandoff(Action):
    """Asks for a human agent with the reasons, and pauses the bot."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return handoff(dispatcher, tracker)


class ActionBusinessInfo(Action):
    """Agent hours and how to reach a person, from the tenant's record (never a ticket)."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def name(self) -> str:
        return "action_business_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now = datetime.now(ZoneInfo(self.tenant.timezone))
        reply = agent_hours_reply(self.tenant.agent_hours, now, language_of(tracker))
        dispatcher.utter_message(response="utter_agent_hours", **reply.template_values())
        return []


def platform_actions(tenant: Tenant) -> list[Action]:
    """The custom actions every tenant's assistant gets, run in the dialogue process."""
    return [ActionGenerateAnswer(), ActionHandoff(), ActionBusinessInfo(tenant)]


# The names of ``platform_actions``: these never go to a tenant's action server.
PLATFORM_ACTIONS = frozenset({"action_generate_answer", "action_handoff", "action_business_info"})
