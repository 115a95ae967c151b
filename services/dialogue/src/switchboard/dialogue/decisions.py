"""Turns what the assistant did in one turn into the events the service publishes.

Template replies become a ``ReplyDecided`` (template) on ``conversation.decided.v1`` and a
``ReplyReady`` (source TEMPLATE) on ``conversation.outbound.v1``; generate and handoff decisions
are ``ReplyDecided`` only. Event ids derive from the customer message's envelope and the reply's
position, so running the same turn again yields the same ids.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from switchboard.core.contracts import (
    GenerateDecision,
    HandoffDecision,
    HandoffReason,
    MessageUnderstood,
    QuickReply,
    ReplyDecided,
    ReplyReady,
    ReplySource,
    TemplateDecision,
    Turn,
    caused_envelope,
)
from switchboard.core.copy import default_copy
from switchboard.core.language import reply_language, to_wire


@dataclass(frozen=True)
class DecisionSettings:
    """What the generator is told besides the question."""

    history_turns: int = 6
    generate_deadline_ms: int = 8000


DECIDED = "decided"
OUTBOUND = "outbound"


@dataclass(frozen=True)
class Output:
    """One event to publish: ``kind`` is DECIDED (conversation.decided) or OUTBOUND (conversation.outbound)."""

    kind: str
    message: Message

    def payload(self) -> bytes:
        return self.message.SerializeToString()

    @classmethod
    def parse(cls, kind: str, payload: bytes) -> Output:
        message = ReplyDecided() if kind == DECIDED else ReplyReady()
        message.ParseFromString(payload)
        return cls(kind, message)


def decided_step(index: int) -> str:
    """The first decision of a turn keeps the plain step name; later ones are numbered."""
    return "dialogue.decided" if index == 0 else f"dialogue.decided.{index}"


def render_turn(
    event: MessageUnderstood,
    new_events: Sequence[Event],
    tracker: DialogueStateTracker,
    settings: DecisionSettings,
    internal_slots: Collection[str] | None = None,
) -> list[Output]:
    """The events to publish for the bot utterances among ``new_events``, in order; ``internal_slots`` are left
    out of the generator's and the agent's context (the tenant copy's ``slots.internal``; the platform's when
    not given)."""
    internal = frozenset(default_copy().slots.internal if internal_slots is None else internal_slots)
    utterances = [item for item in new_events if isinstance(item, BotUttered)]
    language = to_wire(reply_language(tracker.get_slot("language")))
    kinds = [_kind(item) for item in utterances]
    # The customer sees one reply per template and one per generate decision, in this order.
    reply_count = sum(1 for kind in kinds if kind in ("generate", "template"))
    outputs: list[Output] = []
    reply_index = 0
    for index, (utterance, kind) in enumerate(zip(utterances, kinds, strict=True)):
        envelope = caused_envelope(event.envelope, decided_step(index))
        custom = _custom(utterance)
        if kind == "generate":
            decision = ReplyDecided(
                envelope=envelope,
                generate=_generate(event, tracker, settings, bool(custom.get("personal")), internal),
                language=language,
                message=event.message,
                reply_sequence=reply_index,
                reply_count=reply_count,
            )
            reply_index += 1
            outputs.append(Output(DECIDED, decision))
        elif kind == "handoff":
            decision = ReplyDecided(
                envelope=envelope,
                handoff=_handoff(custom, tracker, language, internal),
                language=language,
                message=event.message,
            )
            outputs.append(Output(DECIDED, decision))
        elif kind == "template":
            quick_replies = [
                QuickReply(title=str(button.get("title", "")), payload=str(button.get("payload", "")))
                for button in (utterance.data or {}).get("buttons") or []
            ]
            template_id = str((utterance.metadata or {}).get("utter_action") or "")
            decision = ReplyDecided(
                envelope=envelope,
                template=TemplateDecision(template_id=template_id, text=utterance.text, quick_replies=quick_replies),
                language=language,
                message=event.message,
                reply_sequence=reply_index,
                reply_count=reply_count,
            )
            reply = ReplyReady(
                envelope=caused_envelope(envelope, "dialogue.reply"),
                text=utterance.text,
                quick_replies=quick_replies,
                source=ReplySource.REPLY_SOURCE_TEMPLATE,
                language=language,
                sequence=reply_index,
                sequence_count=reply_count,
                channel_ids=event.message.channel_ids,
                in_reply_to=event.message.envelope.event_id,
            )
            reply_index += 1
            outputs.append(Output(DECIDED, decision))
            outputs.append(Output(OUTBOUND, reply))
    return outputs


def _kind(utterance: BotUttered) -> str | None:
    """What an utterance becomes: a ``generate`` or ``handoff`` decision, a ``template`` reply, or nothing."""
    decision = _custom(utterance).get("decision")
    if decision in ("generate", "handoff"):
        return decision
    return "template" if utterance.text else None


def _custom(utterance: BotUttered) -> dict[str, Any]:
    custom = (utterance.data or {}).get("custom")
    return custom if isinstance(custom, dict) else {}


def _generate(
    event: MessageUnderstood,
    tracker: DialogueStateTracker,
    settings: DecisionSettings,
    personal: bool,
    internal: Collection[str],
) -> GenerateDecision:
    return GenerateDecision(
        question=event.message.text,
        history=recent_history(tracker.events, settings.history_turns, skip_latest_user=True),
        slots=context_slots(tracker, internal),
        # The intent the dialogue acted on, after arbitration.
        intent=(tracker.latest_message.intent or {}).get("name") or event.understanding.intent.name,
        emotion=event.understanding.emotion,
        personal=personal,
        deadline_ms=settings.generate_deadline_ms,
    )


def _handoff(
    custom: dict[str, Any], tracker: DialogueStateTracker, language: int, internal: Collection[str]
) -> HandoffDecision:
    reasons = []
    for name in custom.get("reasons") or []:
        try:
            reasons.append(HandoffReason.Value(f"HANDOFF_REASON_{name}"))
        except ValueError:
            reasons.append(HandoffReason.HANDOFF_REASON_UNSPECIFIED)
    slots = context_slots(tracker, internal)
    summary = "; ".join(f"{name}={value}" for name, value in sorted(slots.items()))
    return HandoffDecision(
        reasons=reasons,
        detail=", ".join(custom.get("reasons") or []),
        summary=summary,
        topic=str(custom.get("topic") or ""),
        language=language,
    )


def context_slots(tracker: DialogueStateTracker, internal: Collection[str]) -> dict[str, str]:
    """Slots with a value, as strings (the generator's and the agent's context), but the ``internal`` ones:
    bookkeeping, not context."""
    values = {}
    for name, slot in tracker.slots.items():
        if name in internal or slot.value is None:
            continue
        if name != "language" and slot.value == slot.initial_value:
            continue
        values[name] = str(slot.value)
    return values


def recent_history(events: Iterable[Event], turns: int, *, skip_latest_user: bool = False) -> list[Turn]:
    """The last ``turns`` texts of customer and bot, oldest first; reads back only that far."""
    collected: list[Turn] = []
    skipped = not skip_latest_user
    for item in reversed(list(events)[-turns * 8 :]):
        if isinstance(item, UserUttered) and item.text:
            if not skipped:
                skipped = True
                continue
            collected.append(Turn(speaker=Turn.SPEAKER_CUSTOMER, text=item.text))
        elif isinstance(item, BotUttered) and item.text:
            collected.append(Turn(speaker=Turn.SPEAKER_BOT, text=item.text))
        if len(collected) == turns:
            break
    return list(reversed(collected))
