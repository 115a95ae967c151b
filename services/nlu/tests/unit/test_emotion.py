"""Emotion per turn in Chinese and English, from lexicons, cues, emoji and emphasis."""

import pytest

from switchboard.core.contracts import EmotionLabel
from switchboard.nlu.emotion import EmotionReader


@pytest.fixture(scope="module")
def reader() -> EmotionReader:
    return EmotionReader()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("你们这服务太垃圾了，我要投诉！", "angry"),
        ("This is ridiculous, you people are scammers!!", "angry"),
        ("我的订单 SB1003 到哪了？😡", "angry"),
        ("等了半个月还没到，太失望了", "frustrated"),
        ("I've asked three times and it's still not fixed, so disappointed", "frustrated"),
        ("很着急，明天就要用，能不能尽快发货", "anxious"),
        ("I'm worried my card was stolen, please help asap", "anxious"),
        ("我的订单到哪了", "neutral"),
        ("where is my order", "neutral"),
        ("太好了，谢谢你，非常满意", "satisfied"),
        ("Thanks, that was really helpful! 👍", "satisfied"),
    ],
)
def test_labels(reader: EmotionReader, text: str, label: str) -> None:
    assert reader.read(text).label == label


def test_scores_grow_with_evidence_and_map_to_the_contract(reader: EmotionReader) -> None:
    mild, strong = reader.read("我要投诉"), reader.read("我要投诉！！！垃圾骗子 😡")
    assert 0 < mild.score < strong.score <= 1
    assert strong.proto_label == EmotionLabel.EMOTION_LABEL_ANGRY
