"""The tracker window's pure parts: how big it is, where it is cut, and the state its prefix restores."""

from __future__ import annotations

import json

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import SchemaNode
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from switchboard.dialogue.escalation import EscalationPolicy
from switchboard.dialogue.tracker_store import event_of, state_events, tracker_state
from switchboard.dialogue.window import UNBOUNDED_USER_TURNS, WindowSize, window_size, window_start


def node(uses: type, **config: object) -> SchemaNode:
    return SchemaNode(needs={}, uses=uses, constructor_name="load", fn="predict_action_probabilities", config=config)


def turn(text: str, *replies: str) -> list:
    """One simple turn as Rasa logs it: the user message, each reply action and utterance, then listening."""
    events: list = [UserUttered(text, {"name": "greet", "confidence": 1.0})]
    for reply in replies:
        events += [ActionExecuted(reply), BotUttered(f"{reply} text")]
    return [*events, ActionExecuted("action_listen")]


def conversation(turns: int) -> list:
    events: list = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    for index in range(turns):
        events += turn(f"message {index}", "utter_x")
    return events


def test_the_window_is_sized_from_the_policies_and_the_generator_history() -> None:
    nodes = [
        node(EscalationPolicy, fallbacks_in_a_row=3),
        node(RulePolicy, core_fallback_threshold=0.3),
        node(MemoizationPolicy, max_history=5),
        node(dict),  # not a policy: ignored
    ]
    assert window_size(nodes, history_texts=6) == WindowSize(actions=5, user_turns=3, texts=6)
    only_memoization = window_size([node(MemoizationPolicy, max_history=8)], history_texts=0)
    assert only_memoization == WindowSize(actions=8, user_turns=1, texts=0)


def test_a_policy_that_reads_the_whole_history_is_named_and_capped() -> None:
    size = window_size([node(TEDPolicy), node(RulePolicy, restrict_rules=False)], history_texts=6)
    assert size.capped == ("TEDPolicy", "RulePolicy")
    assert size.user_turns == UNBOUNDED_USER_TURNS


def test_the_window_starts_at_the_latest_turn_that_leaves_enough() -> None:
    events = conversation(10)
    size = WindowSize(actions=5, user_turns=2, texts=6)
    start = window_start(events, size)
    kept = events[start:]
    assert kept[0] == ActionExecuted("action_listen")  # between turns
    assert sum(isinstance(e, UserUttered) for e in kept) == 3  # 6 texts = 3 turns, the most asked for
    assert sum(isinstance(e, ActionExecuted) for e in kept) == 7
    # One turn later the window has moved by one turn and is as long as before.
    longer = events + turn("one more", "utter_x")
    assert len(longer[window_start(longer, size) :]) == len(kept)


def test_a_short_conversation_is_kept_whole() -> None:
    assert window_start(conversation(2), WindowSize(actions=5, user_turns=2, texts=6)) == 0


def test_the_window_size_does_not_grow_with_the_conversation() -> None:
    size = WindowSize(actions=5, user_turns=2, texts=6)
    lengths = set()
    for turns in (5, 50, 500):
        events = conversation(turns)
        lengths.add(len(events) - window_start(events, size))
    assert len(lengths) == 1


def test_stored_events_parse_back_to_equal_events() -> None:
    greeting = UserUttered("你好", {"name": "greet", "confidence": 0.9})
    for event in (greeting, SlotSet("order_id", "SB1001"), ActionExecuted("action_listen")):
        assert event_of(json.dumps(event.as_dict(), ensure_ascii=False)) == event


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
