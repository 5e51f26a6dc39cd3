"""Confidence: a logistic model over retrieval and lexical features of an answer.

    confidence = gate / (1 + exp(-(bias + sum_i weight_i * feature_i)))

The gate is about names (capitalised words, numbers) of the question that no passage
mentions (missing_name_frac > 0). With `name_gate_matched` = K (the models since
session 10), gate = 1 when the cited sentences hold at least K of the question's other
words (`known_matched`) and 0 otherwise: "Kevin Zegers starred in the 2008 crime
thriller written and directed by whom?" over a passage that holds every word but the
name is answered (and the answer says which name it could not check), "When will
Netanyahu meet Biden?" is not. Without it (older models), gate = 1 - missing_name_frac.
A model with a weight for missing_name_frac has no gate.
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
    "known_overlap",
    "doc_known_overlap",
    "known_matched",
)

_DEFAULT_PATH = Path(__file__).with_name("confidence.json")


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Bias and a weight per feature (a subset of `FEATURES`)."""

    bias: float
    weights: dict[str, float]
    source: str = "hand-set"
    name_gate_matched: int | None = None

    def predict(self, features: dict[str, float]) -> float:
        """Probability (0..1) that the composed answer answers the question."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        probability = 0.0 if z < -60 else 1.0 / (1.0 + math.exp(-z))
        missing = features.get("missing_name_frac", 0.0)
        if "missing_name_frac" in self.weights or not missing:
            return probability
        if self.name_gate_matched is None:
            return probability * (1.0 - missing)
        matched = features.get("known_matched", 0.0)
        return probability if matched >= self.name_gate_matched else 0.0

    def to_json(self) -> str:
        """JSON with the bias, the weights and where they came from."""
        payload: dict[str, object] = {"bias": self.bias, "weights": self.weights}
        if self.name_gate_matched is not None:
            payload["name_gate_matched"] = self.name_gate_matched
        payload["source"] = self.source
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
        name_gate_matched=(
            int(raw["name_gate_matched"]) if raw.get("name_gate_matched") is not None else None
        ),
    )
