"""Build the index from a corpus folder: ingest -> chunk -> embed -> store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from assistant.corpus.chunk import ChunkedCorpus, chunk_documents
from assistant.corpus.ingest import IngestReport, corpus_fingerprint, load_corpus
from assistant.errors import IndexStaleError, IndexUnavailableError
from assistant.records import Document, Passage, Sentence
from assistant.search.embed import Embedder, SpanEmbedder
from assistant.search.lexical import TOKENS_VERSION, saved_tokens_version
from assistant.search.passage_vectors import (
    Progress,
    VectorTarget,
    copy_rows,
    drop_old_collections,
    embed_in_batches,
    embed_late,
    passages_from_sentences,
)
from assistant.search.store import (
    SCHEMA_VERSION,
    IndexData,
    Manifest,
    check_manifest,
    current_build_dir,
    load_index,
    read_manifest,
    write_index,
)
from assistant.settings import Settings

logger = logging.getLogger(__name__)


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
    chunking = {
        "passage_max_chars": settings.passage_max_chars,
        "passage_overlap_sentences": settings.passage_overlap_sentences,
    }
    # recorded only when not "encode" (the default of builds made before "late")
    if settings.passage_vectors == "sentence_mean":
        chunking["passage_vectors_from_sentences"] = 1
    if settings.passage_vectors == "late":
        chunking["sentence_vectors_pooled"] = 1
    return chunking


@dataclass(frozen=True, slots=True)
class IndexDelta:
    """What an (incremental) build did, document by document."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded_passages: int = 0
    embedded_sentences: int = 0
    pooled_sentences: int = 0  # late chunking: sentence vectors taken from the passage pass
    resumed_rows: int = 0  # vectors an interrupted run had already stored

    def summary(self) -> str:
        """One line for the CLI and the logs."""
        line = (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged ({self.embedded_passages} passages and "
            f"{self.embedded_sentences} sentences embedded"
        )
        if self.pooled_sentences:
            line += f"; {self.pooled_sentences} sentence vectors pooled from the passages"
        if self.resumed_rows:
            line += f"; resumed: {self.resumed_rows} vectors were already stored"
        return line + ")"


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
    *,
    resume: bool = True,
    chunker: Callable[[Sequence[Document], int, int], ChunkedCorpus] = chunk_documents,
) -> tuple[Manifest, IndexDelta]:
    """Write a new index for the documents, embedding only what `previous` lacks.

    A document whose text, title and date equal those in the previous build (same
    model, dimension and chunking) keeps its passages, sentences and vectors; new and
    changed documents are chunked and embedded; removed ones are left out. The new
    build is written aside and made live atomically, like a full build.

    With the Milvus store, vectors stream into the build's collections as they are
    embedded; a re-run of an interrupted build (`resume`) skips the rows already there.
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
    chunked = chunker(fresh, settings.passage_max_chars, settings.passage_overlap_sentences)
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    carried_p: list[int] = []  # old row of passages[i] for the kept ones
    carried_s: list[int] = []
    for document in keep:  # renumber the kept records, carry their vectors
        sid_map: dict[int, int] = {}
        for sentence in old_sentences.get(document.doc_id, []):
            sid_map[sentence.sentence_id] = len(sentences)
            carried_s.append(sentence.sentence_id)
            sentences.append(replace(sentence, sentence_id=len(sentences)))
        for passage in old_passages.get(document.doc_id, []):
            carried_p.append(passage.passage_id)
            passages.append(
                replace(
                    passage,
                    passage_id=len(passages),
                    sentence_ids=tuple(sid_map[i] for i in passage.sentence_ids),
                )
            )
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
    fingerprint = corpus_fingerprint(documents)
    target = VectorTarget.open(
        settings,
        embedder.dim,
        len(passages),
        len(sentences),
        tag_inputs={
            "corpus_fingerprint": fingerprint,
            "model": embedder.name,
            "chunking": chunking_of(settings),
            "carried_from": previous.build_dir.name if previous is not None and reuse else "",
        },
        resume=resume,
    )
    stores = (
        (previous.passage_store, previous.sentence_store)
        if previous is not None and reuse
        else None
    )
    skipped = late_alone = pooled = 0
    resumed_sentences: set[int] = set()
    from_sentences = settings.passage_vectors == "sentence_mean"
    late = settings.passage_vectors == "late" and isinstance(embedder, SpanEmbedder)
    # sentences first: with passage_vectors=sentence_mean, passage vectors come from them
    for stage, sink, carried, texts, offset, old_store in (
        (
            "sentences",
            target.sentences,
            carried_s,
            [x.text for x in chunked.sentences],
            offset_s,
            1,
        ),
        ("passages", target.passages, carried_p, [p.text for p in chunked.passages], offset_p, 0),
    ):
        done = sink.stored_rows()
        skipped += len(done)
        if stores is not None:
            copy_rows(stores[old_store], sink, carried, done)
        if stage == "passages" and from_sentences:
            passages_from_sentences(passages[offset_p:], target, done, progress)
            continue
        if stage == "sentences" and late:
            resumed_sentences = done
            continue  # pooled with their passages below; the rest encoded after them
        if stage == "passages" and late:
            assert isinstance(embedder, SpanEmbedder)
            pooled_rows = embed_late(
                embedder,
                passages[offset_p:],
                sentences,
                target,
                done,
                resumed_sentences,
                settings,
                progress,
            )
            pooled = len(pooled_rows)
            sentence_rows = resumed_sentences | pooled_rows
            texts = [x.text for x in chunked.sentences]
            late_alone = len(texts) - sum(offset_s + i in sentence_rows for i in range(len(texts)))
            embed_in_batches(
                embedder,
                texts,
                settings.embed_batch_size,
                "sentences",
                progress,
                sink=target.sentences,
                offset=offset_s,
                skip=sentence_rows,
            )
            logger.info("sentence vectors: %d pooled, %d encoded alone", pooled, late_alone)
            continue
        embed_in_batches(
            embedder,
            texts,
            settings.embed_batch_size,
            stage,
            progress,
            sink=sink,
            offset=offset,
            skip=done,
        )
    manifest = write_index(
        settings.index_dir,
        documents=list(keep) + list(fresh),
        passages=passages,
        sentences=sentences,
        model=embedder.name,
        dim=embedder.dim,
        corpus_fingerprint=fingerprint,
        chunking=chunking_of(settings),
        build_seconds=time.perf_counter() - started,
        sources=(sources or CorpusSources.of(settings)).to_manifest(),
        **target.finish(),
    )
    if settings.vector_store == "milvus":
        drop_old_collections(settings, manifest, previous)
    current = {d.doc_id for d in documents}
    delta = IndexDelta(
        added=sum(d.doc_id not in old_docs for d in fresh),
        changed=sum(d.doc_id in old_docs for d in fresh),
        removed=sum(doc_id not in current for doc_id in old_docs),
        unchanged=len(keep),
        embedded_passages=0 if from_sentences else len(chunked.passages),
        embedded_sentences=late_alone if late else len(chunked.sentences),
        pooled_sentences=pooled,
        resumed_rows=skipped,
    )
    logger.info("index updated: %s", delta.summary())
    return manifest, delta


def load_live_index(settings: Settings, *, verify_checksums: bool = True) -> IndexData:
    """The live build, its vectors opened in the store the settings name (a build whose
    vectors are in Milvus while the settings say FAISS is opened through its manifest)."""
    milvus = settings.milvus_config() if settings.vector_store == "milvus" else None
    return load_index(
        Path(settings.index_dir),
        verify_checksums=verify_checksums,
        ef_search=settings.hnsw_ef_search,
        milvus=milvus,
    )


def _previous(settings: Settings) -> IndexData | None:
    try:
        return load_live_index(settings)
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
    chunker: Callable[[Sequence[Document], int, int], ChunkedCorpus] = chunk_documents
    if settings.index_engine == "ray":
        from assistant.search.ray_engine import RayEngine, RayOptions

        engine = RayEngine(RayOptions.of(settings))
        documents = engine.read(
            sources.paths,
            sources.include,
            sources.exclude,
            settings.max_file_bytes,
            report if report is not None else IngestReport(),
        )
        chunker = engine.chunk
        embedder_factory = partial(engine.embedder, settings.model, settings.embed_batch_size)
    else:
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
                vector_store=settings.vector_store,
            )
            if manifest.sources and manifest.sources != sources.to_manifest():
                raise IndexStaleError("the index was built from other folders or globs")
            bm25 = current_build_dir(settings.index_dir) / "bm25"
            if saved_tokens_version(bm25) != TOKENS_VERSION:
                # nothing is re-embedded: every document is unchanged, the BM25 is rebuilt
                raise IndexStaleError("the BM25 index was made by an older tokenizer")
            return BuildResult(manifest=manifest, rebuilt=False, reason="up to date")
        except IndexUnavailableError as exc:
            reason = exc.message
            logger.info("rebuilding: %s", reason)
    embedder = embedder_factory()
    previous = None if force else _previous(settings)
    manifest, delta = update_index(
        documents,
        embedder,
        settings,
        progress,
        previous,
        sources,
        resume=not force,
        chunker=chunker,
    )
    return BuildResult(manifest=manifest, rebuilt=True, reason=reason, delta=delta)
