"""The platform's custom actions, which every tenant's assistant gets: answer from the knowledge base,
hand off to a person, say the agents' hours.

They run in the dialogue process (``action_runner``); every other custom action of a tenant runs in
the tenant's own action server. Decisions that are not template replies leave the assistant as
custom payloads (``{"decision": "generate"}`` / ``{"decision": "handoff", "reasons": [...]}``), which
the service turns into ``ReplyDecided`` events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from switchboard.core.copy import TenantCopy, default_copy
from switchboard.core.language import reply_language
from switchboard.core.projects.profile import ProjectProfile
from switchboard.core.tenants import Tenant
from switchboard.dialogue.arbitration import OFFERED_TASK_ENTITY
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


# Answers to an offer, which say nothing of what the conversation is about.
_ANSWER_INTENTS = frozenset({"affirm", "deny"})
# How many customer messages back the request behind an accepted offer is looked for.
_TOPIC_LOOKBACK = 6


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


def handoff_topic(tracker: Tracker) -> str:
    """What the conversation is about, which picks the agents' queue: the form's task; after a "yes" to an
    offer, the task or the request that led to the offer (a "yes" is about nothing); else the latest intent."""
    if tracker.active_loop_name and tracker.get_slot("task"):
        return str(tracker.get_slot("task"))
    intents = last_user_intents(tracker.events, _TOPIC_LOOKBACK)
    latest = intents[0] if intents else ""
    if latest not in _ANSWER_INTENTS:
        return latest
    if tracker.get_slot("task"):
        return str(tracker.get_slot("task"))
    return next((intent for intent in intents if intent and intent not in _ANSWER_INTENTS), latest)


def handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Asks for a person and pauses the bot: it stays silent until the agent hands the conversation back."""
    dispatcher.utter_message(
        json_message={
            "decision": DECISION_HANDOFF,
            "reasons": handoff_reasons(tracker),
            "topic": handoff_topic(tracker),
        }
    )
    return [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("offered_handoff", False),
        ConversationPaused(),
    ]


class ActionGenerateAnswer(Action):
    """Hands the question to the generator, which answers from the tenant's knowledge base; offers one of
    the tenant's ``task_intents`` when arbitration found the question to be about the customer's own case."""

    def __init__(self, task_intents: frozenset[str]) -> None:
        self.task_intents = task_intents

    def name(self) -> str:
        return "action_generate_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(json_message={"decision": DECISION_GENERATE, "personal": False})
        offer = next(tracker.get_latest_entity_values(OFFERED_TASK_ENTITY), None)
        if offer in self.task_intents and tracker.active_loop_name is None:
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
    """Agent hours and how to reach a person, from the tenant's record (never a ticket), in its copy's words."""

    def __init__(self, tenant: Tenant, copy: Callable[[], TenantCopy] = default_copy) -> None:
        self.tenant = tenant
        self.copy = copy

    def name(self) -> str:
        return "action_business_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now = datetime.now(ZoneInfo(self.tenant.timezone))
        reply = agent_hours_reply(self.tenant.agent_hours, now, language_of(tracker), self.copy().business)
        dispatcher.utter_message(response="utter_agent_hours", **reply.template_values())
        return []


def platform_actions(
    tenant: Tenant, copy: Callable[[], TenantCopy] = default_copy, *, profile: ProjectProfile
) -> list[Action]:
    """The custom actions every tenant's assistant gets, run in the dialogue process; ``copy`` reads the
    tenant's current copy, ``profile`` is what its Rasa project says of its tasks."""
    offered = profile.task_intents if profile.offers_tasks else frozenset()
    return [ActionGenerateAnswer(offered), ActionHandoff(), ActionBusinessInfo(tenant, copy)]


# The names of ``platform_actions``: these never go to a tenant's action server.
PLATFORM_ACTIONS = frozenset({"action_generate_answer", "action_handoff", "action_business_info"})
