"""Emotion per turn in Chinese and English: cues, negation, degree, emphasis and sarcasm (a dev list)."""

import pytest

from switchboard.core.contracts import Emotion, EmotionLabel, Understanding
from switchboard.nlu.emotion import EmotionReader
from switchboard.nlu.rasa_format import to_rasa


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
        ("WHERE IS MY PARCEL", "frustrated"),
        ("谢谢，但是还是没收到", "frustrated"),
        ("the delivery guy was nice, thanks", "satisfied"),
        ("不用了，谢谢", "satisfied"),
        ("好不好用啊这个", "neutral"),
        # Negation: negated praise or a negated expectation complains; a negated worry is calm.
        ("不满意", "frustrated"),
        ("不太好", "frustrated"),
        ("一点都不好", "frustrated"),
        ("没有解决", "frustrated"),
        ("我对结果并不满意", "frustrated"),
        ("not happy", "frustrated"),
        ("not good at all", "frustrated"),
        ("isn't working", "frustrated"),
        ("the link still doesnt work", "frustrated"),
        ("never again", "angry"),
        ("我不担心，慢慢来", "neutral"),
        ("I'm not angry, just asking", "neutral"),
        ("非常满意", "satisfied"),
        ("不错不错", "satisfied"),
        ("the courier wasn't friendly", "frustrated"),
        ("页面一点反应都没有", "frustrated"),
        ("包装一点都不结实", "frustrated"),
        ("价格一点都不贵", "neutral"),
        ("一点也不麻烦", "neutral"),
        ("网站打不开", "frustrated"),
        ("APP登录不了", "frustrated"),
        ("我没收到验证码，可以再发一次吗", "neutral"),
        ("I haven't got the confirmation email, can you send it again?", "neutral"),
        ("the app hasn't worked since the update", "frustrated"),
        ("I don't need help, just the tracking number", "neutral"),
        # Sarcasm: praise before a complaint, and set phrases.
        ("呵呵", "frustrated"),
        ("真是太好了…又坏了", "frustrated"),
        ("great, another delay", "frustrated"),
        ("thanks for nothing", "angry"),
    ],
)
def test_labels(reader: EmotionReader, text: str, label: str) -> None:
    assert reader.read(text).label == label


@pytest.mark.parametrize(
    ("plain", "intense"),
    [
        ("失望", "非常失望"),
        ("失望", "太失望了"),
        ("disappointed", "very disappointed"),
        ("disappointed", "so disappointed"),
        ("这服务太差了，我要投诉", "这服务太差了，我要投诉！！！"),
        ("this is unacceptable", "THIS IS UNACCEPTABLE"),
        ("my order is late 😡", "my order is late 😡😡😡"),
        ("满意", "极其满意"),
        ("不满意", "非常不满意"),
    ],
)
def test_intensity_raises_the_score_not_the_label(reader: EmotionReader, plain: str, intense: str) -> None:
    mild, strong = reader.read(plain), reader.read(intense)
    assert mild.label == strong.label != "neutral"
    assert mild.score < strong.score


def test_downtoners_lower_the_score(reader: EmotionReader) -> None:
    assert reader.read("有点失望").score < reader.read("失望").score


def test_scores_grow_with_evidence_and_map_to_the_contract(reader: EmotionReader) -> None:
    mild, strong = reader.read("我要投诉"), reader.read("我要投诉！！！垃圾骗子 😡")
    assert 0 < mild.score < strong.score <= 1
    assert strong.proto_label == EmotionLabel.EMOTION_LABEL_ANGRY


def test_the_label_and_score_travel_in_the_understanding_and_the_parse_response(reader: EmotionReader) -> None:
    reading = reader.read("非常不满意")
    understanding = Understanding(emotion=Emotion(label=reading.proto_label, score=reading.score))
    carried = Understanding.FromString(understanding.SerializeToString()).emotion
    assert carried.label == EmotionLabel.EMOTION_LABEL_FRUSTRATED
    assert to_rasa("非常不满意", Understanding(emotion=carried))["emotion"] == {
        "label": "frustrated",
        "score": pytest.approx(reading.score, abs=1e-4),
    }
