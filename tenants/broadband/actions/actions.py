"""The broadband helpdesk's custom actions: the account form's validation, the account tasks, yes/no, cancel.

Served by a rasa_sdk action server (``endpoints.yml``); the platform actions (``action_generate_answer``,
``action_handoff``, ``action_business_info``) run in the dialogue service, and these hand over to them with
``FollowupAction`` rather than copying them. Records come from ``records``, fault tickets go to ``tickets``.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.records import AccountRecord, Records, due_date, next_bill_date, records
from actions.tickets import open_ticket
from switchboard.core.language import reply_language

ACCOUNT_FORM = "account_form"
ACCOUNT_ID = re.compile(r"^LN\d{6}$")
# An account number typed in the form's answer: "ln 100004", "LN-100004", or its 6 digits alone.
ACCOUNT_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])(?:ln\s*-?\s*)?(\d{6})(?!\d)", re.IGNORECASE)
TASKS = ("check_outage", "report_fault", "check_bill", "change_plan")
# Slots a finished or stopped task leaves behind; account_id and verified_account stay for the next task.
TASK_STATE_SLOTS = ("task", "offered_ticket", "offered_handoff")
VISIT_HOURS = {False: 24, True: 48}  # knowledge/troubleshooting.*.md: city 24 h, suburbs 48 h


def language_of(tracker: Tracker) -> str:
    return reply_language(tracker.get_slot("language"))


def account_in_text(text: str) -> str | None:
    """The one account number a short answer names, upper case; None for none or two."""
    found = {f"LN{digits}" for digits in ACCOUNT_IN_TEXT.findall(text or "")}
    return found.pop() if len(found) == 1 else None


def masked_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def clock(moment: datetime) -> str:
    """A restore time as the customer reads it, 24-hour clock in the tenant's time zone."""
    return moment.strftime("%H:%M")


def contract_text(account: AccountRecord, language: str) -> str:
    months = account.contract_months_left
    if language == "en":
        return f"{months} months left on the contract" if months else "no contract (monthly)"
    return f"合约还剩 {months} 个月" if months else "无合约（按月付费）"


def message_id_of(tracker: Tracker) -> str:
    """The id of the customer message this turn answers (the dialogue service's event id)."""
    latest = tracker.latest_message or {}
    if latest.get("message_id"):
        return str(latest["message_id"])
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("message_id"):
            return str(event["message_id"])
    raise RuntimeError("the tracker has no customer message id to key the ticket by")


async def create_ticket(
    dispatcher: CollectingDispatcher, tracker: Tracker, account: AccountRecord, book: Records
) -> list[EventType]:
    ticket = await asyncio.to_thread(
        open_ticket, account.account_id, tracker.sender_id or "", message_id_of(tracker), book.now()
    )
    dispatcher.utter_message(
        response="utter_ticket_created",
        account_id=account.account_id,
        ticket_id=ticket.ticket_id,
        phone_masked=masked_phone(account.phone),
        visit_within=str(VISIT_HOURS[account.suburban]),
    )
    return [SlotSet(slot, None if slot == "task" else False) for slot in TASK_STATE_SLOTS]


