"""The dialogue against the demo shop's real rasa_sdk action server: the shop's actions run there, the
platform's in the dialogue process, and a server that is down costs the customer no message."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard.core.projects.profile import load_profile
from switchboard.core.testing import free_port
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.action_runner import UNAVAILABLE_RESPONSE
from switchboard.dialogue.assistant import Assistant
from switchboard.dialogue.errors import DialogueRetryableError
from switchboard.dialogue.testing import Decisions, understood
from switchboard.dialogue.tracker_store import ConversationTrackerStore

DEMO = load_profile(repo_root() / "tenants" / "demo")


@pytest.fixture(scope="module")
def spans():
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


async def test_the_shops_actions_run_on_its_action_server_and_each_call_is_a_span(chat, shop, spans) -> None:
    spans.clear()
    await chat.say("我要退货", "return_item")
    await chat.say("SB1002", "return_item", entities={"order_id": "SB1002"})
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"})
    assert turn.templates == ["utter_ask_product"]
    await chat.say("帆布包", "return_item", entities={"product": "帆布包"})
    turn = await chat.say("颜色不喜欢", "nlu_fallback")
    assert turn.templates == ["utter_return_created"]
    # The case was written by the action server into its own database.
    assert shop.latest_return("SB1002")["product"] == "帆布包"
    where = {
        span.attributes["rasa.action.name"]: span.attributes["switchboard.action.runs_on"]
        for span in spans.get_finished_spans()
        if span.name.startswith("action ")
    }
    assert where["validate_order_form"] == "action_server"
    assert where["action_choose_task"] == "action_server"
    assert where["action_order_task"] == "action_server"


async def test_platform_actions_need_no_action_server(chat, spans) -> None:
    spans.clear()
    turn = await chat.say("客服几点上班", "business_info")
    assert turn.templates == ["utter_agent_hours"]
    turn = await chat.say("怎么退货", "policy_question")
    assert turn.kinds == ["generate"]
    names = {
        span.attributes["rasa.action.name"]: span.attributes["switchboard.action.runs_on"]
        for span in spans.get_finished_spans()
        if span.name.startswith("action ")
    }
    assert names["action_business_info"] == "in_process" and names["action_generate_answer"] == "in_process"


async def test_with_the_action_server_down_the_turn_is_retried_then_the_customer_is_told(
    chat, trained_model, database, endpoint_to, action_server
) -> None:
    dead = endpoint_to(f"http://127.0.0.1:{free_port()}/webhook")
    store = ConversationTrackerStore(None, database)
    down = Assistant.load(trained_model, store, dead, profile=DEMO)
    await chat.say("你好", "greet")
    event = understood(chat.conversation_id, "查一下订单 SB1001", "check_order", entities={"order_id": "SB1001"})
    before = database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"})
    # The consumer's first tries: the turn fails as retryable and nothing of it is saved.
    for _ in range(dead.policy.failed_turns_before_reply):
        with pytest.raises(DialogueRetryableError, match="unreachable"):
            await down.handle(event)
        assert database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"}) == before
    # Its last try answers: the customer hears why, the message is in the conversation.
    outputs = await down.handle(event)
    turn = Decisions.of(o.message for o in outputs)
    assert turn.templates == [UNAVAILABLE_RESPONSE]
    assert "稍后再试" in turn.texts[0]
    saved = database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"})
    assert saved != before
    # The same message delivered again gets the same reply, without running again.
    again = Decisions.of(o.message for o in await down.handle(event))
    assert again.templates == [UNAVAILABLE_RESPONSE]
    await dead.close()
    # With the server back, the conversation goes on where it was.
    turn = await chat.say("查一下订单 SB1001", "check_order", entities={"order_id": "SB1001"})
    assert turn.templates == ["utter_ask_phone_last4"]
