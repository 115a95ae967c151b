"""Replies to one customer message are complete and in order, whatever order they arrived in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from switchboard.ingest.voice import _complete, in_turn_order
from switchboard.ingest.webchat import in_turn_order as frames_in_turn_order

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def document(reply_id: str, answers: str, sequence: int, count: int, seconds: float) -> dict:
    # Each reply of a turn has its own cause (its decision); what they share is the message they answer.
    return {
        "_id": reply_id,
        "causation_id": f"decision-{reply_id}",
        "in_reply_to": answers,
        "sequence": sequence,
        "sequence_count": count,
        "created_at": T0 + timedelta(seconds=seconds),
    }


def test_a_turn_is_complete_only_with_all_its_replies_whatever_their_causes() -> None:
    ask = document("ask", "m1", 1, 2, 0.1)
    answer = document("answer", "m1", 0, 2, 0.9)
    assert not _complete([ask])
    assert _complete([ask, answer])


def test_replies_stored_before_they_named_their_message_group_by_cause() -> None:
    legacy = {"_id": "r", "causation_id": "m0", "sequence": 0, "sequence_count": 1, "created_at": T0}
    assert _complete([legacy])


def test_spoken_replies_follow_the_messages_then_their_places() -> None:
    earlier = document("earlier", "m0", 0, 1, 0.0)
    ask = document("ask", "m1", 1, 2, 0.1)
    answer = document("answer", "m1", 0, 2, 0.9)
    assert [d["_id"] for d in in_turn_order([earlier, ask, answer])] == ["earlier", "answer", "ask"]


def test_history_frames_put_a_late_answer_back_in_its_place() -> None:
    frames = [
        {"type": "sent", "id": "m1"},
        {"type": "reply", "id": "ask", "answers": "m1", "sequence": 1},
        {"type": "reply", "id": "answer", "answers": "m1", "sequence": 0},
        {"type": "sent", "id": "m2"},
        {"type": "reply", "id": "agent", "answers": "", "sequence": 0},
    ]
    assert [f["id"] for f in frames_in_turn_order(frames)] == ["m1", "answer", "ask", "m2", "agent"]
