"""The demo shop's custom actions: the order form, order tasks, returns, invoices.

Plain rasa_sdk actions, served by the tenant's action server (``python -m rasa_sdk --actions actions``).
Database calls are synchronous pymongo and run in a worker thread; the dialogue service bounds every
call with a timeout shorter than the turn budget. How a customer's answer reads (digits, a cancel) is
the platform's (``switchboard.dialogue.answers``), shared with its arbitration; which intents are tasks and
what an order id looks like is this project's (``profile``: its rules, ``regex: order_id`` and ``arbitration.yml``).
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from switchboard.core.language import reply_language
from switchboard.core.projects.profile import ProjectProfile, load_profile
from switchboard.dialogue.answers import cancels, changes_mind, explicitly_complains, last4_in, normalized, says_damaged
from switchboard.dialogue.arbitration import is_bare_reference, reads_as_question

from . import records
from .shop import INVOICE_WINDOW_DAYS, RETURN_TASKS, RETURN_WINDOW_DAYS, Order, Shop

ORDER_FORM = "order_form"
OFFERED_TASK_SLOT = "offered_task"
ORDER_ID = re.compile(r"^SB\d{4}$")
TASK_SLOTS = {"return_item": ["product", "return_reason"], "damaged_item": ["product"], "change_address": ["address"]}
DAMAGED_REASON = "damaged on arrival"
# Entities whose presence makes a message a correction of the form, not an answer to its question.
CORRECTED_ENTITIES = ("product", "order_id")
# Slots a stopped or finished task leaves behind; order_id and the verification stay for the next task.
TASK_STATE_SLOTS = ("product", "return_reason", "address")
# Intents that leave the form's question for a moment (answered, then the form asks again) or for good.
DIGRESSION_INTENTS = frozenset({"policy_question", "product_question", "business_info", "human_agent", "complaint"})
# Intents that never carry a free-text answer (a reason, an address).
LEAVING_INTENTS = frozenset({"human_agent", "complaint", "business_info", "greet", "goodbye", "thank"})
# Readings of a message that names no item of the order and is no answer to "which item?".
NO_ITEM_INTENTS = frozenset({"deny", "affirm", "stop", "chitchat"})
# A bare "no" is no reason nor address: it ends the form (a "不喜欢" or "doesn't fit" is a reason).
BARE_DENY = re.compile(r"^\s*(no+|nope|nah|not really|不|不是|不要|没有|否)[\s.!。！,，~]*$", re.IGNORECASE)
# The platform's action that asks for a person (the reasons are read from the tracker).
ACTION_HANDOFF = "action_handoff"


@lru_cache(maxsize=1)
def profile() -> ProjectProfile:
    """The shop's tasks and order-id patterns, as its Rasa project (this folder's parent) declares them."""
    return load_profile(Path(__file__).resolve().parents[1])


def language_of(tracker: Tracker) -> str:
    """The language replies are written in: the conversation's, by the one rule of ``switchboard.core.language``."""
    return reply_language(tracker.get_slot("language"))


def list_separator(language: str) -> str:
    return ", " if language == "en" else "、"


