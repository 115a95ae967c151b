"""The tracker window's pure parts: where it is cut, and the state its prefix restores."""

from __future__ import annotations

import json

from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.slots import TextSlot

from switchboard.dialogue.tracker_store import state_events, tracker_state, turn_boundary


def test_the_window_is_cut_where_a_turn_starts() -> None:
    window = [json.dumps(e.as_dict()) for e in (UserUttered("a"), ActionExecuted("utter_x"), ActionExecuted("action_listen"), UserUttered("b"))]
    assert turn_boundary(window, 1) == 2
    assert turn_boundary(window, 3) == 3  # no boundary left: cut where asked
    assert turn_boundary(window, -5) == 2


def test_state_round_trips_through_prefix_events() -> None:
    slots = [TextSlot("order_id", []), TextSlot("language", [], initial_value="zh")]
    tracker = DialogueStateTracker.from_events(
        "demo/c", [SlotSet("order_id", "SB1002"), ActiveLoop("order_form"), ConversationPaused()], slots
    )
    state = tracker_state(tracker)
    assert state["slots"] == {"order_id": "SB1002"}
    assert state["active_loop"]["name"] == "order_form" and state["paused"] is True
    json.dumps(state)
    restored = DialogueStateTracker.from_events("demo/c", state_events(state), slots)
    assert restored.get_slot("order_id") == "SB1002"
    assert restored.active_loop_name == "order_form"
    assert restored.is_paused()
    assert tracker_state(restored) == state
