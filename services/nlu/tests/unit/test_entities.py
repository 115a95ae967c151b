"""Rule, lookup and tagged entities with the shared vocabulary's value formats."""

import pickle
from datetime import datetime, timezone

import numpy as np
import pytest

from switchboard.core.testing import full_width
from switchboard.nlu.entities import Found, resolve_overlaps
from switchboard.nlu.model import NluModel, ParseInput
from switchboard.nlu.tagger import _features
from switchboard.nlu.tokens import normalise, tokenize

# Wednesday 2026-11-25 08:00 in Shanghai.
AT = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)


def entities(model: NluModel, text: str, at: datetime = AT) -> dict[str, str]:
    return {e.entity: e.value for e in model.entities(ParseInput(text, received_at=at))}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("查一下订单sb1207", {"order_id": "SB1207"}),
        ("我的手机号是138 1234 5678", {"phone_number": "13812345678"}),
        ("+86 139-1234-5678 is my number", {"phone_number": "13912345678"}),
        ("手机尾号5678的订单", {"phone_last4": "5678"}),
        ("the phone ending in 4321", {"phone_last4": "4321"}),
        ("退了199元还没到", {"money": "199.00"}),
        ("￥1,299.5 的退款", {"money": "1299.50"}),
        ("refund of 45 yuan", {"money": "45.00"}),
        ("我上周五买的充电宝", {"date": "2026-11-20", "product": "PowerCube 20000"}),
        ("my earbuds from next Friday", {"product": "SoundPods Pro", "date": "2026-12-04"}),
        ("FitWatch S2 支持心率吗", {"product": "FitWatch S2"}),
        # Typed with a Chinese input method in full-width mode.
        ("订单" + full_width("SB1005") + "到哪了", {"order_id": "SB1005"}),
        ("尾号" + full_width("3721"), {"phone_last4": "3721"}),
        (full_width("sb1002") + " 的退款", {"order_id": "SB1002"}),
    ],
)
def test_rule_entities(demo_model: NluModel, text: str, expected: dict[str, str]) -> None:
    assert entities(demo_model, text) == expected


def test_full_width_spans_point_into_the_original_text(demo_model: NluModel) -> None:
    text = "订单" + full_width("SB1005") + "，尾号" + full_width("3721")
    spans = {e.entity: text[e.start : e.end] for e in demo_model.entities(ParseInput(text, received_at=AT))}
    assert (spans["order_id"], spans["phone_last4"]) == (full_width("SB1005"), full_width("3721"))


def test_spans_point_into_the_original_text(demo_model: NluModel) -> None:
    text = "订单SB1003的Earbuds明天到吗😊"
    for entity in demo_model.entities(ParseInput(text, received_at=AT)):
        assert text[entity.start : entity.end].upper() in {"SB1003", "EARBUDS", "明天"}


def test_dates_resolve_in_the_tenant_time_zone(demo_model: NluModel) -> None:
    # 23:30 UTC on Tuesday is already Wednesday in Asia/Shanghai.
    late = datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc)
    assert entities(demo_model, "明天", late) == {"date": "2026-11-26"}


def test_latin_lookups_match_whole_words_only(demo_model: NluModel) -> None:
    assert "product" not in entities(demo_model, "I need a pillowcase")


def test_the_tagger_finds_annotated_free_text_entities(demo_model: NluModel) -> None:
    assert entities(demo_model, "地址改成杭州市西湖区文三路100号")["address"].startswith("杭州市西湖区文三路")
    assert "return_reason" in entities(demo_model, "我要退货，因为质量有问题")


def test_the_tagger_scores_as_its_fitted_model_before_and_after_storage(demo_model: NluModel) -> None:
    tagger = demo_model.tagger
    tokens = [token for token, _, _ in tokenize(normalise("地址改成杭州市西湖区文三路100号, thanks 😊"))]
    rows = [_features(tokens, i) for i in range(len(tokens))]
    expected = tagger._model.predict_proba(tagger._vectorizer.transform(rows))
    assert np.allclose(tagger._probabilities(rows), expected)
    assert "_weights" not in tagger.__getstate__()  # derived tables are rebuilt on load
    assert np.allclose(pickle.loads(pickle.dumps(tagger))._probabilities(rows), expected)


def test_overlaps_keep_the_longest_span() -> None:
    spans = [Found("phone_number", "1", 0, 11, 1.0, "rules"), Found("phone_last4", "2", 7, 11, 1.0, "rules")]
    assert [f.entity for f in resolve_overlaps(spans)] == ["phone_number"]


def test_an_identifier_wins_over_a_longer_tagged_span() -> None:
    spans = [
        Found("address", "，尾号3721", 8, 15, 0.7, "EntityTagger"),
        Found("phone_last4", "3721", 11, 15, 1.0, "rules"),
    ]
    assert [f.entity for f in resolve_overlaps(spans)] == ["phone_last4"]