def stop_form(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Ends the order form with a confirmation that nothing was done (outside a form: "anything else?")."""
    if not tracker.active_loop_name:
        dispatcher.utter_message(response="utter_anything_else")
        return [ActiveLoop(None), SlotSet("offered_handoff", False)]
    dispatcher.utter_message(response="utter_form_stopped")
    return [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("task", None),
        SlotSet("offered_handoff", False),
        *(SlotSet(slot, None) for slot in TASK_STATE_SLOTS),
    ]


class ShopRecords:
    """What an action needs to read or write the shop's data (a mixin: rasa_sdk registers every
    ``Action`` subclass it finds, so this holds no ``name``)."""

    @staticmethod
    async def records() -> Shop:
        return await asyncio.to_thread(records.shop)

    async def order(self, order_id: str | None) -> Order | None:
        if not order_id:
            return None
        shop = await self.records()
        return await asyncio.to_thread(shop.find_order, order_id)


class ValidateOrderForm(FormValidationAction, ShopRecords):
    """Checks the order form: the order exists, the phone digits match it, the order is eligible for
    the task (asked nothing more when it is not), the item is in it."""

    def name(self) -> str:
        return "validate_order_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        task = tracker.get_slot("task") or ""
        extra = TASK_SLOTS.get(task, [])
        verified = tracker.get_slot("verified_order")
        if extra and verified:
            # Right after verification: an ineligible order completes the form, and the task's
            # action says why, before the customer is asked for an item or an address.
            order = await self.order(verified)
            if order is not None and order.refusal(task, (await self.records()).today()) is not None:
                return domain_slots
        return domain_slots + extra

    async def extract_phone_last4(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The digits of an answer NLU gave no entity for (full-width digits, "wrong digits, it's 3721")."""
        if tracker.get_slot("requested_slot") != "phone_last4" or _phone_entity(tracker):
            return {}
        digits = last4_in(_text(tracker), profile())
        return {"phone_last4": digits} if digits else {}

    async def extract_product(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "which item?": whatever names an item of the order, whatever NLU read it as;
        other wording too (then validation says what the order holds), unless it leaves the question."""
        if tracker.get_slot("requested_slot") != "product":
            return {}
        wording = next(tracker.get_latest_entity_values("product"), None) or _text(tracker)
        intent = _intent(tracker)
        order = await self.order(tracker.get_slot("order_id"))
        names_item = order is not None and order.find_item(wording) is not None
        if names_item and not (intent in DIGRESSION_INTENTS and reads_as_question(_text(tracker))):
            return {"product": wording}
        if _leaves_question(tracker) or intent in NO_ITEM_INTENTS:
            return {}
        return {"product": wording}

    async def extract_return_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """While the form asks why, any answer is the reason ("不想要了", "doesn't fit"), whatever NLU read
        it as, unless it cancels the request, asks a question, corrects the order or item, or leaves."""
        return _free_text_answer(tracker, "return_reason")

    async def extract_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """While the form asks for the new address, any answer is the address, as for the reason."""
        return _free_text_answer(tracker, "address")

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        order_id = normalized(str(value or "")).upper()
        order = await self.order(order_id) if ORDER_ID.match(order_id) else None
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found", order_id=order_id or str(value))
            return {"order_id": None}
        if tracker.get_slot("verified_order") == order_id:
            return {"order_id": order_id}
        # A new or corrected order needs its own phone check; digits in this very message are
        # checked next by validate_phone_last4 (slots validate in domain order).
        phone_now = _phone_in_latest_message(tracker)
        return {"order_id": order_id, "verified_order": None, "phone_last4": phone_now}

    async def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        given_now = _phone_in_latest_message(tracker)
        if not given_now and tracker.get_slot("phone_last4") is None:
            # Digits of an earlier order, already dropped by a corrected order id: ask again, silently.
            return {"phone_last4": None}
        order = await self.order(tracker.get_slot("order_id"))
        if order is None:
            digits = re.sub(r"\D", "", normalized(str(value or "")))
            return {"phone_last4": digits[-4:] if len(digits) >= 4 else None}
        return self._check_phone(order, str(given_now or value or ""), language_of(tracker), dispatcher)

    @staticmethod
    def _check_phone(order: Order, value: str, language: str, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        digits = re.sub(r"\D", "", normalized(value))
        if len(digits) >= 4 and digits[-4:] == order.phone_last4:
            items = list_separator(language).join(order.item_names(language))
            return {"phone_last4": digits[-4:], "verified_order": order.order_id, "order_items": items}
        dispatcher.utter_message(response="utter_phone_mismatch", order_id=order.order_id)
        return {"phone_last4": None, "verified_order": None}

    async def validate_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        order = await self.order(tracker.get_slot("order_id"))
        item = order.find_item(str(value or "")) if order else None
        if order is not None and item is None and len(order.items) == 1 and not value:
            item = order.items[0]
        if item is None:
            dispatcher.utter_message(response="utter_item_not_in_order", product=str(value or ""))
            return {"product": None}
        return {"product": item["name"]["en" if language_of(tracker) == "en" else "zh"]}

    async def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reason = str(value or "").strip()[:200]
        if reason and says_damaged(reason):
            # "漏水", "arrived broken": a quality return, whose shipping the shop pays.
            return {"return_reason": reason, "task": "damaged_item"}
        return {"return_reason": reason or None}

    async def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        address = str(value or "").strip()[:200]
        return {"address": address if len(address) >= 4 else None}


class ActionChooseTask(Action):
    """Fills the ``task`` slot (the domain's custom mapping): a task intent starts its task, except
    that mid-form a slot answer read as another task ("订单号是SB1002" as check_order while a return
    asks for the order) keeps the form's task. A real change of mind ("actually, just tell me where
    SB1001 is") switches, keeping the order and its verification; damage mid-return makes the return
    a quality return."""

    def name(self) -> str:
        return "action_choose_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = _intent(tracker)
        tasks = profile().task_intents
        if intent not in tasks:
            return []
        current = tracker.get_slot("task")
        offered = tracker.get_slot(OFFERED_TASK_SLOT)
        bare = is_bare_reference(_text(tracker), profile())
        if tracker.active_loop_name != ORDER_FORM and offered in tasks and bare:
            # The order number the offer after a knowledge answer asked for: the offered task starts.
            return [SlotSet("task", offered), SlotSet(OFFERED_TASK_SLOT, None)]
        if tracker.active_loop_name != ORDER_FORM or not current or intent == current:
            return [SlotSet("task", intent)]
        if intent == "damaged_item" and current == "return_item":
            # Only a message that says damage makes it a quality return: NLU reads bare item names
            # ("帆布包", "canvas tote") and ordinary reasons ("it doesn't fit in my bag") as damaged_item too.
            return [SlotSet("task", intent), SlotSet("requested_slot", None)] if says_damaged(_text(tracker)) else []
        if not changes_mind(_text(tracker)):
            return []
        # The form asks its next question for the new task (or completes it with the verified order).
        return [SlotSet("task", intent), SlotSet("requested_slot", None), *(SlotSet(s, None) for s in TASK_STATE_SLOTS)]


class ActionOrderTask(Action, ShopRecords):
    """Does what the completed order form was for: status, return, refund, address or invoice."""

    def name(self) -> str:
        return "action_order_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = await self.order(tracker.get_slot("verified_order"))
        language = language_of(tracker)
        events: list[EventType] = [SlotSet(slot, None) for slot in TASK_STATE_SLOTS]
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found", order_id=tracker.get_slot("order_id") or "")
            return events
        task = tracker.get_slot("task") or "check_order"
        shop = await self.records()
        today = shop.today()
        common = {
            "order_id": order.order_id,
            "carrier": order.carrier_name(language),
            "tracking_number": order.tracking_number,
        }
        if task == "check_order":
            dispatcher.utter_message(
                response=f"utter_order_{order.status}",
                expected_delivery=_day(order.expected_delivery),
                delivered_on=_day(order.delivered_on),
                **common,
            )
        elif task in RETURN_TASKS:
            events += await self._return(shop, order, task, tracker, dispatcher, today)
        elif task == "refund_status":
            case = await asyncio.to_thread(shop.latest_return, order.order_id)
            if case:
                dispatcher.utter_message(response="utter_refund_in_progress", case_id=case["_id"], **common)
            else:
                dispatcher.utter_message(response="utter_refund_none", **common)
        elif task == "change_address":
            address = tracker.get_slot("address") or ""
            changed = order.refusal(task, today) is None and await asyncio.to_thread(
                shop.change_address, order.order_id, address
            )
            dispatcher.utter_message(
                response="utter_address_changed" if changed else "utter_address_locked", address=address, **common
            )
        elif task == "invoice":
            days = order.days_since_delivery(today)
            if days is None:
                dispatcher.utter_message(response="utter_invoice_not_delivered", **common)
            elif days > INVOICE_WINDOW_DAYS:
                dispatcher.utter_message(response="utter_invoice_too_late", **common)
            else:
                invoice_id = await asyncio.to_thread(shop.request_invoice, order.order_id, tracker.sender_id)
                dispatcher.utter_message(response="utter_invoice_requested", invoice_id=invoice_id, **common)
        return events

    @staticmethod
    async def _return(
        shop: Shop, order: Order, task: str, tracker: Tracker, dispatcher: CollectingDispatcher, today: Any
    ) -> list[EventType]:
        days = order.days_since_delivery(today)
        if days is None:
            dispatcher.utter_message(response="utter_return_not_delivered", order_id=order.order_id)
            return []
        if days > RETURN_WINDOW_DAYS:
            dispatcher.utter_message(response="utter_return_refused", order_id=order.order_id, days_since_delivery=days)
            return [SlotSet("offered_handoff", True)]
        product = tracker.get_slot("product") or ""
        damaged = task == "damaged_item"
        reason = DAMAGED_REASON if damaged else tracker.get_slot("return_reason") or ""
        case_id = await asyncio.to_thread(shop.open_return, order.order_id, product, reason, tracker.sender_id)
        dispatcher.utter_message(
            response="utter_damaged_return_created" if damaged else "utter_return_created",
            order_id=order.order_id,
            product=product,
            case_id=case_id,
        )
        return []


class ActionAnswerAffirmDeny(Action):
    """ "Yes"/"no": accept an offered agent, take a corrected order id back to the form, or end the form."""

    def name(self) -> str:
        return "action_answer_affirm_deny"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "affirm" and tracker.get_slot("offered_handoff"):
            # The platform's handoff reads the offer from the tracker and pauses the bot.
            return [FollowupAction(ACTION_HANDOFF)]
        offered = tracker.get_slot(OFFERED_TASK_SLOT)
        if intent == "affirm" and offered in profile().task_intents and tracker.active_loop_name is None:
            # "好的" / "yes please" after the task was offered: the form starts for it.
            return [SlotSet("task", offered), SlotSet(OFFERED_TASK_SLOT, None), FollowupAction(ORDER_FORM)]
        if next(tracker.get_latest_entity_values("order_id"), None) and tracker.get_slot("task"):
            # "不对，订单号是 SB1003": the corrected id is already in its slot; the form re-checks it.
            return [SlotSet("offered_handoff", False), FollowupAction(ORDER_FORM)]
        if intent == "deny":
            # A bare "no" while the form waits ends the form; outside it, "anything else?".
            return stop_form(dispatcher, tracker)
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("offered_handoff", False)]


class ActionStopForm(Action):
    """ "Stop", "never mind", a bare "no": ends the order form and says that nothing was done."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return stop_form(dispatcher, tracker)


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def _intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def _phone_entity(tracker: Tracker) -> str | None:
    value = next(tracker.get_latest_entity_values("phone_last4"), None) or next(
        tracker.get_latest_entity_values("phone_number"), None
    )
    return normalized(str(value)) if value else None


def _phone_in_latest_message(tracker: Tracker) -> str | None:
    """The phone digits this message gives: NLU's entity, else, while the form asks for the order or
    the digits, four digits the text gives as an answer ("SB1002 3721" full-width or not, "it's 3721")."""
    entity = _phone_entity(tracker)
    if entity or tracker.get_slot("requested_slot") not in ("order_id", "phone_last4"):
        return entity
    return last4_in(_text(tracker), profile())


def _leaves_question(tracker: Tracker) -> bool:
    """The message is not an answer to the form's question: it cancels, leaves for a person, asks a
    question, corrects the order or the item, or starts another task."""
    text, intent = _text(tracker), _intent(tracker)
    if cancels(text):
        return True
    if intent == "complaint" and tracker.get_slot("requested_slot") == "return_reason":
        # Asked why, customers complain about the item ("肩带太短，不合适"): a reason, unless they
        # complain about the shop or ask for a person ("我要投诉", "I'll report you").
        return explicitly_complains(text)
    if intent in LEAVING_INTENTS:
        return True
    if intent in (*DIGRESSION_INTENTS, "chitchat") and reads_as_question(text):
        return True
    if any(next(tracker.get_latest_entity_values(name), None) for name in CORRECTED_ENTITIES):
        # "不对，是帆布包", "no, SB1003": a correction, which the slots' own mappings take.
        return True
    other_task = intent in profile().task_intents and intent not in (tracker.get_slot("task"), "damaged_item")
    return other_task and changes_mind(text)


def _free_text_answer(tracker: Tracker, slot: str) -> dict[str, Any]:
    """The answer to a free-text question (the reason, the address): the entity NLU tagged, else the text."""
    if tracker.get_slot("requested_slot") != slot:
        return {}
    entity = next(tracker.get_latest_entity_values(slot), None)
    if entity:
        return {slot: entity}
    text = _text(tracker).strip()
    if next(tracker.get_latest_entity_values("product"), None):
        # "不对，是帆布包" corrects the item (its mapping took it): the question is asked again.
        return {slot: None}
    if _leaves_question(tracker) or BARE_DENY.match(normalized(text)):
        # A bare "no" / "不" answers nothing: the form ends (action_answer_affirm_deny).
        return {}
    return {slot: text} if text else {}


def _day(value: Any) -> str:
    return value.isoformat() if value else ""
