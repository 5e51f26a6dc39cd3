"""Index on Ray Data: reading, chunking and embedding a build as Ray Data pipelines
(`assistant index --engine ray`, `ASSISTANT_INDEX_ENGINE=ray`; `pip install '.[ray]'`).

The driver lists the corpus files, gathers what the workers return and writes the
index exactly as the local engine does (`indexing.update_index`: incremental reuse,
atomic switch, FAISS or Milvus); only the three expensive stages move to the cluster:

- read: one task a batch of files runs `ingest.read_documents` (so a file reads the
  same here and there); the driver keeps file order and the first document of an id;
- chunk: `chunk.layout` (sentence spans, passage groups) a document at a time; the
  driver numbers the records with `chunk.assemble` in document order, as
  `chunk.chunk_documents` does, so passage and sentence ids equal the local engine's;
- embed: `map_batches` with the embedder as a stateful actor class (the model loads
  once per actor), on `ray_cpus_per_actor` CPUs or `ray_gpus_per_actor` GPUs, texts
  sorted by length so a batch carries little padding.

Workers import this package, so every node needs it installed (docs/ray.md); the
driver's corpus paths must be readable on the nodes (a shared or object-store mount).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.corpus.chunk import ChunkedCorpus, Layout, assemble, layout
from assistant.corpus.ingest import IngestReport, corpus_files, gather_documents, read_documents
from assistant.errors import EngineUnavailableError
from assistant.records import Document
from assistant.search.embed import SentenceTransformerEmbedder, Span, Vectors
from assistant.settings import Settings

logger = logging.getLogger(__name__)

DOCUMENT_FIELDS = ("doc_id", "title", "text", "published", "source_path")


@dataclass(frozen=True)
class RayOptions:
    """Where and how the embedding actors run."""

    address: str | None = None
    actors: int | None = None
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0

    @classmethod
    def of(cls, settings: Settings) -> RayOptions:
        return cls(
            settings.ray_address,
            settings.ray_actors,
            settings.ray_cpus_per_actor,
            settings.ray_gpus_per_actor,
        )


def start_ray(address: str | None) -> Any:
    """The `ray` module, connected: to `address`, or a Ray started in this process."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise EngineUnavailableError(
            "the Ray engine needs Ray Data: pip install '.[ray]' (or 'ray[data]'), "
            "or index with the default engine (ASSISTANT_INDEX_ENGINE=local)"
        ) from exc
    if not ray.is_initialized():
        if address:
            _reachable(address)
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # no C++ warnings on stderr
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise EngineUnavailableError(
                f"cannot join the Ray cluster at {address!r}: {exc}. Check "
                "ASSISTANT_RAY_ADDRESS (--ray-address), or leave it unset to start Ray here"
                if address
                else f"cannot start Ray here: {exc}"
            ) from exc
        logger.info("Ray: %s", ray.cluster_resources())
    return ray


