"""Confidence: a logistic model over retrieval and lexical features of an answer.

    confidence = (1 - missing_name_frac) / (1 + exp(-(bias + sum_i weight_i * feature_i)))

where missing_name_frac is the share of the question's names that no passage mentions.

The weights live in `confidence.json` beside this module; `evals/fit_confidence.py`
refits them with scikit-learn on answerable vs unanswerable questions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FEATURES = (
    "top_sentence_cos",
    "top_passage_cos",
    "best_overlap",
    "union_overlap",
    "missing_name_frac",
    "missing_word_frac",
    "answer_type_cue",
    "name_coverage",
    "top_name_coverage",
    "doc_overlap",
    "doc_name_coverage",
)

_DEFAULT_PATH = Path(__file__).with_name("confidence.json")


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Bias and a weight per feature (a subset of `FEATURES`)."""

    bias: float
    weights: dict[str, float]
    source: str = "hand-set"

    def predict(self, features: dict[str, float]) -> float:
        """Probability (0..1) that the composed answer answers the question."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        probability = 0.0 if z < -60 else 1.0 / (1.0 + math.exp(-z))
        # A question about something the corpus never names cannot be answered from it:
        # scale by the share of the question's names that the corpus mentions.
        return probability * (1.0 - features.get("missing_name_frac", 0.0))

    def to_json(self) -> str:
        """JSON with the bias, the weights and where they came from."""
        payload = {"bias": self.bias, "weights": self.weights, "source": self.source}
        return json.dumps(payload, indent=2)


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
