"""The trained demo model: intents in both languages and mixed text, fallback, batches, versions."""

import pytest

from switchboard.core.contracts import Language
from switchboard.nlu.model import FALLBACK_INTENT, NluModel, ParseInput
from switchboard.nlu.model_store import ModelStore


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我的快递怎么还没到", "check_order"),
        ("where is my package", "check_order"),
        ("我要退货，尺码不合适", "return_item"),
        ("I'd like to send back the kettle", "return_item"),
        ("退款什么时候到账", "refund_status"),
        ("I need a VAT invoice", "invoice"),
        ("帮我转人工客服", "human_agent"),
        ("let me talk to a real person", "human_agent"),
        ("我的 refund 还没到账", "refund_status"),
        ("我想 change 收货地址", "change_address"),
        ("你好", "greet"),
        ("thanks a lot", "thank"),
    ],
)
def test_intents(demo_model: NluModel, text: str, intent: str) -> None:
    reading = demo_model.parse(ParseInput(text))
    assert reading.intent.name == intent
    assert reading.intent_ranking[0] == reading.intent
    assert [s.confidence for s in reading.intent_ranking] == sorted(
        (s.confidence for s in reading.intent_ranking), reverse=True
    )


def test_out_of_scope_text_falls_back(demo_model: NluModel) -> None:
    threshold = demo_model.calibration.threshold
    assert 0.05 <= threshold <= 0.95
    reading = demo_model.parse(ParseInput("qwzx plmk"))
    assert reading.intent.name == FALLBACK_INTENT
    # The threshold, or the reject class's confidence when it won; it leads the intents either way.
    assert reading.intent.confidence >= threshold
    assert reading.intent_ranking[1].confidence < reading.intent.confidence
    assert FALLBACK_INTENT not in [s.name for s in reading.intent_ranking[1:]]
    # Texts seen neither in training nor in calibration: most fall back, in-scope ones do not.
    unseen = [
        "帮我规划一下去云南的旅游路线",
        "how do I bake sourdough bread",
        "我家的狗总是叫怎么办",
        "recommend a good novel to read",
    ]
    fallbacks = [demo_model.parse(ParseInput(t)).intent.name == FALLBACK_INTENT for t in unseen]
    assert sum(fallbacks) >= 3
    assert demo_model.parse(ParseInput("我的订单到哪了")).intent.name == "check_order"


def test_a_batch_reads_each_text_like_a_single_parse(demo_model: NluModel) -> None:
    texts = ["转人工", "where is my order SB1003", "我的 order 还没到 😡"]
    batch = demo_model.parse_batch([ParseInput(t) for t in texts])
    assert [r.intent.name for r in batch] == [demo_model.parse(ParseInput(t)).intent.name for t in texts]
    assert [r.language for r in batch] == [Language.LANGUAGE_ZH, Language.LANGUAGE_EN, Language.LANGUAGE_MIXED]
    assert batch[1].entities[0].value == "SB1003"
    assert batch[2].model_version == demo_model.version != ""


def test_versions_are_ordered_and_pruned(trained_store: ModelStore, demo_model: NluModel, tmp_path) -> None:
    store = ModelStore(tmp_path)
    first = store.save("demo", demo_model)
    second = store.save("demo", demo_model)
    assert store.versions("demo") == [first, second] and store.latest("demo") == second
    assert store.load("demo", second).version == second
    assert store.prune("demo", keep=1) == [first]
    assert store.versions("demo") == [second]


def test_incomplete_versions_are_invisible(tmp_path) -> None:
    (tmp_path / "demo" / "20990101T000000000000Z-half").mkdir(parents=True)
    assert ModelStore(tmp_path).latest("demo") is None
    with pytest.raises(ValueError, match="invalid tenant"):
        ModelStore(tmp_path).versions("../etc")
