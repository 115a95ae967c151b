"""A Rasa policy for escalations that are not intents: an angry customer, two fallbacks in a row.

Emotion comes with each message's metadata (``{"emotion": {"label": "ANGRY", "score": 0.9}}``, put
there by the dialogue service from the NLU reading). Right after such a user message this policy
predicts ``action_handoff`` with full confidence, even over an active form; after the handoff it
predicts ``action_listen``.
Otherwise it abstains (all zeros), and the rule and memoization policies decide. It learns nothing
from the training data, and its priority (config) puts it above RulePolicy on ties.
"""

from __future__ import annotations

from typing import Any

from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from switchboard.dialogue.answers import answers_question

HANDOFF_ACTION = "action_handoff"
FALLBACK_INTENT = "nlu_fallback"
DEFAULT_REPLY = "utter_default"
# Slots the service fills on every message; setting them is no sign of understanding.
IGNORED_SLOTS = {"language"}


def is_angry(metadata: dict[str, Any] | None, threshold: float) -> bool:
    emotion = (metadata or {}).get("emotion") or {}
    return emotion.get("label") == "ANGRY" and float(emotion.get("score", 0.0)) >= threshold


def repeated_fallback(tracker: DialogueStateTracker, in_a_row: int = 2) -> bool:
    """True when the bot failed to understand the last ``in_a_row`` user messages since the last handoff.

    The latest message counts when NLU fell back and it filled no slot nor answers the form's
    pending question (the form reads bare digits or "杯子" itself); each earlier one counts when the
    bot answered it with ``utter_default``. Reads back only that far, so the cost does not grow with the conversation.
    """
    seen = 0
    answered_default = False
    filled_slot = False
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            if event.action_name == HANDOFF_ACTION:
                return False
            answered_default = answered_default or event.action_name == DEFAULT_REPLY
        elif isinstance(event, SlotSet) and event.key not in IGNORED_SLOTS:
            filled_slot = True
        elif isinstance(event, UserUttered):
            if event.intent_name != FALLBACK_INTENT:
                return False
            if seen == 0 and (filled_slot or answers_question(tracker.get_slot(REQUESTED_SLOT), event.text or "")):
                return False
            if seen > 0 and not answered_default:
                return False
            seen += 1
            if seen == in_a_row:
                return True
            answered_default = False
    return False


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class EscalationPolicy(Policy):
    """Hands angry customers and repeated misunderstandings to a person."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7, "angry_threshold": 0.6, "fallbacks_in_a_row": 2}

    @staticmethod
    def user_turns_read(config: dict[str, Any]) -> int:
        """How many user turns back this policy reads (the stored tracker window keeps them)."""
        return int(config["fallbacks_in_a_row"])

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: TrackerFeaturizer | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        scores = self._default_predictions(domain)
        latest = tracker.latest_action_name
        if latest == HANDOFF_ACTION:
            scores[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif latest == ACTION_LISTEN_NAME and HANDOFF_ACTION in domain.action_names_or_texts:
            message = tracker.latest_message
            if message is not None and (
                is_angry(message.metadata, float(self.config["angry_threshold"]))
                or repeated_fallback(tracker, int(self.config["fallbacks_in_a_row"]))
            ):
                scores[domain.index_for_action(HANDOFF_ACTION)] = 1.0
                # Marked as not depending on the user's intent: Rasa's ensemble lets such predictions
                # (a form's happy path) overrule the others, and this one must overrule an active form.
                return self._prediction(scores, is_no_user_prediction=True)
        return self._prediction(scores)
