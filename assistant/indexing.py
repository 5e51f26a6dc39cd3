"""Build the index from a corpus folder: ingest -> chunk -> embed -> store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant.chunk import chunk_documents
from assistant.embed import Embedder, Vectors
from assistant.errors import IndexStaleError, IndexUnavailableError
from assistant.ingest import IngestReport, corpus_fingerprint, load_corpus
from assistant.records import Document, Passage, Sentence
from assistant.settings import Settings
from assistant.store import (
    SCHEMA_VERSION,
    IndexData,
    Manifest,
    check_manifest,
    load_index,
    read_manifest,
    write_index,
)

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What `ensure_index` did."""

    manifest: Manifest
    rebuilt: bool
    reason: str
    delta: IndexDelta | None = None


@dataclass(frozen=True, slots=True)
class CorpusSources:
    """Where the documents come from: folders and glob filters."""

    paths: tuple[Path, ...]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings, paths: Sequence[Path] | None = None) -> CorpusSources:
        """The given folders (or the settings' corpus folder) with the settings' globs."""
        include, exclude = settings.globs()
        chosen = tuple(paths) if paths else (Path(settings.corpus_dir),)
        return cls(chosen, tuple(include), tuple(exclude))

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> CorpusSources | None:
        """The sources an index was built from, when its manifest records them."""
        if not manifest.sources.get("paths"):
            return None
        return cls(
            tuple(Path(p) for p in manifest.sources["paths"]),
            tuple(manifest.sources.get("include", [])),
            tuple(manifest.sources.get("exclude", [])),
        )

    def to_manifest(self) -> dict[str, list[str]]:
        """For the manifest."""
        return {
            "paths": [str(p) for p in self.paths],
            "include": list(self.include),
            "exclude": list(self.exclude),
        }

    def load(self, settings: Settings, report: IngestReport | None = None) -> list[Document]:
        """Read the documents."""
        return load_corpus(
            list(self.paths), self.include, self.exclude, settings.max_file_bytes, report
        )


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


