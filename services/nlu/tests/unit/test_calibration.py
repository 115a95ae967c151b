"""The fallback threshold: chosen on held-out confidences, weighted by how common out-of-scope text is."""

import numpy as np

from switchboard.nlu.calibration import choose_threshold
from switchboard.nlu.intents import fit_temperature, softmax


def test_threshold_separates_in_scope_from_out_of_scope() -> None:
    confidence = np.array([0.9, 0.85, 0.8, 0.95, 0.3])
    correct = np.array([True, True, True, True, False])
    out_of_scope = np.array([0.2, 0.35, 0.4])
    chosen = choose_threshold(confidence, correct, out_of_scope)
    assert 0.4 < chosen.threshold <= 0.8
    assert chosen.held_out_accuracy == 0.8 and chosen.out_of_scope_rejected == 1.0


def test_without_out_of_scope_texts_wrong_answers_stand_in() -> None:
    chosen = choose_threshold(np.array([0.9, 0.2]), np.array([True, False]), np.array([]))
    assert 0.2 < chosen.threshold <= 0.9


def test_temperature_fits_sharper_for_confident_right_answers() -> None:
    margins = np.array([[1.0, -1.0], [-1.0, 1.0]] * 10)
    labels = np.array(["a", "b"] * 10)
    assert fit_temperature(margins, labels, ["a", "b"]) > 10
    assert np.allclose(softmax(margins, 1.0).sum(axis=1), 1.0)
