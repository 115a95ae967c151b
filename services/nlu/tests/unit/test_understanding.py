"""The understood event keeps the message and its conversation, with an id stable across redeliveries."""

from switchboard.core.contracts import Channel, Emotion, EmotionLabel, MessageReceived, Understanding, new_envelope
from switchboard.nlu.understanding import understood


def test_understood_event_carries_the_message_and_is_reproducible() -> None:
    envelope = new_envelope(tenant_id="demo", conversation_id="c", customer_id="u", channel=Channel.CHANNEL_VOICE)
    message = MessageReceived(envelope=envelope, text="我要投诉 😡", dtmf_digits="0")
    reading = Understanding(emotion=Emotion(label=EmotionLabel.EMOTION_LABEL_ANGRY, score=0.9))
    first, again = understood(message, reading), understood(message, reading)
    assert first.envelope.event_id == again.envelope.event_id != envelope.event_id
    assert first.envelope.causation_id == envelope.event_id
    assert first.message == message
    assert first.understanding.emotion.label == EmotionLabel.EMOTION_LABEL_ANGRY
