"""The VectorStore contract, for every implementation: search agrees with a brute-force
scan, get returns exactly the stored vectors in the order asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.search.milvus import MilvusConfig, MilvusSink, MilvusVectorStore
from assistant.search.vectors import (
    HNSW_EF_SEARCH,
    HNSW_EF_SEARCH_WIDE,
    HNSW_WIDE_FROM,
    ArraySink,
    ArrayVectorStore,
    FaissVectorStore,
    build_faiss_index,
    default_ef_search,
)


def _clustered(n: int = 600, dim: int = 32) -> np.ndarray:
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((12, dim))
    vectors = centres[rng.integers(0, 12, n)] + 0.35 * rng.standard_normal((n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _faiss(vectors: np.ndarray, _: Path) -> object:
    return FaissVectorStore(build_faiss_index(vectors))


def _array(vectors: np.ndarray, _: Path) -> object:
    return ArrayVectorStore(vectors)


def _milvus(vectors: np.ndarray, tmp: Path) -> object:
    config = MilvusConfig(uri=str(tmp / "v.db"), index_type="FLAT")
    sink = MilvusSink(config, "contract_test", vectors.shape[1])
    order = np.random.default_rng(3).permutation(len(vectors))  # written out of order
    sink.add([int(i) for i in order], vectors[order])
    sink.add([0, 1], vectors[:2])  # written twice: still one row each
    return MilvusVectorStore(config, "contract_test", vectors.shape[1], len(vectors))


STORES: dict[str, Callable[[np.ndarray, Path], object]] = {
    "faiss": _faiss,
    "array": _array,
    "milvus": _milvus,
}


@pytest.mark.parametrize("kind", list(STORES))
def test_store_contract(kind: str, tmp_path: Path) -> None:
    vectors = _clustered()
    store = STORES[kind](vectors, tmp_path)
    assert len(store) == len(vectors)  # type: ignore[arg-type]
    queries = vectors[:15] + 0.05 * np.random.default_rng(5).standard_normal((15, 32))
    for query in queries.astype(np.float32):
        found = store.search(query, 10)  # type: ignore[attr-defined]
        brute = vectors @ query
        expected = np.argsort(-brute, kind="stable")[:10]
        assert [r for r, _ in found] == list(expected)
        np.testing.assert_allclose([s for _, s in found], brute[expected], atol=1e-4)
    rows = [599, 3, 3, 250, 0]
    np.testing.assert_allclose(store.get(rows), vectors[rows], atol=1e-6)  # type: ignore[attr-defined]
    assert store.search(queries[0], 0) == []  # type: ignore[attr-defined]
    assert len(store.search(queries[0], 5000)) == len(vectors)  # type: ignore[attr-defined]


def test_array_sink_tracks_rows() -> None:
    sink = ArraySink(4, 3)
    sink.add([2, 0], np.ones((2, 3), dtype=np.float32))
    assert sink.stored_rows() == {0, 2} and not sink.complete()
    sink.add([1, 3], np.zeros((2, 3), dtype=np.float32))
    assert sink.complete()


def test_request_cache_fetches_each_row_once() -> None:
    from assistant.search.vectors import RequestCache

    vectors = _clustered(50)

    fetched: list[int] = []

    class Counting(ArrayVectorStore):
        def get(self, rows):  # type: ignore[no-untyped-def]
            fetched.extend(rows)
            return super().get(rows)

    inner = Counting(vectors)
    cache = RequestCache(inner)
    np.testing.assert_array_equal(cache.get([4, 9, 4]), vectors[[4, 9, 4]])
    np.testing.assert_array_equal(cache.get([9, 30]), vectors[[9, 30]])
    assert sorted(fetched) == [4, 9, 30]
    assert cache.get([]).shape == (0, 32)


def test_hnsw_searches_wider_on_large_indexes() -> None:
    vectors = _clustered()
    index = build_faiss_index(vectors, hnsw_min_vectors=0)
    assert index.hnsw.efSearch == default_ef_search(len(vectors)) == HNSW_EF_SEARCH
    assert default_ef_search(HNSW_WIDE_FROM - 1) == HNSW_EF_SEARCH
    assert default_ef_search(1_000_000) == HNSW_EF_SEARCH_WIDE > HNSW_EF_SEARCH
    # on a small index HNSW finds the exact neighbours
    store = FaissVectorStore(index)
    query = vectors[7] + 0.05 * np.random.default_rng(2).standard_normal(32).astype(np.float32)
    expected = np.argsort(-(vectors @ query), kind="stable")[:10]
    assert [r for r, _ in store.search(query, 10)] == list(expected)
