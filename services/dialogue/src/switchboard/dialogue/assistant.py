"""One customer turn through Rasa: the NLU reading in, the decisions out, the tracker saved once.

The NLU service's reading goes to Rasa as ``UserMessage(parse_data=...)``, so Rasa's NLU never
runs. Language and emotion travel too: the language as the pseudo-entity ``language`` (which
fills the slot that picks each response's variation), the emotion in the message metadata (which
``EscalationPolicy`` reads). The turn runs Rasa's processor steps without its save, renders the
decisions, and saves the tracker together with those decisions in one version-checked write; a
redelivered message finds its turn stored and gets the same decisions back without running again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationResumed

from switchboard.core.contracts import (
    Channel,
    EmotionLabel,
    HandoffEvent,
    MessageUnderstood,
    conversation_key,
)
from switchboard.core.copy import TenantCopy, default_copy
from switchboard.core.language import SUPPORTED, from_wire
from switchboard.core.logs import get_logger
from switchboard.core.projects.profile import ProjectProfile
from switchboard.dialogue.action_runner import InProcessActionEndpoint, start_turn
from switchboard.dialogue.arbitration import arbitrate
from switchboard.dialogue.decisions import DecisionSettings, Output, render_turn
from switchboard.dialogue.errors import DialogueRetryableError
from switchboard.dialogue.tracker_store import ConversationTrackerStore, StoredOutput
from switchboard.dialogue.window import window_size

log = get_logger(__name__)

FALLBACK_INTENT = "nlu_fallback"
LANGUAGE_ENTITY = "language"


def quiet_rasa(*, own_logging: bool) -> None:
    """No telemetry; Rasa's per-prediction debug lines off.

    With the service's logging (structlog on stdlib loggers) Rasa's loggers are capped at
    WARNING; without it (benchmark, scripts) Rasa's own structlog setup is set to WARNING.
    """
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    if own_logging:
        for name in ("rasa", "rasa_sdk", "apscheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)
    else:
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
        logging.getLogger("rasa").setLevel(logging.WARNING)


def parse_data_of(event: MessageUnderstood, profile: ProjectProfile) -> dict[str, Any]:
    """Rasa's parse data for an NLU reading, arbitrated by the rules of the tenant's ``profile`` (a message
    with no reading counts as not understood)."""
    understanding = event.understanding
    intent = {
        "name": understanding.intent.name or FALLBACK_INTENT,
        "confidence": float(understanding.intent.confidence),
    }
    ranking = [{"name": item.name, "confidence": float(item.confidence)} for item in understanding.intent_ranking]
    entities: list[dict[str, Any]] = []
    for entity in understanding.entities:
        item: dict[str, Any] = {
            "entity": entity.entity,
            "value": entity.value,
            "start": entity.start,
            "end": entity.end,
            "confidence_entity": float(entity.confidence),
            "extractor": entity.extractor or "switchboard-nlu",
        }
        if entity.role:
            item["role"] = entity.role
        if entity.group:
            item["group"] = entity.group
        entities.append(item)
    reference = profile.reference_in(event.message.text)
    if reference and not any(item["entity"] == reference[0] for item in entities):
        # An id NLU's pattern missed, typed full-width or spaced ("订单号SB1005" full-width, "sb 1005").
        entities.append({"entity": reference[0], "value": reference[1], "extractor": "switchboard-dialogue"})
    language = from_wire(understanding.language)
    if language in SUPPORTED:
        # Mixed or unknown language keeps the conversation's language.
        entities.append({"entity": LANGUAGE_ENTITY, "value": language, "extractor": "switchboard-dialogue"})
    return arbitrate(
        {
            "text": event.message.text,
            "intent": intent,
            "intent_ranking": ranking or [intent],
            "entities": entities,
            "message_id": event.envelope.event_id,
        },
        profile,
    )


def metadata_of(event: MessageUnderstood) -> dict[str, Any]:
    emotion = event.understanding.emotion
    label = EmotionLabel.Name(emotion.label).removeprefix("EMOTION_LABEL_") if emotion.label else "UNSPECIFIED"
    return {
        "emotion": {"label": label, "score": float(emotion.score)},
        "channel": Channel.Name(event.envelope.channel),
        "event_id": event.envelope.event_id,
    }


class Assistant:
    """The tenant's Rasa agent with our tracker store and in-process actions; ``profile`` is what its Rasa
    project says of tasks and reference ids (arbitration reads every message with it)."""

    def __init__(
        self,
        agent: Agent,
        store: ConversationTrackerStore,
        settings: DecisionSettings,
        profile: ProjectProfile,
        copy: Callable[[], TenantCopy] = default_copy,
    ) -> None:
        self.agent = agent
        self.store = store
        self.settings = settings
        self.profile = profile
        # Reads the tenant's current copy: its slots.internal stay out of the decisions' context.
        self.copy = copy
        # Rasa wraps stores in FailSafeTrackerStore, which swallows write errors: ours must surface.
        agent.tracker_store = store
        agent.processor.tracker_store = store

    @classmethod
    def load(
        cls,
        model: Path,
        store: ConversationTrackerStore,
        actions: InProcessActionEndpoint,
        settings: DecisionSettings | None = None,
        *,
        profile: ProjectProfile,
        copy: Callable[[], TenantCopy] = default_copy,
    ) -> Assistant:
        settings = settings or DecisionSettings()
        agent = Agent.load(str(model), tracker_store=store, action_endpoint=actions)
        store.domain = agent.domain
        store.window = window_size(agent.processor.model_metadata.predict_schema.nodes.values(), settings.history_turns)
        if store.window.capped:
            log.warning(
                "dialogue.window.capped", policies=list(store.window.capped), user_turns=store.window.user_turns
            )
        return cls(agent, store, settings, profile, copy)

    async def handle(self, event: MessageUnderstood) -> list[Output]:
        """Runs one customer turn (or returns the stored decisions of a turn that already ran)."""
        sender = conversation_key(event.envelope).decode()
        turn_id = event.envelope.event_id
        document = await self.store.fetch(sender)
        stored = self.store.stored_turn(document, turn_id)
        if stored is not None:
            return [Output.parse(item.kind, item.payload) for item in stored]
        self.store.prefetched(sender, document)
        message = UserMessage(
            text=event.message.text,
            output_channel=CollectingOutputChannel(),
            sender_id=sender,
            parse_data=parse_data_of(event, self.profile),
            input_channel=Channel.Name(event.envelope.channel),
            message_id=turn_id,
            metadata=metadata_of(event),
        )
        failures = start_turn()
        processor = self.agent.processor
        tracker = await processor.log_message(message, should_save_tracker=False)
        tracker = await processor.run_action_extract_slots(message.output_channel, tracker)
        # Rasa's handle_message minus its save: the save below also stores the decisions.
        await processor._run_prediction_loop(message.output_channel, tracker)
        if failures:
            raise DialogueRetryableError(f"custom actions failed: {'; '.join(failures)}")
        outputs = render_turn(event, self.store.new_events(tracker), tracker, self.settings, self.copy().slots.internal)
        await self.store.commit(tracker, turn_id, [StoredOutput(o.kind, o.payload()) for o in outputs])
        return outputs

    async def handle_handoff(self, event: HandoffEvent) -> bool:
        """Gives the conversation back to the bot when the agent returns it (or the handoff is cancelled).

        True when this event resumed a paused conversation; the context (slots) is kept.
        """
        if event.WhichOneof("event") not in ("returned_to_bot", "cancelled"):
            return False
        sender = conversation_key(event.envelope).decode()
        document = await self.store.fetch(sender)
        if document is None or self.store.stored_turn(document, event.envelope.event_id) is not None:
            return False
        tracker = self.store.restore(document)
        if not tracker.is_paused():
            return False
        tracker.update(ConversationResumed())
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await self.store.commit(tracker, event.envelope.event_id, [])
        return True
