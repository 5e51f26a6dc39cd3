"""Milvus vector store: passage and sentence vectors in Milvus collections (pymilvus).

Selected with ``ASSISTANT_VECTOR_STORE=milvus``. ``ASSISTANT_MILVUS_URI`` is a Milvus
server or cluster (``http://milvus:19530``, Zilliz Cloud) or, by default, a local file
(``<index_dir>/milvus.db``) served by Milvus Lite in this process.

Each build writes two collections, ``<prefix>_<tag>_passages`` and
``<prefix>_<tag>_sentences`` (primary key = the build's row id, plus the vector). The
tag is a hash of what determines the rows (corpus fingerprint, model, chunking and the
build the rows were carried over from), so re-running an interrupted `assistant index`
finds its own half-written collections, skips the rows already there and upserts the
rest: no vector is embedded or stored twice. The build's manifest names its
collections; the build becomes live only when both hold every row, and collections of
builds older than the previous live one are dropped.

Text, offsets and the BM25 index stay in the build folder (SQLite + arrays): citations
need exact character offsets into whole documents and the lexical ranking needs corpus
statistics, both small next to the vectors (at one million passages: about 1.5 GB of
passage vectors and 7 GB of sentence vectors against 1 to 2 GB of text). API replicas
therefore hold only a read-only copy of the build folder; every vector is in Milvus.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import IndexCorruptError, VectorStoreUnavailableError
from assistant.search.embed import Vectors

logger = logging.getLogger(__name__)

_WRITE_BATCH = 2000  # rows per upsert (about 3 MB of 384-d vectors: far below gRPC limits)
_READ_BATCH = 1000  # ids per get
_QUERY_WINDOW = 16_384  # Milvus's largest query limit


@dataclass(frozen=True, slots=True)
class MilvusConfig:
    """Where the collections live and how they are indexed."""

    uri: str
    token: str = ""
    prefix: str = "assistant"
    index_type: str = "AUTOINDEX"
    ef_search: int = 96
    nprobe: int = 32

    @property
    def is_lite(self) -> bool:
        """A local file served by Milvus Lite (one process at a time)."""
        return not self.uri.startswith(("http://", "https://", "tcp://", "unix:"))

    def index_params(self) -> dict[str, Any]:
        """Build parameters for the vector index."""
        if self.index_type == "HNSW":
            return {"M": 32, "efConstruction": 80}
        if self.index_type == "IVF_FLAT":
            return {"nlist": 1024}
        return {}

    def search_params(self) -> dict[str, Any]:
        """Query-time parameters for the vector index."""
        if self.index_type == "HNSW":
            return {"params": {"ef": self.ef_search}}
        if self.index_type == "IVF_FLAT":
            return {"params": {"nprobe": self.nprobe}}
        return {}

    def redacted_uri(self) -> str:
        """The URI without credentials (for manifests and logs)."""
        if "@" in self.uri and "://" in self.uri:
            scheme, rest = self.uri.split("://", 1)
            return f"{scheme}://{rest.split('@', 1)[1]}"
        return self.uri


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


class _LiteTimestampNoise(logging.Filter):
    """Milvus Lite's in-process server lacks AllocTimestamp, which pymilvus calls while it
    waits for an index; the client carries on, but grpc logs a server-side traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Method not implemented" not in record.getMessage()


