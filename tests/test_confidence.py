"""The confidence model: logistic score, name gate, and the note an answer carries when
the question names something no passage mentions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.confidence import ConfidenceModel, load_confidence_model
from tests.conftest import corpus_assistant

_HALF = ConfidenceModel(bias=0.0, weights={"best_overlap": 2.0})  # 0.5 at overlap 0


def test_the_score_is_logistic_in_the_weighted_features() -> None:
    assert _HALF.predict({"best_overlap": 0.0}) == pytest.approx(0.5)
    assert _HALF.predict({"best_overlap": 1.0}) == pytest.approx(1 / (1 + math.exp(-2)))


def test_a_model_without_a_gate_scales_by_the_share_of_names_the_corpus_mentions() -> None:
    assert _HALF.predict({"best_overlap": 0.0, "missing_name_frac": 0.5}) == pytest.approx(0.25)


@pytest.mark.parametrize(("matched", "expected"), [(0.0, 0.0), (2.0, 0.0), (3.0, 0.5), (9.0, 0.5)])
def test_the_name_gate_opens_only_for_enough_of_the_other_question_words(
    matched: float, expected: float
) -> None:
    gated = ConfidenceModel(bias=0.0, weights={"best_overlap": 2.0}, name_gate_matched=3)
    features = {"best_overlap": 0.0, "missing_name_frac": 0.5, "known_matched": matched}
    assert gated.predict(features) == pytest.approx(expected)
    # every name found: the gate plays no part
    assert gated.predict({**features, "missing_name_frac": 0.0}) == pytest.approx(0.5)


def test_a_weight_for_missing_names_replaces_the_gate() -> None:
    weighted = ConfidenceModel(bias=0.0, weights={"missing_name_frac": -2.0})
    assert weighted.predict({"missing_name_frac": 1.0}) == pytest.approx(1 / (1 + math.exp(2)))


def test_the_gate_survives_a_round_trip_through_json(tmp_path: Path) -> None:
    gated = ConfidenceModel(bias=-1.5, weights={"doc_overlap": 3.0}, name_gate_matched=4)
    path = tmp_path / "model.json"
    path.write_text(gated.to_json(), encoding="utf-8")
    assert load_confidence_model(path) == ConfidenceModel(
        bias=-1.5, weights={"doc_overlap": 3.0}, source=gated.source, name_gate_matched=4
    )


def test_the_shipped_model_is_gated_and_weighs_what_the_pipeline_computes() -> None:
    from assistant.confidence import FEATURES

    model = load_confidence_model()
    assert model.name_gate_matched is not None and model.name_gate_matched >= 1
    assert set(model.weights) <= set(FEATURES)


_FILM = {
    "films.txt": "Films.\n\nFifty Dead Men Walking is a 2008 crime thriller film written and "
    "directed by Kari Skogland. It was shot in Belfast."
}


def test_an_answer_that_rests_on_the_rest_of_the_question_names_what_it_could_not_check(
    tmp_path: Path,
) -> None:
    bot = corpus_assistant(tmp_path, _FILM)
    bot.confidence_model = ConfidenceModel(bias=0.0, weights={}, name_gate_matched=3)
    answer = bot.ask(
        "Kevin Zegers starred in the 2008 crime thriller written and directed by whom?"
    )
    assert answer.answered
    assert "Kari Skogland" in " ".join(c.quote for c in answer.citations)
    assert "No passage mentions “Zegers”" in answer.text  # "Kevin" opens the question
    # a short question about the absent name: too little of the rest to go on
    short = bot.ask("When did Zegers meet Skogland?")
    assert not short.answered and "Zegers" in (short.reason or "")
    # a question whose names are all in the corpus carries no such note
    plain = bot.ask("Who directed the 2008 crime thriller Fifty Dead Men Walking?")
    assert plain.answered and "No passage mentions" not in plain.text