def _reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds, not minutes, when a cluster address (host:port or
    ray://host:port) does not answer: Ray itself retries for about a minute and more."""
    import socket

    if address == "auto" or address.startswith("local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise EngineUnavailableError(
            f"ASSISTANT_RAY_ADDRESS (--ray-address) {address!r} is not host:port, "
            "ray://host:port or auto"
        )
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise EngineUnavailableError(
            f"cannot join the Ray cluster at {address!r}: {exc}. Check "
            "ASSISTANT_RAY_ADDRESS (--ray-address), or leave it unset to start Ray here"
        ) from None


def read_corpus(
    paths: Sequence[Path],
    include: Sequence[str],
    exclude: Sequence[str],
    max_file_bytes: int,
    report: IngestReport,
    ray: Any,
) -> list[Document]:
    """`ingest.load_corpus` with the files read by Ray tasks."""
    files = corpus_files(list(paths), include, exclude, report)
    rows = [
        {"file": i, "path": str(p), "root": str(root), "prefix": prefix}
        for i, (p, root, prefix) in enumerate(files)
    ]
    returned: list[tuple[int, int, dict[str, Any]]] = []
    if rows:
        done = ray.data.from_items(rows).map_batches(
            _read_batch, batch_size=16, fn_kwargs={"max_file_bytes": max_file_bytes}
        )
        returned = [(int(r["file"]), int(r["item"]), r) for r in done.iter_rows()]
    returned.sort(key=lambda x: x[:2])  # file order, then the file's own order
    per_file: list[tuple[list[Document], list[tuple[str, str]]]] = [([], []) for _ in files]
    for file, _, row in returned:
        found, skipped = per_file[file]
        if row["doc_id"]:
            found.append(
                Document(
                    doc_id=row["doc_id"],
                    title=row["title"],
                    text=row["text"],
                    published=row["published"] or None,
                    source_path=row["source_path"] or None,
                )
            )
        else:
            skipped.append((row["source_path"], row["text"]))
    return gather_documents(per_file, report, paths)


def _read_batch(batch: dict[str, Any], max_file_bytes: int) -> dict[str, list[Any]]:
    """Ray task: each file's documents (one row each, in order) and skips (doc_id "")."""
    out: dict[str, list[Any]] = {k: [] for k in ("file", "item", *DOCUMENT_FIELDS)}
    for file, path, root, prefix in zip(
        batch["file"], batch["path"], batch["root"], batch["prefix"], strict=True
    ):
        found, skipped = read_documents(Path(path), Path(root), str(prefix), max_file_bytes)
        items = [(d.doc_id, d.title, d.text, d.published or "", d.source_path or "") for d in found]
        items += [("", "", why, "", where) for where, why in skipped]
        for item, values in enumerate(items):
            out["file"].append(int(file))
            out["item"].append(item)
            for name, value in zip(DOCUMENT_FIELDS, values, strict=True):
                out[name].append(value)
    return out


def chunk_corpus(
    documents: Sequence[Document], max_chars: int, overlap: int, ray: Any
) -> ChunkedCorpus:
    """`chunk.chunk_documents` with each document's layout made by a Ray task and the
    records numbered here by `chunk.assemble`, as the local engine numbers them."""
    if not documents:
        return ChunkedCorpus(sentences=[], passages=[])
    rows = [{"i": i, "text": d.text} for i, d in enumerate(documents)]
    done = ray.data.from_items(rows).map_batches(
        _chunk_batch, batch_size=64, fn_kwargs={"max_chars": max_chars, "overlap": overlap}
    )
    layouts: dict[int, Layout] = {
        int(row["i"]): (
            [(int(x), int(y)) for x, y in row["sentences"]],
            [(int(x), int(y)) for x, y in row["passages"]],
        )
        for row in done.iter_rows()
    }
    return assemble(documents, [layouts[i] for i in range(len(documents))])


def _chunk_batch(batch: dict[str, Any], max_chars: int, overlap: int) -> dict[str, list[Any]]:
    """Ray task: each document's `chunk.layout` (sentence spans, passage groups)."""
    out: dict[str, list[Any]] = {"i": [], "sentences": [], "passages": []}
    for i, text in zip(batch["i"], batch["text"], strict=True):
        spans, groups = layout(str(text), max_chars, overlap)
        out["i"].append(int(i))
        out["sentences"].append([list(x) for x in spans])
        out["passages"].append([list(x) for x in groups])
    return out


class RayEmbedder:
    """The `Embedder` (and span embedder, for late chunking) whose work runs as Ray Data
    `map_batches` over `_EmbedActor`s. Name and dimension come from the same model
    loaded here, so a build records the model the local engine would."""

    block_rows = 20_000  # texts per Ray Data job (indexing hands over blocks this big)

    def __init__(self, model: str, batch_size: int, options: RayOptions, ray: Any) -> None:
        self._local = SentenceTransformerEmbedder(model, batch_size)
        self._model = model
        self._batch_size = batch_size
        self._options = options
        self._ray = ray

    @property
    def name(self) -> str:
        return self._local.name

    @property
    def dim(self) -> int:
        return self._local.dim

    def _actors(self) -> int:
        if self._options.actors:
            return self._options.actors
        free = self._ray.cluster_resources()
        if self._options.gpus_per_actor:
            return max(1, int(free.get("GPU", 0) / self._options.gpus_per_actor))
        return max(1, int(free.get("CPU", 1) / self._options.cpus_per_actor))

    def _run(self, rows: list[dict[str, Any]], spans: bool) -> Any:
        ray = self._ray
        rows.sort(key=lambda r: len(r["text"]))  # length-sorted batches: little padding
        return (
            ray.data.from_items(rows)
            .map_batches(
                _EmbedActor,
                batch_size=self._batch_size,
                compute=ray.data.ActorPoolStrategy(size=min(self._actors(), len(rows))),
                fn_constructor_kwargs={
                    "model": self._model,
                    "batch_size": self._batch_size,
                    "spans": spans,
                    "threads": max(1, int(self._options.cpus_per_actor)),
                    "device": "cuda" if self._options.gpus_per_actor else "cpu",
                },
                num_cpus=self._options.cpus_per_actor,
                num_gpus=self._options.gpus_per_actor or None,
            )
            .iter_batches(batch_size=None, batch_format="numpy")
        )

    def encode(self, texts: Sequence[str]) -> Vectors:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        if texts:
            for batch in self._run([{"row": i, "text": t} for i, t in enumerate(texts)], False):
                vectors[batch["row"]] = batch["vector"]
        return vectors

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[Vectors, list[Vectors]]:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[Vectors] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        rows = [
            {"row": i, "text": t, "spans": [list(s) for s in ss]}
            for i, (t, ss) in enumerate(zip(texts, spans, strict=True))
        ]
        if rows:
            for batch in self._run(rows, True):
                vectors[batch["row"]] = batch["vector"]
                for row, blob in zip(batch["row"], batch["pooled"], strict=True):
                    pooled[int(row)] = np.frombuffer(blob, dtype=np.float32).reshape(-1, self.dim)
        return vectors, pooled


class _EmbedActor:
    """Ray actor: the embedding model, loaded once, applied to batches of rows."""

    def __init__(self, model: str, batch_size: int, spans: bool, threads: int, device: str) -> None:
        import torch

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        torch.set_num_threads(threads)
        self._embedder = SentenceTransformerEmbedder(model, batch_size, device=device)
        self._spans = spans

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(t) for t in batch["text"]]  # numpy object arrays to plain str
        if not self._spans:
            return {"row": batch["row"], "vector": self._embedder.encode(texts)}
        spans = [[(int(a), int(b)) for a, b in ss] for ss in batch["spans"]]
        vectors, pooled = self._embedder.encode_spans(texts, spans)
        blobs = np.array([p.astype(np.float32).tobytes() for p in pooled], dtype=object)
        return {"row": batch["row"], "vector": vectors, "pooled": blobs}


@dataclass
class RayEngine:
    """The three stages on Ray, behind the same seams the local engine uses."""

    options: RayOptions

    def __post_init__(self) -> None:
        self.ray = start_ray(self.options.address)

    def read(
        self,
        paths: Sequence[Path],
        include: Sequence[str],
        exclude: Sequence[str],
        max_file_bytes: int,
        report: IngestReport,
    ) -> list[Document]:
        return read_corpus(paths, include, exclude, max_file_bytes, report, self.ray)

    def chunk(self, documents: Sequence[Document], max_chars: int, overlap: int) -> ChunkedCorpus:
        return chunk_corpus(documents, max_chars, overlap, self.ray)

    def embedder(self, model: str, batch_size: int) -> RayEmbedder:
        return RayEmbedder(model, batch_size, self.options, self.ray)
