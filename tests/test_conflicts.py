"""The conflict detector: labelled pairs (precision), and no firing on ordinary answers."""

from __future__ import annotations

import pytest
import yaml

from assistant.answer.conflicts import antonym_pairs, find_conflicts
from assistant.pipeline import Assistant
from assistant.search.embed import SentenceTransformerEmbedder
from tests.conftest import ROOT


def test_antonyms_are_symmetric_and_stemmed() -> None:
    pairs = antonym_pairs()
    assert "develop" in pairs["limit"] and "limit" in pairs["develop"]
    assert "increas" in pairs and "decreas" in pairs["increas"]


def test_unrelated_or_dissimilar_pairs_do_not_fire() -> None:
    same = [[1.0, 0.9], [0.9, 1.0]]
    far = [[1.0, 0.1], [0.1, 1.0]]
    assert find_conflicts(["Prices rose sharply.", "Prices fell sharply."], far) == []
    assert find_conflicts(["Sales rose in May.", "Costs fell in June."], same) == []
    [hit] = find_conflicts(
        ["Oil prices rose sharply today.", "Oil prices fell sharply today."], same
    )
    assert hit.words == ("rose", "fell")


@pytest.mark.slow
def test_precision_on_the_labelled_pairs(real_embedder: SentenceTransformerEmbedder) -> None:
    pairs = yaml.safe_load((ROOT / "evals" / "conflicts.yaml").read_text(encoding="utf-8"))
    tp = fp = fn = 0
    for pair in pairs["pairs"]:
        vectors = real_embedder.encode([pair["a"], pair["b"]])
        cosines = (vectors @ vectors.T).tolist()
        fired = bool(find_conflicts([pair["a"], pair["b"]], cosines))
        tp += fired and pair["conflict"]
        fp += fired and not pair["conflict"]
        fn += (not fired) and pair["conflict"]
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    print(f"conflict detector: precision {precision:.2f}, recall {recall:.2f} ({tp} tp, {fp} fp)")
    assert precision >= 0.8
    assert recall >= 0.5


@pytest.mark.slow
def test_the_seed_conflict_is_flagged_and_ordinary_answers_are_not(
    real_assistant: Assistant,
) -> None:
    answer = real_assistant.ask("What does Netanyahu want Iran to do about its ballistic missiles?")
    quotes = {c.n: c.quote for c in answer.citations}
    pairs = [quotes[c.a] + quotes[c.b] for c in answer.conflicts]
    assert any(
        "limit its ballistic missiles" in pair and "develop ballistic missiles" in pair
        for pair in pairs
    ), pairs
    assert "disagree" in answer.text
    gold = yaml.safe_load((ROOT / "evals" / "gold.yaml").read_text(encoding="utf-8"))
    questions = [c["question"] for c in gold["cases"] if c.get("question")]
    fired = sum(bool(real_assistant.ask(q).conflicts) for q in questions)
    assert fired / len(questions) <= 0.15, f"fired on {fired} of {len(questions)} gold questions"
