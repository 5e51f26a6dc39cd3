"""The calibrated confidence model: a logistic over the candidate features."""

from __future__ import annotations

import math
from pathlib import Path

from assistant.answer.confidence import FEATURES, ConfidenceModel, load_confidence_model


def test_predict_is_the_logistic_of_the_weighted_sum() -> None:
    model = ConfidenceModel(bias=-1.0, weights={"margin": 0.5, "dense": 2.0})
    z = -1.0 + 0.5 * 3.0 + 2.0 * 0.25
    assert math.isclose(model.predict({"margin": 3.0, "dense": 0.25}), 1 / (1 + math.exp(-z)))
    assert model.predict({"margin": -500.0}) == 0.0  # no overflow far below
    assert model.predict({}) < 0.5  # a missing feature counts as 0


def test_a_model_survives_a_round_trip_through_json(tmp_path: Path) -> None:
    model = ConfidenceModel(bias=0.3, weights={"margin": 1.5}, source="test")
    path = tmp_path / "model.json"
    path.write_text(model.to_json(), encoding="utf-8")
    assert load_confidence_model(path) == model


def test_the_shipped_model_weighs_what_the_pipeline_computes() -> None:
    model = load_confidence_model()
    assert set(model.weights) <= set(FEATURES)
    assert "fit_confidence" in model.source
    # the reader's evidence must push towards answering
    assert model.weights["margin"] > 0 or model.weights["answerable"] > 0
