"""Broadband conversations through the dialogue service's own per-tenant assistant and the tenant's action server.

The assistant is the one the dialogue service builds (``TenantAssistants``): our tracker store on the test's
database, the platform actions in-process, the tenant's actions over HTTP at the ``endpoints.yml`` address,
where a real ``rasa_sdk`` action server runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from switchboard.core.settings import MongoSettings
from switchboard.dialogue.assistant import quiet_rasa
from switchboard.dialogue.tenant_assistants import AssistantLimits, TenantAssistants
from switchboard.dialogue.testing import Decisions, understood

TENANT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def action_server(mongo_settings: MongoSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A port of its own (a running `make up` holds 5056); endpoints.yml reads it from BROADBAND_ACTIONS_URL.
    port = free_port()
    monkeypatch.setenv("BROADBAND_ACTIONS_URL", f"http://127.0.0.1:{port}/webhook")
    env = {**os.environ, "BROADBAND_MONGO_URI": mongo_settings.uri, "BROADBAND_MONGO_DATABASE": mongo_settings.database}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=TENANT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the broadband action server did not start") from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_outage_fault_bill_cancel_and_plan_change(
    action_server: None, mongo_settings: MongoSettings, tmp_path: Path
) -> None:
    quiet_rasa(own_logging=False)
    client: MongoClient = MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000)
    database = client[mongo_settings.database]
    assistants = TenantAssistants(TENANT.parent, database, AssistantLimits(cache_dir=tmp_path / "models"))
    assistant = await assistants.get("broadband")

    async def say(conversation: str, text: str, intent: str, language: str = "zh", **entities: str) -> Decisions:
        event = understood(
            conversation, text, intent, entities=entities or None, language=language, tenant_id="broadband"
        )
        return Decisions.of(output.message for output in await assistant.handle(event))

    # An outage check with a knowledge question inside the form: answered, then the form asks again.
    asked = await say("c1", "我家突然没网了，是不是你们有故障", "check_outage")
    assert asked.templates == ["utter_ask_account_id"]
    digression = await say("c1", "装宽带要几天", "policy_question")
    assert digression.kinds == ["generate", "template"] and digression.templates == ["utter_ask_account_id"]
    outage = await say("c1", "LN100004", "inform", account_id="LN100004")
    assert outage.templates == ["utter_outage_active"]
    assert "闵行区" in outage.texts[0]

    # A fault report in English: the ticket is stored before its number is told.
    await say("c2", "my internet is down", "report_fault", "en")
    ticket = await say("c2", "it's LN100001", "inform", "en", account_id="LN100001")
    assert ticket.templates == ["utter_ticket_created"]
    [stored] = list(database["broadband_tickets"].find())
    assert stored["_id"] in ticket.texts[0] and stored["account_id"] == "LN100001"

    # A bill request cancelled mid-form.
    await say("c3", "查一下我的账单", "check_bill")
    assert (await say("c3", "算了", "stop")).templates == ["utter_form_stopped"]

    # A plan change: the current plan, then "yes" hands the conversation to a person.
    plan = await say("c4", "I want to upgrade, account LN100005", "change_plan", "en", account_id="LN100005")
    assert plan.templates == ["utter_current_plan"]
    accepted = await say("c4", "yes", "affirm", "en")
    assert accepted.kinds == ["handoff"]
    # The plan change, not the "yes", picks the agents' queue.
    assert accepted.only("handoff").handoff.topic == "change_plan"
    client.close()
