"""When the escalation policy hands a conversation to a person."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from switchboard.dialogue.escalation import is_angry, repeated_fallback


def user(intent: str) -> UserUttered:
    return UserUttered("...", {"name": intent, "confidence": 0.9})


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("demo/c", list(events), [])


def test_anger_needs_the_label_and_the_score() -> None:
    assert is_angry({"emotion": {"label": "ANGRY", "score": 0.9}}, 0.6)
    assert not is_angry({"emotion": {"label": "ANGRY", "score": 0.5}}, 0.6)
    assert not is_angry({"emotion": {"label": "FRUSTRATED", "score": 0.99}}, 0.6)
    assert not is_angry(None, 0.6)


def test_two_fallbacks_answered_by_the_default_reply_escalate() -> None:
    assert repeated_fallback(tracker(user("nlu_fallback"), ActionExecuted("utter_default"), user("nlu_fallback")))
    assert not repeated_fallback(tracker(user("nlu_fallback")))
    assert not repeated_fallback(tracker(user("nlu_fallback"), ActionExecuted("utter_default"), user("greet")))


def test_a_fallback_the_form_could_use_is_no_fallback() -> None:
    # The bare "3721" read as nlu_fallback still filled the requested slot.
    assert not repeated_fallback(
        tracker(
            user("nlu_fallback"), ActionExecuted("utter_default"), user("nlu_fallback"), SlotSet("phone_last4", "3721")
        )
    )
    # The language slot is set by the service on any message; it proves nothing.
    assert repeated_fallback(
        tracker(user("nlu_fallback"), ActionExecuted("utter_default"), user("nlu_fallback"), SlotSet("language", "en"))
    )
    # An earlier fallback the form used (no default reply) does not count either.
    assert not repeated_fallback(tracker(user("nlu_fallback"), ActionExecuted("order_form"), user("nlu_fallback")))


def test_counting_restarts_after_a_handoff() -> None:
    assert not repeated_fallback(
        tracker(
            user("nlu_fallback"),
            ActionExecuted("utter_default"),
            ActionExecuted("action_handoff"),
            user("nlu_fallback"),
        )
    )
