"""Confidence: the probability that a candidate sentence answers the question.

    confidence = 1 / (1 + exp(-(bias + sum_i weight_i * feature_i)))

A logistic model (Platt scaling, extended to a few features) over the reader's scores
and generic retrieval and lexical features of one candidate (`FEATURES`, computed in
`compose.candidate_features`). It is fitted by evals/fit_confidence.py on public
questions that the reader never trained on: the tuning half of the SQuAD 2.0-style
validation topics and the HaluEval tuning split; the fit reports its calibration error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FEATURES = (
    "answerable",  # the reader's answerable logit
    "margin",  # best span score minus "no answer" score
    "span_score",
    "dense",  # the passage's cosine to the question
    "reciprocal_rank",  # 1 / (1 + the passage's retrieval rank)
    "passage_overlap",  # IDF share of the question's words in the passage
    "sentence_overlap",  # ... in the span's sentence(s)
    "sentence_cos",  # the best span sentence's cosine to the question
    "missing_names",  # share of the question's names and numbers the passage lacks
    "margin_lead",  # margin minus the best margin of the other passages read
)

_DEFAULT_PATH = Path(__file__).with_name("confidence.json")


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Bias and a weight per feature (a subset of `FEATURES`)."""

    bias: float
    weights: dict[str, float]
    source: str = "hand-set"

    def predict(self, features: dict[str, float]) -> float:
        """Probability (0..1) that the candidate answers the question."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 0.0 if z < -60 else 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> str:
        """JSON with the bias, the weights and where they came from."""
        return json.dumps(
            {"bias": self.bias, "weights": self.weights, "source": self.source}, indent=2
        )


def load_confidence_model(path: Path | None = None) -> ConfidenceModel:
    """Read a fitted model; the packaged one when no path is given."""
    return _load_cached(str(path or _DEFAULT_PATH))


@lru_cache(maxsize=4)
def _load_cached(path: str) -> ConfidenceModel:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return ConfidenceModel(
        bias=float(raw["bias"]),
        weights={k: float(v) for k, v in raw["weights"].items()},
        source=str(raw.get("source", path)),
    )
