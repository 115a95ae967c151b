"""Our tracker store on the real database: bounded documents, version checks, concurrent turns."""

from __future__ import annotations

import asyncio
import json

import pytest

from switchboard.dialogue.action_runner import InProcessActionEndpoint
from switchboard.dialogue.actions import build_actions
from switchboard.dialogue.assistant import Assistant
from switchboard.dialogue.testing import understood
from switchboard.dialogue.tracker_store import ConversationTrackerStore, StaleTrackerError


async def test_a_long_conversation_keeps_its_state_in_a_bounded_document(chat, database) -> None:
    # Verify once, then many turns of small talk: the window is cut many times over.
    await chat.say("查订单", "check_order", entities={"order_id": "SB1001", "phone_last4": "3721"})
    await chat.say("我要退货", "return_item")
    for index in range(40):
        turn = await chat.say(f"第 {index} 句 🙂", "chitchat")
        # The form stays active across every cut of the window: chitchat then back to the form.
        assert turn.templates == ["utter_chitchat", "utter_ask_product"]
    document = database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"})
    assert len(document["window"]) <= 30
    assert len(document["turns"]) <= 20
    assert document["event_count"] > 200
    assert json.loads(document["base"])["active_loop"]["name"] == "order_form"
    assert database.dialogue_events.count_documents({"conversation": f"demo/{chat.conversation_id}"}) == document["event_count"]
    turn = await chat.say("蓝牙耳机", "return_item", entities={"product": "蓝牙耳机"})
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


async def test_two_messages_of_one_conversation_arriving_together(trained_model, database, shop) -> None:
    """Two replicas (a rebalance overlap) handle one conversation at once: one write loses, its retry applies."""
    replicas = [
        Assistant.load(trained_model, ConversationTrackerStore(None, database), InProcessActionEndpoint(build_actions(shop), 2.0))
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

    attempts = await asyncio.gather(*(handle_with_retry(r, e) for r, e in zip(replicas, events)))
    assert sorted(attempts)[0] == 1
    tracker = await replicas[0].store.retrieve("demo/together")
    user_texts = sorted(e.text for e in tracker.events if e.type_name == "user")
    assert user_texts == sorted(["你好", "谢谢 🙏"])
    document = database.dialogue_trackers.find_one({"_id": "demo/together"})
    assert sorted(turn["id"] for turn in document["turns"]) == sorted(e.envelope.event_id for e in events)


async def test_the_full_tracker_comes_from_the_event_log(chat, assistant) -> None:
    for index in range(30):
        await chat.say(f"hello {index}", "greet", language="en")
    full = await assistant.store.retrieve_full_tracker(f"demo/{chat.conversation_id}")
    window = await assistant.store.retrieve(f"demo/{chat.conversation_id}")
    assert len([e for e in full.events if e.type_name == "user"]) == 30
    assert len(window.events) < len(full.events)
    assert await assistant.store.keys() == [f"demo/{chat.conversation_id}"]
