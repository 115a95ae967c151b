"""The dialogue pass-along decision asks the generator, in the reader's language, reproducibly."""

from switchboard.core.contracts import (
    Channel,
    IntentScore,
    Language,
    MessageReceived,
    MessageUnderstood,
    Understanding,
    new_envelope,
)
from switchboard.dialogue.decisions import generate_decision
from switchboard.dialogue.settings import Settings


def _understood(text: str) -> MessageUnderstood:
    envelope = new_envelope(tenant_id="demo", conversation_id="c", customer_id="u", channel=Channel.CHANNEL_WECHAT)
    return MessageUnderstood(
        envelope=envelope,
        message=MessageReceived(envelope=envelope, text=text),
        understanding=Understanding(intent=IntentScore(name="policy_question", confidence=0.8), language=Language.LANGUAGE_ZH),
    )


def test_generate_decision_keeps_question_intent_and_language() -> None:
    event = _understood("退货运费谁出？")
    decision = generate_decision(event)
    assert decision.WhichOneof("decision") == "generate"
    assert decision.generate.question == "退货运费谁出？"
    assert decision.generate.intent == "policy_question"
    assert decision.language == Language.LANGUAGE_ZH
    assert decision.message.text == "退货运费谁出？"
    assert decision.envelope.event_id == generate_decision(event).envelope.event_id


def test_dialogue_settings_load_under_pydantic_1_and_2() -> None:
    assert Settings().http.port == 8084
