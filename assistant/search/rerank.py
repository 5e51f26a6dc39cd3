"""Rerank: optional cross-encoder reordering of the retrieved passages.

Off by default (no cross-encoder ships offline); set ASSISTANT_RERANKER to a local
folder saved by sentence-transformers' `CrossEncoder.save`. `Reranker` is the protocol.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from assistant.errors import InvalidInputError
from assistant.records import Hit


class Reranker(Protocol):
    """Scores (question, passage) pairs; higher is more relevant."""

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        """One score per passage."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder."""

    def __init__(self, path: Path, batch_size: int = 32) -> None:
        if not Path(path).is_dir():
            raise InvalidInputError(
                f"reranker folder {path} does not exist: set ASSISTANT_RERANKER to a folder "
                "saved with CrossEncoder.save(), or unset it"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        self._model: Any = CrossEncoder(str(path), device="cpu")
        self._batch_size = batch_size

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        scores = self._model.predict(
            [(question, p) for p in passages], batch_size=self._batch_size, show_progress_bar=False
        )
        return [float(s) for s in scores]


def rerank(question: str, hits: Sequence[Hit], reranker: Reranker) -> list[Hit]:
    """Hits reordered by the reranker's score (stable for ties); `score` holds it."""
    scores = reranker.score(question, [h.passage.text for h in hits])
    order = sorted(range(len(hits)), key=lambda i: -scores[i])
    return [replace(hits[i], score=scores[i]) for i in order]
