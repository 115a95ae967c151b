"""Rendering a turn's bot utterances into decision and reply events, reproducibly."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from switchboard.core.contracts import HandoffReason, Language, ReplySource, Turn
from switchboard.core.copy import load_copy
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.decisions import DECIDED, OUTBOUND, DecisionSettings, Output, recent_history, render_turn
from switchboard.dialogue.testing import understood


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(Path(repo_root()) / "tenants" / "demo" / "domain.yml"))


def tracker_with(domain: Domain, *events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("demo/c", list(events), domain.slots)


def test_a_template_becomes_a_decision_and_a_reply_in_the_slot_language(domain) -> None:
    event = understood("c", "hello 👋", "greet", language="en")
    utterances = [
        BotUttered("Hello!", metadata={"utter_action": "utter_greet"}),
        BotUttered(
            "Anything else?",
            data={"buttons": [{"title": "是", "payload": "/affirm"}]},
            metadata={"utter_action": "utter_anything_else"},
        ),
    ]
    tracker = tracker_with(domain, SlotSet("language", "en"), UserUttered("hello 👋"), *utterances)
    outputs = render_turn(event, utterances, tracker, DecisionSettings())
    assert [o.kind for o in outputs] == [DECIDED, OUTBOUND, DECIDED, OUTBOUND]
    first, reply, second, second_reply = (o.message for o in outputs)
    assert first.template.template_id == "utter_greet"
    assert reply.source == ReplySource.REPLY_SOURCE_TEMPLATE and reply.language == Language.LANGUAGE_EN
    assert (reply.sequence, reply.sequence_count, second_reply.sequence) == (0, 2, 1)
    assert second.template.quick_replies[0].title == "是"
    assert reply.envelope.causation_id == first.envelope.event_id
    assert first.envelope.causation_id == event.envelope.event_id
    again = render_turn(event, utterances, tracker, DecisionSettings())
    assert [o.message.envelope.event_id for o in again] == [o.message.envelope.event_id for o in outputs]
    assert len({o.message.envelope.event_id for o in outputs}) == 4
    assert Output.parse(DECIDED, outputs[0].payload()).message == first


def test_generate_and_handoff_are_decisions_only(domain) -> None:
    event = understood("c", "退货运费谁出？", "policy_question", emotion="ANXIOUS", emotion_score=0.7)
    generate = BotUttered(data={"custom": {"decision": "generate", "personal": False}})
    handoff = BotUttered(
        data={"custom": {"decision": "handoff", "reasons": ["NEGATIVE_EMOTION", "BOGUS"], "topic": "return_item"}}
    )
    tracker = tracker_with(
        domain,
        ActionExecuted("action_listen"),
        UserUttered("我要退货"),
        BotUttered("请提供您的订单号"),
        SlotSet("order_id", "SB1002"),
        UserUttered("退货运费谁出？"),
        generate,
        handoff,
    )
    outputs = render_turn(
        event, [generate, handoff], tracker, DecisionSettings(history_turns=4, generate_deadline_ms=5000)
    )
    assert [o.kind for o in outputs] == [DECIDED, DECIDED]
    asked = outputs[0].message.generate
    assert asked.question == "退货运费谁出？" and asked.intent == "policy_question"
    assert [(t.speaker, t.text) for t in asked.history] == [
        (Turn.SPEAKER_CUSTOMER, "我要退货"),
        (Turn.SPEAKER_BOT, "请提供您的订单号"),
    ]
    assert asked.slots["order_id"] == "SB1002" and asked.slots["language"] == "zh"
    assert asked.deadline_ms == 5000
    handed = outputs[1].message.handoff
    assert list(handed.reasons) == [
        HandoffReason.HANDOFF_REASON_NEGATIVE_EMOTION,
        HandoffReason.HANDOFF_REASON_UNSPECIFIED,
    ]
    assert handed.topic == "return_item" and "order_id=SB1002" in handed.summary
    assert outputs[0].message.envelope.event_id != outputs[1].message.envelope.event_id


def test_a_generated_answer_keeps_its_place_among_the_turns_template_replies(domain) -> None:
    # A policy question inside the order form: the answer (generated later, by another service) comes
    # first, then the form asks its next question; both replies say the turn has two.
    event = understood("c", "运费多少钱？", "policy_question")
    generate = BotUttered(data={"custom": {"decision": "generate", "personal": False}})
    ask = BotUttered("为了核实身份，请提供下单手机号的后 4 位。", metadata={"utter_action": "utter_ask_phone_last4"})
    tracker = tracker_with(domain, UserUttered("运费多少钱？"), generate, ask)
    outputs = render_turn(event, [generate, ask], tracker, DecisionSettings())
    assert [o.kind for o in outputs] == [DECIDED, DECIDED, OUTBOUND]
    answer, asked, asked_reply = (o.message for o in outputs)
    assert (answer.reply_sequence, answer.reply_count) == (0, 2)
    assert (asked.reply_sequence, asked.reply_count) == (1, 2)
    assert (asked_reply.sequence, asked_reply.sequence_count) == (1, 2)


def test_a_handoff_is_not_counted_among_the_turns_replies(domain) -> None:
    event = understood("c", "转人工", "human_agent")
    sorry = BotUttered("好的，马上为您转接。", metadata={"utter_action": "utter_handoff"})
    handoff = BotUttered(data={"custom": {"decision": "handoff", "reasons": ["CUSTOMER_REQUEST"]}})
    tracker = tracker_with(domain, UserUttered("转人工"), sorry, handoff)
    outputs = render_turn(event, [sorry, handoff], tracker, DecisionSettings())
    reply = next(o.message for o in outputs if o.kind == OUTBOUND)
    assert (reply.sequence, reply.sequence_count) == (0, 1)


def test_history_reads_only_the_last_turns() -> None:
    events = [UserUttered(f"u{i}") if i % 2 == 0 else BotUttered(f"b{i}") for i in range(1000)]
    history = recent_history(events, 3)
    assert [t.text for t in history] == ["b997", "u998", "b999"]


def test_the_tenants_internal_slots_stay_out_of_the_handover_summary(domain) -> None:
    event = understood("c", "转人工", "human_agent")
    handoff = BotUttered(data={"custom": {"decision": "handoff", "reasons": ["CUSTOMER_REQUEST"]}})
    tracker = tracker_with(
        domain,
        UserUttered("转人工"),
        SlotSet("order_id", "SB1002"),
        SlotSet("order_items", "蓝牙耳机, 充电器"),
        handoff,
    )
    # The platform's list knows nothing of the shop's order_items; the demo tenant's copy hides it.
    platform = render_turn(event, [handoff], tracker, DecisionSettings())[0].message.handoff.summary
    assert "order_items=" in platform and "order_id=SB1002" in platform
    demo = load_copy(Path(repo_root()) / "tenants" / "demo").slots.internal
    summary = render_turn(event, [handoff], tracker, DecisionSettings(), demo)[0].message.handoff.summary
    assert "order_items" not in summary and "order_id=SB1002" in summary
