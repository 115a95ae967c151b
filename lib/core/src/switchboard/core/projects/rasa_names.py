"""Names Rasa 3.6 and the platform define, so a tenant's project can be checked without importing Rasa."""

from __future__ import annotations

# rasa/core/policies in Rasa 3.6: the policies a config.yml may name without a module path.
BUILTIN_POLICIES = frozenset(
    {"RulePolicy", "MemoizationPolicy", "AugmentedMemoizationPolicy", "TEDPolicy", "UnexpecTEDIntentPolicy"}
)
# Rasa 2 policies Rasa 3 removed; named with what replaces them.
REMOVED_POLICIES = {
    "FormPolicy": "RulePolicy (forms run as rules in Rasa 3)",
    "MappingPolicy": "RulePolicy",
    "FallbackPolicy": "RulePolicy with core_fallback_threshold",
    "TwoStageFallbackPolicy": "RulePolicy and the action_two_stage_fallback rule",
    "KerasPolicy": "TEDPolicy",
    "EmbeddingPolicy": "TEDPolicy",
    "SklearnPolicy": "TEDPolicy",
}

# rasa/shared/core/constants.py DEFAULT_ACTION_NAMES: every assistant has these without declaring them.
DEFAULT_ACTIONS = frozenset(
    {
        "action_listen",
        "action_restart",
        "action_session_start",
        "action_default_fallback",
        "action_deactivate_loop",
        "action_revert_fallback_events",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "action_two_stage_fallback",
        "action_unlikely_intent",
        "action_back",
        "action_extract_slots",
    }
)
# rasa/shared/core/constants.py DEFAULT_INTENTS; nlu_fallback also comes from our NLU's calibrated threshold.
DEFAULT_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})
# Slots Rasa keeps itself.
DEFAULT_SLOTS = frozenset({"requested_slot", "session_started_metadata"})

# Actions the dialogue service runs itself, for every tenant; every other action_* needs an action server.
PLATFORM_ACTIONS = frozenset({"action_generate_answer", "action_handoff", "action_business_info"})

# Rasa's NLU components and what the Switchboard NLU service does in their place: the service trains
# on the project's nlu: data and hands Rasa finished readings, so config.yml's pipeline never runs.
_REPLACED_BY = {
    "tokenizer": "the NLU service tokenizes Chinese and English itself (character and word n-grams)",
    "featurizer": "the NLU service builds its own character/word n-gram and sentence-encoder features",
    "DIETClassifier": "intents come from the NLU service's calibrated classifier, entities from its tagger and rules",
    "FallbackClassifier": "the NLU service calibrates the nlu_fallback threshold per tenant (calibration.yml)",
    "EntitySynonymMapper": "the NLU service applies the synonyms of the nlu: data",
    "RegexEntityExtractor": "the NLU service applies the regexes and lookup tables of the nlu: data",
    "CRFEntityExtractor": "entities come from the NLU service's tagger, trained on the annotated examples",
    "DucklingEntityExtractor": "dates, numbers, money and phone numbers come from the NLU service's rule extractors",
    "SpacyEntityExtractor": "entities come from the NLU service's tagger, trained on the annotated examples",
    "ResponseSelector": "retrieval intents are not supported: answers to questions come from the knowledge base",
    "KeywordIntentClassifier": "intents come from the NLU service's calibrated classifier",
    "SklearnIntentClassifier": "intents come from the NLU service's calibrated classifier",
    "LogisticRegressionClassifier": "intents come from the NLU service's calibrated classifier",
    "MitieIntentClassifier": "intents come from the NLU service's calibrated classifier",
    "MitieEntityExtractor": "entities come from the NLU service's tagger, trained on the annotated examples",
    "SpacyNLP": "no language model is loaded for Rasa's pipeline",
    "MitieNLP": "no language model is loaded for Rasa's pipeline",
}


def replaced_component(name: str) -> str:
    """Why a pipeline component does not run, in one clause."""
    if name in _REPLACED_BY:
        return _REPLACED_BY[name]
    short = name.rsplit(".", 1)[-1]
    for kind in ("tokenizer", "featurizer"):
        if short.lower().endswith(kind):
            return _REPLACED_BY[kind]
    return "the NLU service reads the project's nlu: data itself and Rasa's NLU pipeline does not run"
