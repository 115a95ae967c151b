"""Our tracker store on the real database: bounded documents, version checks, concurrent turns."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa.shared.core.trackers import EventVerbosity

from switchboard.core.contracts import Turn
from switchboard.core.projects.profile import load_profile
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.assistant import Assistant
from switchboard.dialogue.testing import Decisions, understood
from switchboard.dialogue.tracker_store import ConversationTrackerStore, StaleTrackerError

DEMO = load_profile(repo_root() / "tenants" / "demo")


async def test_a_long_conversation_keeps_its_state_in_a_bounded_document(chat, database) -> None:
    # Verify once, then many turns of small talk: the window is cut many times over.
    await chat.say("查订单", "check_order", entities={"order_id": "SB1002", "phone_last4": "3721"})
    await chat.say("我要退货", "return_item")
    for index in range(40):
        turn = await chat.say(f"第 {index} 句 🙂", "chitchat")
        # The form stays active across every cut of the window: chitchat then back to the form.
        assert turn.templates == ["utter_chitchat", "utter_ask_product"]
    document = database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"})
    assert len(document["window"]) <= 30
    assert len(document["turn_ids"]) <= 20
    assert document["event_count"] > 200
    assert json.loads(document["base"])["active_loop"]["name"] == "order_form"
    assert (
        database.dialogue_events.count_documents({"conversation": f"demo/{chat.conversation_id}"})
        == document["event_count"]
    )
    turn = await chat.say("保温杯", "return_item", entities={"product": "保温杯"})
    assert turn.templates == ["utter_ask_return_reason"]


async def test_a_stale_writer_loses_and_nothing_is_overwritten(assistant, database) -> None:
    store: ConversationTrackerStore = assistant.store
    await assistant.handle(understood("stale", "你好", "greet"))
    first = await store.retrieve("demo/stale")
    second = await store.retrieve("demo/stale")
    await assistant.handle(understood("stale", "谢谢", "thank"))  # moves the document on
    from rasa.shared.core.events import SlotSet

    first.update(SlotSet("order_id", "SB1001"))
    with pytest.raises(StaleTrackerError):
        await store.commit(first)
    second.update(SlotSet("order_id", "SB1002"))
    with pytest.raises(StaleTrackerError):
        await store.commit(second)
    fresh = await store.retrieve("demo/stale")
    assert fresh.get_slot("order_id") is None
    assert [e.text for e in fresh.events if e.type_name == "user"] == ["你好", "谢谢"]


async def test_two_new_conversations_created_at_once_cannot_both_win(assistant) -> None:
    store = assistant.store
    one = await store.create_tracker("demo/race")
    two = await store.create_tracker("demo/race")
    await store.commit(one)
    with pytest.raises(StaleTrackerError):
        await store.commit(two)


async def test_two_messages_of_one_conversation_arriving_together(trained_model, database, action_endpoint) -> None:
    """Two replicas (a rebalance overlap) handle one conversation at once: one write loses, its retry applies."""
    replicas = [
        Assistant.load(trained_model, ConversationTrackerStore(None, database), action_endpoint, profile=DEMO)
        for _ in range(2)
    ]
    events = [understood("together", "你好", "greet"), understood("together", "谢谢 🙏", "thank")]

    async def handle_with_retry(replica: Assistant, event) -> int:
        for attempt in range(1, 6):
            try:
                await replica.handle(event)
                return attempt
            except StaleTrackerError:
                continue
        raise AssertionError("never succeeded")

    attempts = await asyncio.gather(*(handle_with_retry(r, e) for r, e in zip(replicas, events, strict=False)))
    assert sorted(attempts)[0] == 1
    tracker = await replicas[0].store.retrieve("demo/together")
    user_texts = sorted(e.text for e in tracker.events if e.type_name == "user")
    assert user_texts == sorted(["你好", "谢谢 🙏"])
    document = database.dialogue_trackers.find_one({"_id": "demo/together"})
    assert sorted(document["turn_ids"]) == sorted(e.envelope.event_id for e in events)


async def test_the_full_tracker_comes_from_the_event_log(chat, assistant) -> None:
    for index in range(30):
        await chat.say(f"hello {index}", "greet", language="en")
    full = await assistant.store.retrieve_full_tracker(f"demo/{chat.conversation_id}")
    window = await assistant.store.retrieve(f"demo/{chat.conversation_id}")
    assert len([e for e in full.events if e.type_name == "user"]) == 30
    assert len(window.events) < len(full.events)
    assert await assistant.store.keys() == [f"demo/{chat.conversation_id}"]


def fresh_store(assistant: Assistant, database) -> ConversationTrackerStore:
    """A second store on the same database: it has kept nothing in memory."""
    return ConversationTrackerStore(assistant.store.domain, database, window=assistant.store.window)


async def test_a_turn_restores_as_many_events_at_turn_80_as_at_turn_8(chat, assistant, database) -> None:
    conversation = f"demo/{chat.conversation_id}"
    steps = [
        ("你好", "greet", "zh"),
        ("你是机器人吗", "chitchat", "zh"),
        ("谢谢", "thank", "zh"),
        ("hello", "greet", "en"),
    ]
    restored, serialized = [], []
    for index in range(80):
        text, intent, language = steps[index % len(steps)]
        await chat.say(text, intent, language=language)
        document = database.dialogue_trackers.find_one({"_id": conversation})
        restored.append(len(fresh_store(assistant, database).restore(document).events))
        serialized.append(len(document["window"]))
    # Once the window holds what the policies read, every turn writes the same number of events,
    # and restores the same number as the same step of the cycle did 68 turns before (the base's
    # slot events differ by step: the language slot is English on every fourth).
    assert len(set(serialized[8:])) == 1
    assert restored[8:12] == restored[76:80]
    assert max(restored) <= serialized[-1] + 3
    assert len(document["turn_ids"]) == 20
    assert database.dialogue_events.count_documents({"conversation": conversation}) == document["event_count"]


async def test_the_generator_gets_its_whole_history_after_a_long_conversation(chat) -> None:
    for index in range(30):
        await chat.say(f"第 {index} 句", "chitchat")
    turn = await chat.say("退货运费谁出？", "policy_question")
    history = turn.only("generate").generate.history
    assert len(history) == 6  # DIALOGUE_TURN__HISTORY_TURNS: the window keeps that many texts
    assert [t.text for t in history if t.speaker == Turn.SPEAKER_CUSTOMER] == ["第 27 句", "第 28 句", "第 29 句"]


async def test_a_kept_window_rebuilds_the_tracker_the_document_holds(chat, assistant, database) -> None:
    await chat.say("查订单", "check_order", entities={"order_id": "SB1002", "phone_last4": "3721"})
    await chat.say("我要退货", "return_item")
    for index in range(6):
        await chat.say(f"第 {index} 句", "chitchat")
    document = database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"})
    kept = assistant.store.restore(document)  # this store wrote it: from the kept window
    parsed = fresh_store(assistant, database).restore(document)
    # The same state, and the same window of events (the base's slot events are made anew each time).
    window = len(document["window"])
    assert [e.as_dict() for e in list(kept.events)[-window:]] == [e.as_dict() for e in list(parsed.events)[-window:]]
    assert len(kept.events) == len(parsed.events)
    kept_state, parsed_state = kept.current_state(EventVerbosity.NONE), parsed.current_state(EventVerbosity.NONE)
    assert kept_state == parsed_state and kept_state["active_loop"]["name"] == "order_form"
    assert kept.get_slot("order_id") == "SB1002"


def replica(trained_model, database, action_endpoint) -> Assistant:
    """Another replica of the service on the same database (after a rebalance)."""
    return Assistant.load(trained_model, ConversationTrackerStore(None, database), action_endpoint, profile=DEMO)


VERIFIED = {"order_id": "SB1002", "phone_last4": "3721"}


async def test_a_kept_window_is_not_used_once_another_writer_moved_the_document(
    assistant, trained_model, database, action_endpoint
) -> None:
    other = replica(trained_model, database, action_endpoint)
    await assistant.handle(understood("moved", "你好", "greet"))
    # Another replica verifies an order: the document moves on without this store.
    await other.handle(understood("moved", "查订单", "check_order", entities=VERIFIED))
    outputs = await assistant.handle(understood("moved", "我要退货", "return_item"))  # no StaleTrackerError
    # The order the other replica verified is known here.
    assert Decisions.of(o.message for o in outputs).templates == ["utter_ask_product"]


async def test_a_kept_window_is_not_used_on_a_document_written_again_from_scratch(
    assistant, trained_model, database, action_endpoint
) -> None:
    await assistant.handle(understood("reset", "你好", "greet"))
    await assistant.handle(understood("reset", "谢谢", "thank"))
    database.dialogue_trackers.delete_one({"_id": "demo/reset"})
    other = replica(trained_model, database, action_endpoint)
    await other.handle(understood("reset", "查订单", "check_order", entities=VERIFIED))
    await other.handle(understood("reset", "谢谢", "thank"))
    document = database.dialogue_trackers.find_one({"_id": "demo/reset"})
    assert document["version"] == 2  # the same version this store wrote, by another writer
    outputs = await assistant.handle(understood("reset", "我要退货", "return_item"))
    assert Decisions.of(o.message for o in outputs).templates == ["utter_ask_product"]
