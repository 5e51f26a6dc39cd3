"""Confidence: a logistic model over retrieval and lexical features of an answer.

    confidence = 1 / (1 + exp(-(bias + sum_i weight_i * feature_i)))

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
)

_DEFAULT_PATH = Path(__file__).with_name("confidence.json")


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Bias and one weight per feature, in the order of `FEATURES`."""

    bias: float
    weights: dict[str, float]
    source: str = "hand-set"

    def predict(self, features: dict[str, float]) -> float:
        """Probability (0..1) that the composed answer answers the question."""
        z = self.bias + sum(self.weights.get(name, 0.0) * features[name] for name in FEATURES)
        if z < -60:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

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
