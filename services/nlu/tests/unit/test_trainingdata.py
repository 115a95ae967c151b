"""Rasa-format training data: annotations, synonyms, regexes, lookups; bad files fail clearly."""

from pathlib import Path

import pytest

from switchboard.nlu import trainingdata
from switchboard.nlu.errors import TrainingDataError


def test_annotations_become_spans_in_the_plain_text() -> None:
    example = trainingdata.parse_example(
        '订单[SB1003](order_id)的[耳机]{"entity": "product", "value": "SoundPods Pro"}坏了', "x"
    )
    assert example.text == "订单SB1003的耳机坏了"
    order, product = example.entities
    assert (order.entity, example.text[order.start : order.end], order.value) == ("order_id", "SB1003", "SB1003")
    assert (product.entity, example.text[product.start : product.end], product.value) == (
        "product",
        "耳机",
        "SoundPods Pro",
    )


def test_the_demo_file_loads_with_every_intent_and_both_languages(tenants_dir: Path) -> None:
    data = trainingdata.load(tenants_dir / "demo" / "data")
    assert len(data.intents) == 18 and "nlu_fallback" not in data.intents
    for intent in data.intents:
        texts = [e.text for e in data.examples if e.intent == intent]
        chinese = [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t)]
        english = [t for t in texts if t.isascii()]
        assert len(chinese) >= 20 and len(english) >= 20, intent
    assert data.synonyms["earbuds"] == "SoundPods Pro"
    assert "SoundPods Pro" in data.lookups["product"]
    assert data.regexes["order_id"]


def test_synonyms_come_from_annotated_values_too() -> None:
    data = trainingdata.parse({"nlu": [{"intent": "a", "examples": "- [tele](product:TV) please\n"}]})
    assert data.synonyms == {"tele": "TV"}


@pytest.mark.parametrize(
    "document",
    [
        {"nlu": []},
        {"nlu": [{"intent": "a", "examples": "- hi\n"}, {"regex": "r", "examples": "- ([\n"}]},
        {"nlu": [{"intent": "a", "examples": "- [x]{not json}\n"}]},
    ],
)
def test_bad_data_raises_a_clear_error(document: dict) -> None:
    with pytest.raises(TrainingDataError):
        trainingdata.parse(document)


def test_an_unreadable_file_is_a_training_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "nlu.yml"
    bad.write_text("nlu: [unclosed", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="cannot read"):
        trainingdata.load(bad)
