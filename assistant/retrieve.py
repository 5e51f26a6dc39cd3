"""Retrieve: dense (FAISS) and lexical (BM25) rankings of passages, fused by weighted RRF.

Weighted reciprocal-rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009):
    score(p) = (1 - w) / (k + rank_dense(p)) + w / (k + rank_bm25(p))
with ranks from 1; a passage missing from one ranking gets nothing from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.embed import Vectors
from assistant.lexical import tokenize
from assistant.records import Hit
from assistant.store import IndexData


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    """How many passages to return and how to fuse the two rankings."""

    top_k: int = 8
    lexical_weight: float = 0.5
    rrf_k: int = 60
    candidates: int = 50  # depth of each ranking before fusion
    near_duplicate_jaccard: float = 0.8


def dense_ranking(data: IndexData, query_vector: Vectors, depth: int) -> list[tuple[int, float]]:
    """(row, cosine) of the `depth` nearest passages, best first."""
    return data.passage_store.search(query_vector, depth)


def lexical_ranking(data: IndexData, question: str, depth: int) -> list[tuple[int, float]]:
    """(row, BM25 score) of the `depth` best passages with a positive score, best first."""
    scores = data.lexical.scores(question)
    if not len(scores) or float(scores.max()) <= 0:
        return []
    depth = min(depth, len(scores))
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(r), float(scores[r])) for r in top if scores[r] > 0]


def fuse(
    dense: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    lexical_weight: float,
    rrf_k: int,
) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion of two rankings; ties keep dense order."""
    fused: dict[int, float] = {}
    for rank, (row, _) in enumerate(dense, start=1):
        fused[row] = fused.get(row, 0.0) + (1.0 - lexical_weight) / (rrf_k + rank)
    for rank, (row, _) in enumerate(lexical, start=1):
        fused[row] = fused.get(row, 0.0) + lexical_weight / (rrf_k + rank)
    order = {row: i for i, (row, _) in enumerate(dense)}
    return sorted(fused.items(), key=lambda item: (-item[1], order.get(item[0], len(order))))


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _add_cosines(
    data: IndexData, cosines: dict[int, float], rows: Sequence[int], query_vector: Vectors
) -> None:
    missing = [r for r in rows if r not in cosines]
    if missing:
        scores = data.passage_store.get(missing) @ query_vector.reshape(-1)
        cosines.update(zip(missing, (float(s) for s in scores), strict=True))


def retrieve(
    data: IndexData, question: str, query_vector: Vectors, config: RetrievalConfig
) -> list[Hit]:
    """The top-k passages for a question, near-duplicates removed."""
    depth = max(config.candidates, config.top_k * 4)
    dense = dense_ranking(data, query_vector, depth)
    lexical = lexical_ranking(data, question, depth) if config.lexical_weight > 0 else []
    dense_by_row = dict(dense)
    lexical_by_row = dict(lexical)
    dense_rank = {row: i for i, (row, _) in enumerate(dense, start=1)}
    lexical_rank = {row: i for i, (row, _) in enumerate(lexical, start=1)}
    hits: list[Hit] = []
    kept_tokens: list[set[str]] = []
    fused = fuse(dense, lexical, config.lexical_weight, config.rrf_k)
    # passages only BM25 found get a cosine too; fetched in one call (one round trip to
    # a remote store) for the rows likely to be kept
    _add_cosines(data, dense_by_row, [r for r, _ in fused[: config.top_k * 3]], query_vector)
    for row, score in fused:
        passage = data.passages[row]
        tokens = set(tokenize([passage.text])[0])
        if any(_jaccard(tokens, seen) >= config.near_duplicate_jaccard for seen in kept_tokens):
            continue
        _add_cosines(data, dense_by_row, [row], query_vector)
        hits.append(
            Hit(
                passage=passage,
                score=score,
                dense_score=dense_by_row[row],
                lexical_score=lexical_by_row.get(row, 0.0),
                dense_rank=dense_rank.get(row),
                lexical_rank=lexical_rank.get(row),
            )
        )
        kept_tokens.append(tokens)
        if len(hits) >= config.top_k:
            break
    return hits
