"""The floor stream's view of each conversation event (decoded protobuf -> FloorEvent)."""

from __future__ import annotations

from datetime import datetime, timezone

from switchboard.core.contracts import (
    HandoffEvent,
    HandoffReason,
    MessageReceived,
    ReplyReady,
    ReplySource,
)
from switchboard.handoff.floor_stream import normalise
from switchboard.handoff.testing import envelope_at

AT = datetime(2026, 11, 25, 4, tzinfo=timezone.utc)


def envelope(event_id: str = "e1"):
    return envelope_at(AT, "c1", "u1", event_id=event_id)


def test_customer_messages_carry_their_csat_score() -> None:
    event = normalise(MessageReceived(envelope=envelope(), text='/csat{"score":4}'))
    assert event is not None
    identity = (event.kind, event.event_id, event.tenant_id, event.conversation_id, event.customer_id, event.at)
    assert (*identity, event.csat) == ("message", "e1", "demo", "c1", "u1", AT.timestamp(), 4)
    assert normalise(MessageReceived(envelope=envelope(), text="你好")).csat is None


def test_handoff_steps_and_reasons() -> None:
    escalated = HandoffEvent(
        envelope=envelope(),
        escalated={"reasons": [HandoffReason.HANDOFF_REASON_VIP, HandoffReason.HANDOFF_REASON_LOOP]},
    )
    assert (normalise(escalated).kind, normalise(escalated).reasons) == ("escalated", ("VIP", "LOOP"))
    assert normalise(HandoffEvent(envelope=envelope(), queued={"position": 1})).kind == "queued"
    assert normalise(HandoffEvent(envelope=envelope(), assigned={"agent_id": "a"})).kind == "assigned"
    assert normalise(HandoffEvent(envelope=envelope(), returned_to_bot={"agent_id": "a"})).kind == "returned"
    for other in ({"cancelled": {"reason": "x"}}, {"agent_replied": {"text": "x"}}, {"transferred": {"to_queue": "q"}}):
        assert normalise(HandoffEvent(envelope=envelope(), **other)) is None


def test_replies_by_source_and_partials_skipped() -> None:
    reply = ReplyReady(envelope=envelope(), text="hi", source=ReplySource.REPLY_SOURCE_GENERATED)
    assert (normalise(reply).kind, normalise(reply).source) == ("reply", "GENERATED")
    assert normalise(ReplyReady(envelope=envelope(), text="h", partial=True)) is None


def test_events_without_identity_are_skipped() -> None:
    assert normalise(MessageReceived(text="no envelope")) is None
