"""The intent cascade: the n-gram model answers alone when confident, the joint model otherwise;
its acceptance threshold comes from held-out predictions; models stored before it still parse."""

import copy
import json
from dataclasses import replace

import numpy as np
import pytest

from switchboard.nlu.calibration import NEVER, choose_accept
from switchboard.nlu.model import FALLBACK_INTENT, NluModel, ParseInput
from switchboard.nlu.model_store import ModelStore

PROBES = [
    "我的订单到哪了",
    "where is my order SB1003",
    "我要退货，尺码不合适",
    "帮我转人工客服",
    "你好",
    "thanks a lot",
    "能开发票吗",
    "the parcel still has not shown up",
    "我的 refund 还没到账",
    "can someone check on that thing I bought",
    "qwzx plmk",
    "how do I bake sourdough bread",
]


def _names(ranking) -> list[str]:
    return [name for name, _ in ranking[:5]]


def _in_scope(ranking):
    """A classifier's ranking as a reading shows it: the reject class trained on out-of-scope texts left out."""
    return [(name, confidence) for name, confidence in ranking if name != FALLBACK_INTENT]


def test_choose_accept_takes_the_lowest_threshold_without_loss() -> None:
    fast_confidence = np.array([0.99, 0.95, 0.90, 0.85, 0.80, 0.60])
    fast_correct = np.array([True, True, True, False, True, False])
    joint_correct = np.array([True, True, True, True, True, True])
    # At 0.85 the fast model would take a wrong answer the joint model gets right: 0.90 is the lowest.
    chosen = choose_accept(fast_confidence, fast_correct, joint_correct, floor=0.5)
    assert chosen.accept == pytest.approx(0.90)
    assert (chosen.fast_examples, chosen.examples) == (3, 6)
    assert chosen.fast_accuracy == chosen.joint_accuracy == 1.0
    # Where the joint model errs too the fast answer loses nothing: the threshold goes lower.
    joint_correct[3] = False
    assert choose_accept(fast_confidence, fast_correct, joint_correct, floor=0.5).accept == pytest.approx(0.80)


def test_choose_accept_respects_the_floor_and_out_of_scope_texts() -> None:
    fast_confidence = np.array([0.9, 0.7, 0.5])
    right = np.array([True, True, True])
    assert choose_accept(fast_confidence, right, right, floor=0.75).accept == pytest.approx(0.75)
    # An out-of-scope text the joint model rejects must not be accepted by the fast path.
    chosen = choose_accept(
        fast_confidence,
        right,
        right,
        floor=0.3,
        out_of_scope_fast=np.array([0.8, 0.95]),
        out_of_scope_joint_rejected=np.array([True, False]),
    )
    assert 0.8 < chosen.accept <= 0.9 and chosen.fast_examples == 1
    # A fast model that is always worse is never accepted.
    never = choose_accept(fast_confidence, ~right, right, floor=0.3)
    assert never.accept == NEVER and never.fast_examples == 0 and never.fast_share == 0.0


def test_the_demo_model_trains_a_cascade_from_held_out_data(demo_model: NluModel, trained_store: ModelStore) -> None:
    acceptance = demo_model.acceptance
    assert demo_model.fast_classifier is not None and acceptance is not None
    assert demo_model.fast_classifier.encoder == "none" and demo_model.classifier.encoder == "usem3"
    # Accepted fast answers are above the fallback threshold by construction, and lose nothing held out.
    assert demo_model.calibration.threshold <= acceptance.accept <= 1.0
    assert 0 < acceptance.fast_examples < acceptance.examples == len(demo_model.data.examples)
    assert acceptance.fast_accuracy >= acceptance.joint_accuracy
    meta = json.loads((trained_store.root / "demo" / demo_model.version / "meta.json").read_text())
    assert meta["cascade"]["fast_examples"] == acceptance.fast_examples


def test_the_cascade_answers_like_the_fast_model_when_confident_else_like_the_joint_model(
    demo_model: NluModel,
) -> None:
    fast = demo_model.fast_classifier.rank(PROBES)
    joint = demo_model.classifier.rank(PROBES)
    # A threshold between the probes' fast confidences, so both paths are taken.
    tops = sorted(ranking[0][1] for ranking in fast)
    model = copy.copy(demo_model)
    model.acceptance = replace(demo_model.acceptance, accept=tops[len(tops) // 2])
    readings = model.parse_batch([ParseInput(text) for text in PROBES])
    _, taken = model.rank_intents(PROBES)
    assert 0 < sum(taken) < len(PROBES)
    for reading, fast_ranking, joint_ranking, was_fast in zip(readings, fast, joint, taken, strict=True):
        expected = _in_scope(fast_ranking if was_fast else joint_ranking)
        assert was_fast == (fast_ranking[0][1] >= model.acceptance.accept)
        ranking = [(s.name, s.confidence) for s in reading.intent_ranking if s.name != FALLBACK_INTENT]
        assert _names(ranking) == _names(expected)
        assert [c for _, c in ranking[:5]] == pytest.approx([c for _, c in expected[:5]], abs=1e-6)
        if was_fast and fast_ranking[0][0] != FALLBACK_INTENT:
            # Accepted above the fallback threshold: only the reject class winning falls back.
            assert reading.intent.name != FALLBACK_INTENT
    # One message at a time answers as the batch does.
    assert [model.parse(ParseInput(t)).intent.name for t in PROBES] == [r.intent.name for r in readings]


def test_the_cascade_with_its_trained_threshold_takes_confident_texts_fast(demo_model: NluModel) -> None:
    _, taken = demo_model.rank_intents(["我的订单到哪了", "你好", "qwzx plmk"])
    assert taken[0] and taken[1] and not taken[2]
    assert demo_model.parse(ParseInput("qwzx plmk")).intent.name == FALLBACK_INTENT


def test_a_model_stored_before_the_cascade_still_loads_and_parses(
    demo_model: NluModel, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = NluModel.__getstate__

    def without_cascade(self: NluModel) -> dict:
        state = original(self)
        del state["fast_classifier"], state["acceptance"]
        return state

    # The pickled state of a version written before the cascade existed.
    monkeypatch.setattr(NluModel, "__getstate__", without_cascade)
    store = ModelStore(tmp_path)
    version = store.save("demo", copy.copy(demo_model))
    monkeypatch.setattr(NluModel, "__getstate__", original)
    legacy = store.load("demo", version)
    assert legacy.fast_classifier is None and legacy.acceptance is None
    readings = legacy.parse_batch([ParseInput(text) for text in PROBES])
    rankings, taken = legacy.rank_intents(PROBES)
    assert not any(taken)
    assert rankings == demo_model.classifier.rank(PROBES)
    for reading, ranking in zip(readings, rankings, strict=True):
        names = [s.name for s in reading.intent_ranking if s.name != FALLBACK_INTENT]
        assert names[:5] == _names(_in_scope(ranking))
    assert legacy.parse(ParseInput("我的订单到哪了")).intent.name == "check_order"
