"""Vector stores: where passage and sentence vectors live, behind one small interface.

Two implementations of `VectorStore`:

* the embedded FAISS store (the default): passage vectors in a FAISS index file
  (exact below `HNSW_MIN_VECTORS`, HNSW above), sentence vectors in a NumPy array,
  both loaded into the serving process;
* the Milvus store (`assistant.search.milvus`, `ASSISTANT_VECTOR_STORE=milvus`): both kinds of
  vectors in Milvus collections, so a corpus can outgrow one machine's memory.

Rows are the build's passage (or sentence) ids, 0..n-1. A build writes its vectors
through a `VectorSink`, which also says which rows are already stored, so an
interrupted build into a persistent store can resume without embedding them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from assistant.search.embed import Vectors

# Below this many passages an exact scan is fast enough (about 7 ms at 50k 384-d vectors
# on 2 cores); above it, HNSW (M=32) answers in well under a millisecond with recall@10
# near 1 (benchmarks/vector_scale.py measures both).
HNSW_MIN_VECTORS = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
# From this many vectors HNSW searches wider: at 1M clustered vectors efSearch 96 finds
# 0.832 of the exact top 10 (0.42 ms), 384 finds 0.969 (0.91 ms), 768 0.994 (2.2 ms);
# at 100k, 96 already finds 1.000 (benchmarks/vector_scale.py --ef).
HNSW_WIDE_FROM = 250_000
HNSW_EF_SEARCH_WIDE = 384


def default_ef_search(vectors: int) -> int:
    """HNSW search breadth for an index of `vectors` vectors (ASSISTANT_HNSW_EF_SEARCH
    overrides it)."""
    return HNSW_EF_SEARCH_WIDE if vectors >= HNSW_WIDE_FROM else HNSW_EF_SEARCH


class VectorStore(Protocol):
    """Read side: nearest rows to a query, and the stored vectors of given rows."""

    @property
    def kind(self) -> str:
        """'flat', 'hnsw', 'array' or 'milvus' (shown by /healthz)."""
        ...

    def __len__(self) -> int: ...

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """(row, inner product) of the `k` nearest rows, best first."""
        ...

    def get(self, rows: Sequence[int]) -> Vectors:
        """The vectors of `rows`, in that order (shape len(rows) x dim)."""
        ...


class VectorSink(Protocol):
    """Write side of one build's vectors."""

    def stored_rows(self) -> set[int]:
        """Rows already written (by an earlier, interrupted run of the same build)."""
        ...

    def add(self, rows: Sequence[int], vectors: Vectors) -> None:
        """Store `vectors[i]` as row `rows[i]`; writing a row twice keeps one copy."""
        ...

    def get(self, rows: Sequence[int]) -> Vectors:
        """Vectors already written, in the order asked."""
        ...


def build_faiss_index(vectors: Vectors, hnsw_min_vectors: int = HNSW_MIN_VECTORS) -> Any:
    """Inner-product index over normalised vectors (= cosine similarity): exact for small
    corpora, HNSW from `hnsw_min_vectors` vectors on."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) >= hnsw_min_vectors:
        index: Any = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = default_ef_search(len(vectors))
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def index_kind(index: Any) -> str:
    """'flat' or 'hnsw' for a FAISS index."""
    return "hnsw" if hasattr(index, "hnsw") else "flat"


class FaissVectorStore:
    """Vectors in a FAISS index held in this process."""

    def __init__(self, index: Any) -> None:
        self.index = index

    @property
    def kind(self) -> str:
        return index_kind(self.index)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        scores, rows = self.index.search(
            np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1), k
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def get(self, rows: Sequence[int]) -> Vectors:
        if not len(rows):
            return np.zeros((0, self.index.d), dtype=np.float32)
        wanted = np.asarray(rows, dtype=np.int64)
        return np.asarray(self.index.reconstruct_batch(wanted), dtype=np.float32)


class ArrayVectorStore:
    """Vectors in a NumPy array (sentence vectors; exact search when asked)."""

    def __init__(self, vectors: Vectors) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32)

    @property
    def kind(self) -> str:
        return "array"

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        scores = self.vectors @ np.asarray(query, dtype=np.float32).reshape(-1)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top]

    def get(self, rows: Sequence[int]) -> Vectors:
        return self.vectors[np.asarray(rows, dtype=np.int64)]


class RequestCache:
    """Remembers the vectors fetched from a remote store during one request, so the
    answer step's several look-ups of the same sentences cost one round trip."""

    def __init__(self, inner: VectorStore) -> None:
        self.inner = inner
        self._seen: dict[int, Vectors] = {}

    @property
    def kind(self) -> str:
        return self.inner.kind

    def __len__(self) -> int:
        return len(self.inner)

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        return self.inner.search(query, k)

    def get(self, rows: Sequence[int]) -> Vectors:
        missing = list(dict.fromkeys(int(r) for r in rows if int(r) not in self._seen))
        if missing:
            self._seen.update(zip(missing, self.inner.get(missing), strict=True))
        if not len(rows):
            return self.inner.get([])
        return np.stack([self._seen[int(r)] for r in rows])


class ArraySink:
    """Collects a build's vectors in memory (for the FAISS store, written at the end)."""

    def __init__(self, count: int, dim: int) -> None:
        self.vectors = np.zeros((count, dim), dtype=np.float32)
        self._written = np.zeros(count, dtype=bool)

    def stored_rows(self) -> set[int]:
        return {int(r) for r in np.flatnonzero(self._written)}

    def add(self, rows: Sequence[int], vectors: Vectors) -> None:
        index = np.asarray(rows, dtype=np.int64)
        self.vectors[index] = vectors
        self._written[index] = True

    def get(self, rows: Sequence[int]) -> Vectors:
        return self.vectors[np.asarray(rows, dtype=np.int64)]

    def complete(self) -> bool:
        """Whether every row was written."""
        return bool(self._written.all())