async def run_task(
    task: str | None, dispatcher: CollectingDispatcher, tracker: Tracker, account: AccountRecord
) -> list[EventType]:
    """Does the account task and says the outcome; the events to return."""
    book = records()
    language = language_of(tracker)
    area = book.areas[account.area].pick(language)
    plan = book.plans[account.plan]
    outage = book.outage_in(account.area)
    reset = [SlotSet("task", None), SlotSet("offered_ticket", False), SlotSet("offered_handoff", False)]
    if task in ("check_outage", "report_fault") and outage is not None:
        dispatcher.utter_message(
            response="utter_outage_active",
            area=area,
            cause=outage.cause.pick(language),
            restore_by=clock(outage.restore_by),
        )
        return reset
    if task == "check_outage":
        dispatcher.utter_message(response="utter_no_outage", area=area)
        return [SlotSet("task", None), SlotSet("offered_ticket", True), SlotSet("offered_handoff", False)]
    if task == "report_fault":
        return await create_ticket(dispatcher, tracker, account, book)
    if task == "check_bill":
        today = book.now().date()
        values = {"account_id": account.account_id, "plan": plan.name.pick(language), "amount": account.balance}
        if account.balance == "0.00":
            dispatcher.utter_message(
                response="utter_bill_paid", next_bill_date=next_bill_date(today).isoformat(), **values
            )
        else:
            template = "utter_bill_overdue" if account.overdue else "utter_bill"
            dispatcher.utter_message(response=template, due_date=due_date(today, account.overdue).isoformat(), **values)
        return reset
    if task == "change_plan":
        dispatcher.utter_message(
            response="utter_current_plan",
            account_id=account.account_id,
            plan=plan.name.pick(language),
            price=plan.price,
            contract=contract_text(account, language),
        )
        return [SlotSet("task", "change_plan"), SlotSet("offered_ticket", False), SlotSet("offered_handoff", True)]
    dispatcher.utter_message(response="utter_ask_task", account_id=account.account_id)
    return reset


class ValidateAccountForm(FormValidationAction):
    """Checks the account number against the records; reads a bare number while the form asks for it."""

    def name(self) -> str:
        return "validate_account_form"

    async def extract_account_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "account_id":
            return {}
        if next(tracker.get_latest_entity_values("account_id"), None):
            return {}
        found = account_in_text(str((tracker.latest_message or {}).get("text") or ""))
        return {"account_id": found} if found else {}

    async def validate_account_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        candidate = str(value or "").strip().upper()
        account = records().account(candidate) if ACCOUNT_ID.match(candidate) else None
        if account is None:
            dispatcher.utter_message(response="utter_account_not_found", account_id=candidate or str(value))
            return {"account_id": None, "verified_account": None}
        return {"account_id": account.account_id, "verified_account": account.account_id}


class ActionAccountTask(Action):
    """What the form was for: the outage check, the bill, the fault ticket or the plan."""

    def name(self) -> str:
        return "action_account_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        account = records().account(tracker.get_slot("verified_account") or tracker.get_slot("account_id"))
        if account is None:
            dispatcher.utter_message(response="utter_account_not_found", account_id=tracker.get_slot("account_id"))
            return [SlotSet("account_id", None), SlotSet("verified_account", None)]
        return await run_task(tracker.get_slot("task"), dispatcher, tracker, account)


class ActionAnswerYesNo(Action):
    """ "Yes" opens the offered ticket or goes to the offered agent; "no" ends the form or the offer."""

    def name(self) -> str:
        return "action_answer_yes_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        account = records().account(tracker.get_slot("verified_account"))
        if intent == "affirm" and tracker.get_slot("offered_ticket") and account is not None:
            return await create_ticket(dispatcher, tracker, account, records())
        if intent == "affirm" and tracker.get_slot("offered_handoff"):
            # The platform's action_handoff asks for a person and pauses the bot.
            return [SlotSet("offered_handoff", False), FollowupAction("action_handoff")]
        if intent == "deny" and tracker.active_loop_name:
            return cancel(dispatcher, tracker)
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("offered_ticket", False), SlotSet("offered_handoff", False)]


def cancel(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Ends the form with a confirmation that nothing was done (outside a form: "anything else?")."""
    if not tracker.active_loop_name:
        dispatcher.utter_message(response="utter_anything_else")
        return [ActiveLoop(None), SlotSet("offered_ticket", False), SlotSet("offered_handoff", False)]
    dispatcher.utter_message(response="utter_form_stopped")
    return [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("task", None),
        SlotSet("offered_ticket", False),
        SlotSet("offered_handoff", False),
    ]


class ActionCancelRequest(Action):
    """ "Stop", "never mind": ends the account form and says that nothing was done."""

    def name(self) -> str:
        return "action_cancel_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return cancel(dispatcher, tracker)