def client_for(config: MilvusConfig) -> Any:
    """One MilvusClient per (uri, token) and process (Milvus Lite allows one per file)."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - installed with the package
        raise VectorStoreUnavailableError(
            "ASSISTANT_VECTOR_STORE=milvus needs pymilvus and milvus-lite: "
            "pip install pymilvus milvus-lite"
        ) from exc
    key = (config.uri, config.token)
    with _clients_lock:
        if key not in _clients:
            if config.is_lite:
                Path(config.uri).parent.mkdir(parents=True, exist_ok=True)
                grpc_log = logging.getLogger("grpc._server")
                if not any(isinstance(f, _LiteTimestampNoise) for f in grpc_log.filters):
                    grpc_log.addFilter(_LiteTimestampNoise())
            try:
                _clients[key] = MilvusClient(uri=config.uri, token=config.token)
            except Exception as exc:
                raise VectorStoreUnavailableError(
                    f"cannot open Milvus at {config.redacted_uri()} ({exc}): check "
                    "ASSISTANT_MILVUS_URI and ASSISTANT_MILVUS_TOKEN, or that the server is up"
                ) from exc
        return _clients[key]


def build_tag(
    *,
    corpus_fingerprint: str,
    model: str,
    dim: int,
    chunking: dict[str, int],
    carried_from: str,
    nonce: str = "",
) -> str:
    """16 hex digits naming a build's collections; equal inputs give equal rows."""
    payload = json.dumps(
        [corpus_fingerprint, model, dim, chunking, carried_from, nonce], sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def collection_names(prefix: str, tag: str) -> tuple[str, str]:
    """(passages, sentences) collection names of one build."""
    return f"{prefix}_{tag}_passages", f"{prefix}_{tag}_sentences"


class MilvusSink:
    """Streams one build's vectors into a collection, creating it on first use."""

    def __init__(self, config: MilvusConfig, name: str, dim: int, rows: int = 0) -> None:
        self.config = config
        self.name = name
        self.dim = dim
        self.rows = rows  # the build's rows are 0..rows-1
        self.client = client_for(config)
        if not self.client.has_collection(name):
            self._create()
        else:  # an interrupted build's collection, released when its process died
            self.client.load_collection(name)

    def _create(self) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        index_params = self.client.prepare_index_params()
        index_params.add_index(
            field_name="vector",
            index_type=self.config.index_type,
            metric_type="IP",
            params=self.config.index_params(),
        )
        self.client.create_collection(
            self.name, schema=schema, index_params=index_params, consistency_level="Strong"
        )
        logger.info("created Milvus collection %s (%s)", self.name, self.config.index_type)

    def stored_rows(self) -> set[int]:
        # id-range queries over the build's rows, not query_iterator: Milvus Lite lacks
        # the timestamp call the iterator starts with and prints a server-side traceback
        rows: set[int] = set()
        for low in range(0, self.rows, _QUERY_WINDOW):
            batch = self.client.query(
                self.name,
                filter=f"id >= {low} and id < {low + _QUERY_WINDOW}",
                output_fields=["id"],
                limit=_QUERY_WINDOW,
            )
            rows.update(int(item["id"]) for item in batch)
        return rows

    def add(self, rows: Sequence[int], vectors: Vectors) -> None:
        for begin in range(0, len(rows), _WRITE_BATCH):
            chunk = rows[begin : begin + _WRITE_BATCH]
            block = np.asarray(vectors[begin : begin + _WRITE_BATCH], dtype=np.float32)
            # upsert, not insert: Milvus does not enforce unique primary keys on insert
            self.client.upsert(
                self.name,
                [{"id": int(r), "vector": v} for r, v in zip(chunk, block, strict=True)],
            )

    def seal(self) -> int:
        """Flush the written rows into sealed, indexed segments and count them.

        Unflushed rows sit in growing segments that every search scans without the
        index: about 1 s a query at 20k vectors on Milvus Lite, against 28 ms sealed."""
        self.client.flush(self.name)
        return count_rows(self.client, self.name)

    def get(self, rows: Sequence[int]) -> Vectors:
        return fetch_vectors(self.client, self.name, self.dim, rows)


def count_rows(client: Any, name: str) -> int:
    """count(*) of a collection."""
    result = client.query(name, filter="", output_fields=["count(*)"])
    return int(result[0]["count(*)"])


class MilvusVectorStore:
    """Read side of one build's collection."""

    def __init__(self, config: MilvusConfig, name: str, dim: int, expected: int) -> None:
        self.config = config
        self.name = name
        self.dim = dim
        self.client = client_for(config)
        fix = "rebuild it with `assistant index --force`"
        if not self.client.has_collection(name):
            raise IndexCorruptError(
                f"the Milvus collection {name} named by the index is missing at "
                f"{config.redacted_uri()}: {fix}"
            )
        self.client.load_collection(name)
        self._count = count_rows(self.client, name)
        if self._count != expected:
            raise IndexCorruptError(
                f"the Milvus collection {name} holds {self._count} vectors, the manifest "
                f"says {expected}: {fix}"
            )

    @property
    def kind(self) -> str:
        return "milvus"

    def __len__(self) -> int:
        return self._count

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        k = min(k, self._count)
        if k <= 0:
            return []
        result = self.client.search(
            self.name,
            data=[np.asarray(query, dtype=np.float32).reshape(-1).tolist()],
            limit=k,
            output_fields=["id"],
            search_params=self.config.search_params(),
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in result[0]]

    def get(self, rows: Sequence[int]) -> Vectors:
        return fetch_vectors(self.client, self.name, self.dim, rows)


def fetch_vectors(client: Any, name: str, dim: int, rows: Sequence[int]) -> Vectors:
    """The vectors of `rows` from a collection, in the order asked."""
    out = np.zeros((len(rows), dim), dtype=np.float32)
    wanted = [int(r) for r in rows]
    found: dict[int, Any] = {}
    unique = list(dict.fromkeys(wanted))
    for begin in range(0, len(unique), _READ_BATCH):
        ids = unique[begin : begin + _READ_BATCH]
        for item in client.get(name, ids=ids, output_fields=["vector"]):
            found[int(item["id"])] = item["vector"]
    missing = [r for r in unique if r not in found]
    if missing:
        raise IndexCorruptError(
            f"the Milvus collection {name} lacks rows {missing[:5]}: "
            "rebuild it with `assistant index --force`"
        )
    for i, row in enumerate(wanted):
        out[i] = found[row]
    return out


def drop_collections(config: MilvusConfig, keep: set[str]) -> list[str]:
    """Drop this prefix's build collections except `keep`; returns the dropped names."""
    client = client_for(config)
    dropped = []
    for name in client.list_collections():
        ours = name.startswith(config.prefix + "_") and name.endswith(("_passages", "_sentences"))
        if ours and name not in keep:
            client.drop_collection(name)
            dropped.append(name)
    if dropped:
        logger.info("dropped old Milvus collections: %s", ", ".join(sorted(dropped)))
    return dropped
