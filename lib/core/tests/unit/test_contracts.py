"""Envelope rules: keys, causation, deterministic ids of caused events, trace context."""

from __future__ import annotations

import uuid

import pytest

from switchboard.core import telemetry
from switchboard.core.contracts import (
    SCHEMA_VERSION,
    Channel,
    MessageReceived,
    caused_envelope,
    conversation_key,
    envelope_of,
    new_envelope,
)


def _envelope():
    return new_envelope(tenant_id="demo", conversation_id="c-1", customer_id="u-1", channel=Channel.CHANNEL_WECHAT)


def test_a_new_envelope_has_a_random_uuid4_and_the_current_schema() -> None:
    first, second = _envelope(), _envelope()
    assert uuid.UUID(first.event_id).version == 4
    assert first.event_id != second.event_id
    assert first.schema_version == SCHEMA_VERSION
    assert first.created_at.seconds > 0


def test_a_caused_event_keeps_the_conversation_and_gets_the_same_id_when_redone() -> None:
    cause = _envelope()
    once, again = caused_envelope(cause, "nlu.understood"), caused_envelope(cause, "nlu.understood")
    other_step = caused_envelope(cause, "dialogue.decided")
    assert once.event_id == again.event_id != other_step.event_id
    assert once.causation_id == cause.event_id
    assert (once.tenant_id, once.conversation_id, once.customer_id, once.channel) == (
        "demo",
        "c-1",
        "u-1",
        Channel.CHANNEL_WECHAT,
    )


def test_the_key_is_tenant_and_conversation() -> None:
    assert conversation_key(_envelope()) == b"demo/c-1"
    with pytest.raises(ValueError):
        conversation_key(new_envelope(tenant_id="", conversation_id="c", customer_id="u", channel=1))


def test_envelope_of_rejects_messages_without_one() -> None:
    from switchboard.core.contracts import QuickReply

    assert envelope_of(MessageReceived(envelope=_envelope())).tenant_id == "demo"
    with pytest.raises(TypeError):
        envelope_of(QuickReply(title="是"))


def test_the_envelope_carries_the_active_trace() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("turn") as span:
        envelope = _envelope()
        carrier = telemetry.current_trace_carrier()
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert envelope.traceparent == carrier["traceparent"]
    assert envelope.traceparent.split("-")[1] == trace_id
