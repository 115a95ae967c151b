"""Input checks and the Rasa-compatible JSON shape."""

import pytest

from switchboard.core.contracts import Language
from switchboard.nlu.errors import InvalidInputError
from switchboard.nlu.model import NluModel, ParseInput
from switchboard.nlu.parsing import check_text, empty_reading
from switchboard.nlu.rasa_format import to_rasa


@pytest.mark.parametrize(
    ("text", "message"), [("", "empty"), ("   \n", "empty"), ("x" * 100_000, "100000 characters"), ("a\x00b", "NUL")]
)
def test_unusable_text_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        check_text(text, 2000)


def test_a_message_without_text_reads_only_its_language() -> None:
    reading = empty_reading("zh-CN")
    assert reading.language == Language.LANGUAGE_ZH and not reading.intent.name


def test_rasa_shape(demo_model: NluModel) -> None:
    body = to_rasa("订单SB1003到哪了😡", demo_model.parse(ParseInput("订单SB1003到哪了😡")))
    assert set(body) >= {"text", "intent", "intent_ranking", "entities", "emotion", "language"}
    assert body["intent"]["name"] == "check_order" and body["language"] == "zh"
    assert body["entities"][0] == {
        "entity": "order_id",
        "value": "SB1003",
        "start": 2,
        "end": 8,
        "confidence": 1.0,
        "extractor": "RegexEntityExtractor",
    }
    assert body["emotion"]["label"] == "angry" and 0 < body["emotion"]["score"] <= 1
