"""The tenant's out-of-scope texts train a reject class: it makes texts like them fall back, never shows
in a ranking as an intent, and stays out when there are too few texts to hold some out in every fold."""

from switchboard.nlu.model import FALLBACK_INTENT, NluModel, ParseInput, TrainOptions
from switchboard.nlu.trainingdata import Example, TrainingData

ORDERS = ["where is my order", "has my parcel shipped", "track my package", "my order has not arrived", "订单到哪了"]
ORDERS += ["查一下我的快递", "我的包裹到哪了", "物流怎么还没更新"]
RETURNS = ["I want to return this", "please start a return", "return my kettle", "send this back please", "我要退货"]
RETURNS += ["帮我退掉这个", "我想退货", "这个退了吧"]
OUT_OF_SCOPE = ["write me a poem", "what's the weather in Paris", "how do I cook rice", "who won the match"]
OUT_OF_SCOPE += ["帮我写首诗", "今天天气怎么样", "米饭怎么煮", "谁赢了比赛"]


def _data() -> TrainingData:
    examples = [Example(text, "check_order") for text in ORDERS] + [Example(text, "return_item") for text in RETURNS]
    return TrainingData(examples=examples)


def test_out_of_scope_texts_train_a_reject_class_that_leads_with_the_fallback() -> None:
    model = NluModel.train(_data(), out_of_scope=OUT_OF_SCOPE, options=TrainOptions(encoder="none"))
    assert FALLBACK_INTENT in model.classifier.intents
    assert model.intents == ["check_order", "return_item"]
    reading = model.parse(ParseInput("what's the weather in Berlin"))
    assert reading.intent.name == FALLBACK_INTENT
    assert reading.intent.confidence >= model.calibration.threshold
    assert sorted(s.name for s in reading.intent_ranking[1:]) == ["check_order", "return_item"]
    assert model.calibration.out_of_scope_rejected > 0.5
    assert model.parse(ParseInput("where is my parcel")).intent.name == "check_order"


def test_without_enough_out_of_scope_texts_no_reject_class_is_trained() -> None:
    few = NluModel.train(_data(), out_of_scope=OUT_OF_SCOPE[:3], options=TrainOptions(encoder="none"))
    assert FALLBACK_INTENT not in few.classifier.intents
    off = NluModel.train(_data(), out_of_scope=OUT_OF_SCOPE, options=TrainOptions(encoder="none", reject_class=False))
    assert off.intents == off.classifier.intents == ["check_order", "return_item"]
