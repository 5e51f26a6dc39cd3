"""Build the index from a corpus folder: ingest -> chunk -> embed -> store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.chunk import chunk_documents
from assistant.embed import Embedder, Vectors
from assistant.errors import IndexUnavailableError
from assistant.ingest import corpus_fingerprint, load_corpus
from assistant.records import Document
from assistant.settings import Settings
from assistant.store import Manifest, check_manifest, read_manifest, write_index

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What `ensure_index` did."""

    manifest: Manifest
    rebuilt: bool
    reason: str


def chunking_of(settings: Settings) -> dict[str, int]:
    """The chunking parameters recorded in (and checked against) the manifest."""
    return {
        "passage_max_chars": settings.passage_max_chars,
        "passage_overlap_sentences": settings.passage_overlap_sentences,
    }


def embed_in_batches(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int,
    stage: str,
    progress: Progress | None = None,
) -> Vectors:
    """Encode texts in length-sorted batches (less padding), returned in input order."""
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    # batches of many sentence-transformers batches keep progress updates cheap
    step = max(batch_size * 16, 1)
    for begin in range(0, len(order), step):
        rows = order[begin : begin + step]
        out[rows] = embedder.encode([texts[i] for i in rows])
        if progress:
            progress(stage, min(begin + step, len(order)), len(order))
    return out


def build_index(
    documents: Sequence[Document],
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
) -> Manifest:
    """Chunk, embed and write a fresh index for the documents."""
    started = time.perf_counter()
    chunked = chunk_documents(
        documents,
        max_chars=settings.passage_max_chars,
        overlap=settings.passage_overlap_sentences,
    )
    passage_vectors = embed_in_batches(
        embedder,
        [p.text for p in chunked.passages],
        settings.embed_batch_size,
        "passages",
        progress,
    )
    sentence_vectors = embed_in_batches(
        embedder,
        [s.text for s in chunked.sentences],
        settings.embed_batch_size,
        "sentences",
        progress,
    )
    return write_index(
        settings.index_dir,
        documents=documents,
        passages=chunked.passages,
        sentences=chunked.sentences,
        passage_vectors=passage_vectors,
        sentence_vectors=sentence_vectors,
        model=embedder.name,
        corpus_fingerprint=corpus_fingerprint(documents),
        chunking=chunking_of(settings),
        build_seconds=time.perf_counter() - started,
    )


def ensure_index(
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Rebuild the index when it is missing, stale or `force`d; otherwise leave it."""
    documents = load_corpus(settings.corpus_dir)
    reason = "forced"
    if not force:
        try:
            manifest = read_manifest(settings.index_dir)
            check_manifest(
                manifest,
                model=settings.model,
                corpus_fingerprint=corpus_fingerprint(documents),
                chunking=chunking_of(settings),
            )
            return BuildResult(manifest=manifest, rebuilt=False, reason="up to date")
        except IndexUnavailableError as exc:
            reason = exc.message
            logger.info("rebuilding: %s", reason)
    embedder = embedder_factory()
    manifest = build_index(documents, embedder, settings, progress)
    return BuildResult(manifest=manifest, rebuilt=True, reason=reason)


def corpus_changed(settings: Settings, manifest: Manifest) -> bool:
    """Whether the corpus folder differs from what the index was built from."""
    if not Path(settings.corpus_dir).is_dir():
        return False
    return corpus_fingerprint(load_corpus(settings.corpus_dir)) != manifest.corpus_fingerprint