@dataclass(frozen=True, slots=True)
class IndexDelta:
    """What an (incremental) build did, document by document."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded_passages: int = 0
    embedded_sentences: int = 0

    def summary(self) -> str:
        """One line for the CLI and the logs."""
        return (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged ({self.embedded_passages} passages and "
            f"{self.embedded_sentences} sentences embedded)"
        )


def _reusable(previous: IndexData | None, embedder: Embedder, settings: Settings) -> bool:
    if previous is None:
        return False
    m = previous.manifest
    return (
        m.schema_version == SCHEMA_VERSION
        and m.model == embedder.name
        and m.dim == embedder.dim
        and m.chunking == chunking_of(settings)
    )


def build_index(
    documents: Sequence[Document],
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
    previous: IndexData | None = None,
) -> Manifest:
    """Write a new index for the documents (see `update_index`); returns its manifest."""
    return update_index(documents, embedder, settings, progress, previous)[0]


def update_index(
    documents: Sequence[Document],
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
    previous: IndexData | None = None,
    sources: CorpusSources | None = None,
) -> tuple[Manifest, IndexDelta]:
    """Write a new index for the documents, embedding only what `previous` lacks.

    A document whose text, title and date equal those in the previous build (same
    model, dimension and chunking) keeps its passages, sentences and vectors; new and
    changed documents are chunked and embedded; removed ones are left out. The new
    build is written aside and made live atomically, like a full build.
    """
    started = time.perf_counter()
    reuse = _reusable(previous, embedder, settings)
    old_docs = previous.documents if previous is not None and reuse else {}
    old_passages: dict[str, list[Passage]] = {}
    old_sentences: dict[str, list[Sentence]] = {}
    if previous is not None and reuse:
        for passage in previous.passages:
            old_passages.setdefault(passage.doc_id, []).append(passage)
        for sentence in previous.sentences:
            old_sentences.setdefault(sentence.doc_id, []).append(sentence)
    keep = [d for d in documents if old_docs.get(d.doc_id) == d]
    fresh = [d for d in documents if old_docs.get(d.doc_id) != d]
    chunked = chunk_documents(
        fresh,
        max_chars=settings.passage_max_chars,
        overlap=settings.passage_overlap_sentences,
    )
    new_passage_vectors = embed_in_batches(
        embedder,
        [p.text for p in chunked.passages],
        settings.embed_batch_size,
        "passages",
        progress,
    )
    new_sentence_vectors = embed_in_batches(
        embedder,
        [s.text for s in chunked.sentences],
        settings.embed_batch_size,
        "sentences",
        progress,
    )
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    p_rows: list[Vectors] = []
    s_rows: list[Vectors] = []
    for document in keep:  # renumber the kept records, carry their vectors
        assert previous is not None
        sid_map: dict[int, int] = {}
        old_s = old_sentences.get(document.doc_id, [])
        for sentence in old_s:
            sid_map[sentence.sentence_id] = len(sentences)
            sentences.append(replace(sentence, sentence_id=len(sentences)))
        s_rows.append(previous.sentence_vectors[[x.sentence_id for x in old_s]])
        old_p = old_passages.get(document.doc_id, [])
        for passage in old_p:
            passages.append(
                replace(
                    passage,
                    passage_id=len(passages),
                    sentence_ids=tuple(sid_map[i] for i in passage.sentence_ids),
                )
            )
        p_rows.append(_reconstruct(previous, [x.passage_id for x in old_p], embedder.dim))
    offset_p, offset_s = len(passages), len(sentences)
    for sentence in chunked.sentences:
        sentences.append(replace(sentence, sentence_id=sentence.sentence_id + offset_s))
    for passage in chunked.passages:
        passages.append(
            replace(
                passage,
                passage_id=passage.passage_id + offset_p,
                sentence_ids=tuple(i + offset_s for i in passage.sentence_ids),
            )
        )
    p_rows.append(new_passage_vectors)
    s_rows.append(new_sentence_vectors)
    ordered = list(keep) + list(fresh)
    manifest = write_index(
        settings.index_dir,
        documents=ordered,
        passages=passages,
        sentences=sentences,
        passage_vectors=np.concatenate(p_rows).astype(np.float32),
        sentence_vectors=np.concatenate(s_rows).astype(np.float32),
        model=embedder.name,
        corpus_fingerprint=corpus_fingerprint(documents),
        chunking=chunking_of(settings),
        build_seconds=time.perf_counter() - started,
        sources=(sources or CorpusSources.of(settings)).to_manifest(),
    )
    current = {d.doc_id for d in documents}
    delta = IndexDelta(
        added=sum(d.doc_id not in old_docs for d in fresh),
        changed=sum(d.doc_id in old_docs for d in fresh),
        removed=sum(doc_id not in current for doc_id in old_docs),
        unchanged=len(keep),
        embedded_passages=len(chunked.passages),
        embedded_sentences=len(chunked.sentences),
    )
    logger.info("index updated: %s", delta.summary())
    return manifest, delta


def _reconstruct(data: IndexData, rows: list[int], dim: int) -> Vectors:
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([data.passage_index.reconstruct(int(r)) for r in rows]).astype(np.float32)


def _previous(settings: Settings) -> IndexData | None:
    try:
        return load_index(settings.index_dir)
    except IndexUnavailableError as exc:
        logger.info("no reusable index (%s): building from scratch", exc.message)
        return None


def ensure_index(
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    *,
    force: bool = False,
    progress: Progress | None = None,
    sources: CorpusSources | None = None,
    report: IngestReport | None = None,
) -> BuildResult:
    """Bring the index up to date with the corpus: nothing when it already is, an
    incremental build when a compatible index exists, a full build otherwise (or `force`)."""
    sources = sources or CorpusSources.of(settings)
    documents = sources.load(settings, report)
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
            if manifest.sources and manifest.sources != sources.to_manifest():
                raise IndexStaleError("the index was built from other folders or globs")
            return BuildResult(manifest=manifest, rebuilt=False, reason="up to date")
        except IndexUnavailableError as exc:
            reason = exc.message
            logger.info("rebuilding: %s", reason)
    embedder = embedder_factory()
    previous = None if force else _previous(settings)
    manifest, delta = update_index(documents, embedder, settings, progress, previous, sources)
    return BuildResult(manifest=manifest, rebuilt=True, reason=reason, delta=delta)
