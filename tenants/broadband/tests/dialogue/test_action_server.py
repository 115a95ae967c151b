"""The broadband actions through a real rasa_sdk action server subprocess, on the webhook body Rasa sends.

The server runs from ``tenants/broadband/`` as ``python -m rasa_sdk --actions actions``; fault tickets go to
a database of the test's own (the shared harness's ``mongo_settings``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from rasa.shared.core.domain import Domain

from switchboard.core.settings import MongoSettings

TENANT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(mongo_uri: str, database: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "BROADBAND_MONGO_URI": mongo_uri, "BROADBAND_MONGO_DATABASE": database}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=TENANT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the action server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the action server did not answer /health within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return Domain.load(str(TENANT / "domain.yml")).as_dict()


@pytest.fixture()
def server(mongo_settings: MongoSettings) -> Iterator[str]:
    process, url = start_server(mongo_settings.uri, mongo_settings.database)
    try:
        yield url
    finally:
        stop_server(process)


def call(
    url: str,
    domain: dict[str, Any],
    action: str,
    *,
    text: str = "",
    intent: str = "inform",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    events_after_user: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    message_id: str = "m-1",
    sender_id: str = "broadband/c-1",
) -> tuple[int, dict[str, Any]]:
    """One action call with the body Rasa 3.6 posts to an action server; the status and the parsed body."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "message_id": message_id,
    }
    user_event = {"event": "user", "text": text, "parse_data": latest, "message_id": message_id}
    all_slots = {name: None for name in domain["slots"]}
    all_slots.update({"language": "zh", "offered_ticket": False, "offered_handoff": False})
    all_slots.update(slots or {})
    body = {
        "next_action": action,
        "sender_id": sender_id,
        "tracker": {
            "sender_id": sender_id,
            "slots": all_slots,
            "latest_message": latest,
            "latest_event_time": time.time(),
            "followup_action": None,
            "paused": False,
            "events": [user_event, *(events_after_user or [])],
            "latest_input_channel": "rest",
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
        "domain": domain,
        "version": "3.6.21",
    }
    request = urllib.request.Request(
        f"{url}/webhook", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def slot_events(body: dict[str, Any]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in body["events"] if event["event"] == "slot"}


def templates(body: dict[str, Any]) -> list[str]:
    return [response.get("response") for response in body["responses"]]


def test_the_form_accepts_a_known_account_and_refuses_an_unknown_one(server: str, domain: dict[str, Any]) -> None:
    slot = {"event": "slot", "name": "account_id", "value": "LN100004"}
    status, body = call(
        server,
        domain,
        "validate_account_form",
        text="LN100004",
        slots={"requested_slot": "account_id", "account_id": "LN100004"},
        events_after_user=[slot],
        active_loop="account_form",
    )
    assert status == 200
    assert slot_events(body)["verified_account"] == "LN100004"

    unknown = {"event": "slot", "name": "account_id", "value": "LN999999"}
    status, body = call(
        server,
        domain,
        "validate_account_form",
        text="LN999999",
        slots={"requested_slot": "account_id", "account_id": "LN999999"},
        events_after_user=[unknown],
        active_loop="account_form",
    )
    assert status == 200
    assert slot_events(body)["account_id"] is None
    assert templates(body) == ["utter_account_not_found"]


def test_the_form_reads_a_bare_account_number_it_asked_for(server: str, domain: dict[str, Any]) -> None:
    status, body = call(
        server,
        domain,
        "validate_account_form",
        text="ln 100002",
        intent="nlu_fallback",
        slots={"requested_slot": "account_id"},
        active_loop="account_form",
    )
    assert status == 200
    assert slot_events(body)["account_id"] == "LN100002"
    assert slot_events(body)["verified_account"] == "LN100002"


def test_an_outage_in_the_account_area_is_told_with_its_restore_time(server: str, domain: dict[str, Any]) -> None:
    status, body = call(
        server,
        domain,
        "action_account_task",
        slots={"task": "check_outage", "account_id": "LN100004", "verified_account": "LN100004"},
    )
    assert status == 200
    [reply] = body["responses"]
    assert reply["response"] == "utter_outage_active"
    assert reply["area"] == "闵行区"
    assert len(reply["restore_by"]) == 5


def test_no_outage_gives_the_steps_and_a_yes_opens_one_ticket(
    server: str, domain: dict[str, Any], mongo_settings: MongoSettings
) -> None:
    status, body = call(
        server,
        domain,
        "action_account_task",
        slots={"task": "check_outage", "account_id": "LN100001", "verified_account": "LN100001", "language": "en"},
    )
    assert status == 200
    assert templates(body) == ["utter_no_outage"]
    assert body["responses"][0]["area"] == "Pudong"
    assert slot_events(body)["offered_ticket"] is True

    slots = {"account_id": "LN100001", "verified_account": "LN100001", "offered_ticket": True}
    first = call(server, domain, "action_answer_yes_no", text="yes", intent="affirm", slots=slots, message_id="m-2")
    again = call(server, domain, "action_answer_yes_no", text="yes", intent="affirm", slots=slots, message_id="m-2")
    assert first[0] == again[0] == 200
    [reply] = first[1]["responses"]
    assert reply["response"] == "utter_ticket_created"
    assert reply["ticket_id"].startswith("FT")
    assert reply["phone_masked"] == "138****0001"
    # The same customer message (a retried turn) finds its ticket instead of opening another.
    assert again[1]["responses"][0]["ticket_id"] == reply["ticket_id"]
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        stored = list(client[mongo_settings.database]["broadband_tickets"].find())
    assert [(doc["_id"], doc["account_id"], doc["status"]) for doc in stored] == [
        (reply["ticket_id"], "LN100001", "open")
    ]


def test_a_fault_report_during_an_area_outage_opens_no_ticket(
    server: str, domain: dict[str, Any], mongo_settings: MongoSettings
) -> None:
    status, body = call(
        server,
        domain,
        "action_account_task",
        slots={"task": "report_fault", "account_id": "LN100006", "verified_account": "LN100006"},
    )
    assert status == 200
    assert templates(body) == ["utter_outage_active"]
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        assert client[mongo_settings.database]["broadband_tickets"].count_documents({}) == 0


def test_bills_say_amount_and_due_date(server: str, domain: dict[str, Any]) -> None:
    overdue = call(
        server,
        domain,
        "action_account_task",
        slots={"task": "check_bill", "account_id": "LN100003", "verified_account": "LN100003", "language": "en"},
    )[1]
    [reply] = overdue["responses"]
    assert reply["response"] == "utter_bill_overdue"
    assert (reply["amount"], reply["plan"]) == ("89.00", "Fibre 100M")
    assert reply["due_date"].endswith("-20")

    paid = call(
        server,
        domain,
        "action_account_task",
        slots={"task": "check_bill", "account_id": "LN100002", "verified_account": "LN100002"},
    )[1]
    assert templates(paid) == ["utter_bill_paid"]
    assert paid["responses"][0]["next_bill_date"].endswith("-01")


def test_a_plan_change_offers_an_agent_and_yes_hands_over(server: str, domain: dict[str, Any]) -> None:
    body = call(
        server,
        domain,
        "action_account_task",
        slots={"task": "change_plan", "account_id": "LN100005", "verified_account": "LN100005"},
    )[1]
    assert templates(body) == ["utter_current_plan"]
    assert slot_events(body)["offered_handoff"] is True

    status, body = call(
        server,
        domain,
        "action_answer_yes_no",
        text="好的",
        intent="affirm",
        slots={"verified_account": "LN100005", "offered_handoff": True},
    )
    assert status == 200
    assert {"event": "followup", "name": "action_handoff"} in [
        {key: event.get(key) for key in ("event", "name")} for event in body["events"]
    ]


def test_stop_inside_the_form_ends_it(server: str, domain: dict[str, Any]) -> None:
    status, body = call(
        server,
        domain,
        "action_cancel_request",
        text="算了",
        intent="stop",
        slots={"task": "report_fault", "requested_slot": "account_id"},
        active_loop="account_form",
    )
    assert status == 200
    assert templates(body) == ["utter_form_stopped"]
    assert {"event": "active_loop", "name": None} in [
        {key: event.get(key) for key in ("event", "name")} for event in body["events"]
    ]


def test_a_ticket_is_never_promised_when_the_database_is_down(domain: dict[str, Any]) -> None:
    # Nothing listens on this port: the ticket cannot be stored, so the action fails instead of answering.
    process, url = start_server(f"mongodb://127.0.0.1:{free_port()}/", "unreachable")
    try:
        status, body = call(
            url,
            domain,
            "action_account_task",
            slots={"task": "report_fault", "account_id": "LN100001", "verified_account": "LN100001"},
        )
    finally:
        stop_server(process)
    assert status == 500
    assert "responses" not in body or "utter_ticket_created" not in templates(body)
