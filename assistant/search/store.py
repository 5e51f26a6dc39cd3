"""Store: the on-disk index (FAISS + SQLite + BM25 + manifest), written atomically.

Layout of the index folder::

    index/CURRENT              name of the live build (replaced atomically)
    index/builds/<build_id>/   manifest.json, passages.faiss, sentences.npy,
                               corpus.sqlite, bm25/

A build is written to its own folder and becomes live only when CURRENT is
replaced (`os.replace`, atomic on POSIX), so a reader always sees one complete
build and an interrupted build leaves the previous one answering.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from assistant.records import Document, Passage, Sentence
from assistant.search.embed import Vectors
from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import (
    ArrayVectorStore,
    FaissVectorStore,
    VectorStore,
    build_faiss_index,
    default_ef_search,
)

if TYPE_CHECKING:
    from assistant.search.milvus import MilvusConfig

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_CHECKSUMMED = ("passages.faiss", "sentences.npy", "corpus.sqlite")


def _checksummed(external_vectors: bool) -> tuple[str, ...]:
    """The build files with a checksum in the manifest."""
    return ("corpus.sqlite",) if external_vectors else _CHECKSUMMED


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an index was built from; compared with the settings before it is used."""

    schema_version: int
    model: str
    dim: int
    corpus_fingerprint: str
    chunking: dict[str, int]
    built_at: str
    build_seconds: float
    documents: int
    passages: int
    sentences: int
    checksums: dict[str, str]
    sources: dict[str, list[str]] = field(default_factory=dict)  # corpus paths and globs
    # {} = vectors in this build folder (FAISS); else {"kind": "milvus", "uri": ...,
    # "passages": collection, "sentences": collection, "index_type": ...}
    vector_store: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """Pretty JSON for manifest.json."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)


@dataclass(frozen=True, slots=True)
class IndexData:
    """Everything a build holds, in memory."""

    manifest: Manifest
    documents: dict[str, Document]
    passages: Sequence[Passage]  # passages[i].passage_id == i
    sentences: Sequence[Sentence]  # sentences[i].sentence_id == i
    passage_store: VectorStore  # row i = passages[i]
    sentence_store: VectorStore  # row i = sentences[i]
    lexical: LexicalIndex
    build_dir: Path


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_index(
    index_dir: Path,
    *,
    documents: Sequence[Document],
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
    passage_vectors: Vectors | None,
    sentence_vectors: Vectors | None,
    model: str,
    dim: int,
    corpus_fingerprint: str,
    chunking: dict[str, int],
    build_seconds: float,
    sources: dict[str, list[str]] | None = None,
    vector_store: dict[str, str] | None = None,
) -> Manifest:
    """Write a complete build beside the live one, then make it live atomically.

    With `vector_store` (vectors already stored in Milvus) the vector arrays are None
    and only the records, the BM25 index and the manifest are written here."""
    import faiss

    external = bool(vector_store)
    if external != (passage_vectors is None and sentence_vectors is None):
        raise ValueError("give either the vectors or an external vector store, not both")
    if (
        passage_vectors is not None
        and sentence_vectors is not None
        and (len(passages) != len(passage_vectors) or len(sentences) != len(sentence_vectors))
    ):
        raise ValueError("vectors and records differ in count")
    if any(p.passage_id != i for i, p in enumerate(passages)):
        raise ValueError("passage ids must be 0..n-1 in order")
    if any(s.sentence_id != i for i, s in enumerate(sentences)):
        raise ValueError("sentence ids must be 0..n-1 in order")
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_dir = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), dir=builds))
    try:
        if passage_vectors is not None and sentence_vectors is not None:
            faiss.write_index(build_faiss_index(passage_vectors), str(build_dir / "passages.faiss"))
            np.save(build_dir / "sentences.npy", np.asarray(sentence_vectors, dtype=np.float32))
        _write_sqlite(build_dir / "corpus.sqlite", documents, passages, sentences)
        LexicalIndex.build([p.text for p in passages]).save(build_dir / "bm25")
        manifest = Manifest(
            schema_version=SCHEMA_VERSION,
            model=model,
            dim=dim,
            corpus_fingerprint=corpus_fingerprint,
            chunking=dict(chunking),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            build_seconds=round(build_seconds, 3),
            documents=len(documents),
            passages=len(passages),
            sentences=len(sentences),
            checksums={name: _sha256_file(build_dir / name) for name in _checksummed(external)},
            sources=dict(sources or {}),
            vector_store=dict(vector_store or {}),
        )
        _write_atomic(build_dir / "manifest.json", manifest.to_json())
        _fsync_dir(build_dir)
        _write_atomic(index_dir / "CURRENT", build_dir.name + "\n")
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    _remove_old_builds(builds, keep={build_dir.name})
    logger.info("index written to %s", build_dir)
    return manifest


def _write_atomic(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_old_builds(builds: Path, keep: set[str]) -> None:
    for child in builds.iterdir():
        if child.name not in keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def _write_sqlite(
    path: Path,
    documents: Sequence[Document],
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT NOT NULL,
                published TEXT, source_path TEXT, text TEXT NOT NULL);
            CREATE TABLE passages (passage_id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL,
                start INTEGER NOT NULL, "end" INTEGER NOT NULL, sentence_ids TEXT NOT NULL);
            CREATE TABLE sentences (sentence_id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL,
                start INTEGER NOT NULL, "end" INTEGER NOT NULL);
            """
        )
        db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?)",
            [(d.doc_id, d.title, d.published, d.source_path, d.text) for d in documents],
        )
        db.executemany(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?)",
            [
                (p.passage_id, p.doc_id, p.start, p.end, json.dumps(p.sentence_ids))
                for p in passages
            ],
        )
        db.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?)",
            [(s.sentence_id, s.doc_id, s.start, s.end) for s in sentences],
        )
    db.close()


def current_build_dir(index_dir: Path) -> Path:
    """The live build folder; raises IndexMissingError when there is none."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissingError(
            f"no index in {index_dir}/: run `assistant index` (or `make index`) to build it"
        )
    build_dir = index_dir / "builds" / pointer.read_text(encoding="utf-8").strip()
    if not (build_dir / "manifest.json").is_file():
        raise IndexCorruptError(
            f"index in {index_dir}/ points at a missing build: run `assistant index --force`"
        )
    return build_dir


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of the live build."""
    build_dir = current_build_dir(index_dir)
    try:
        raw = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
        return Manifest(**raw)
    except (ValueError, TypeError) as exc:
        raise IndexCorruptError(
            f"unreadable manifest in {build_dir}: {exc}; run `assistant index --force`"
        ) from exc


def check_manifest(
    manifest: Manifest,
    *,
    model: str,
    corpus_fingerprint: str | None,
    chunking: dict[str, int],
    vector_store: str | None = None,
) -> None:
    """Raise IndexStaleError when the index was built for something else."""
    problems = []
    built_in = manifest.vector_store.get("kind", "faiss")
    if vector_store is not None and built_in != vector_store:
        problems.append(f"vectors in {built_in}, settings say {vector_store}")
    if manifest.schema_version != SCHEMA_VERSION:
        problems.append(f"schema {manifest.schema_version}, this version reads {SCHEMA_VERSION}")
    if manifest.model != model:
        problems.append(f"model {manifest.model!r}, settings say {model!r}")
    if manifest.chunking != chunking:
        problems.append(f"chunking {manifest.chunking}, settings say {chunking}")
    if corpus_fingerprint is not None and manifest.corpus_fingerprint != corpus_fingerprint:
        problems.append("the corpus has changed since it was built")
    if problems:
        raise IndexStaleError(
            "the index is out of date (" + "; ".join(problems) + "): run `assistant index`"
        )


def load_index(
    index_dir: Path,
    *,
    verify_checksums: bool = True,
    ef_search: int | None = None,
    milvus: MilvusConfig | None = None,
) -> IndexData:
    """Load the live build; corrupt or inconsistent files raise IndexCorruptError.

    A build whose vectors live in Milvus is opened through `milvus` (the settings'
    URI and token), or, without it, through the URI recorded in its manifest."""
    import faiss

    manifest = read_manifest(index_dir)
    build_dir = current_build_dir(index_dir)
    fix = f"rebuild it with `assistant index --force --index-dir {index_dir}`"
    external = manifest.vector_store.get("kind") == "milvus"
    for name in _checksummed(external):
        path = build_dir / name
        if not path.is_file():
            raise IndexCorruptError(f"index file {path} is missing: {fix}")
        if verify_checksums and _sha256_file(path) != manifest.checksums.get(name):
            raise IndexCorruptError(f"index file {path} does not match its checksum: {fix}")
    passage_store: VectorStore
    sentence_store: VectorStore
    try:
        if external:
            passage_store, sentence_store = _open_milvus(manifest, milvus)
        else:
            passage_index = faiss.read_index(str(build_dir / "passages.faiss"))
            if hasattr(passage_index, "hnsw"):
                passage_index.hnsw.efSearch = ef_search or default_ef_search(passage_index.ntotal)
            passage_store = FaissVectorStore(passage_index)
            sentence_store = ArrayVectorStore(np.load(build_dir / "sentences.npy"))
        documents, passages, sentences = _read_sqlite(build_dir / "corpus.sqlite")
        lexical = LexicalIndex.load(
            build_dir / "bm25", n_docs=len(passages), texts=lambda: [p.text for p in passages]
        )
    except (RuntimeError, ValueError, OSError, sqlite3.DatabaseError) as exc:
        raise IndexCorruptError(f"cannot read the index in {build_dir} ({exc}): {fix}") from exc
    counts = (len(passage_store), len(passages), len(sentence_store), len(sentences))
    expected = (manifest.passages, manifest.passages, manifest.sentences, manifest.sentences)
    if counts != expected or len(documents) != manifest.documents:
        raise IndexCorruptError(f"index counts {counts} disagree with the manifest: {fix}")
    return IndexData(
        manifest=manifest,
        documents=documents,
        passages=passages,
        sentences=sentences,
        passage_store=passage_store,
        sentence_store=sentence_store,
        lexical=lexical,
        build_dir=build_dir,
    )


def _open_milvus(
    manifest: Manifest, config: MilvusConfig | None
) -> tuple[VectorStore, VectorStore]:
    from assistant.search.milvus import MilvusConfig, MilvusVectorStore

    info = manifest.vector_store
    if config is None:
        config = MilvusConfig(uri=info["uri"], index_type=info.get("index_type", "AUTOINDEX"))
    passages = MilvusVectorStore(config, info["passages"], manifest.dim, manifest.passages)
    sentences = MilvusVectorStore(config, info["sentences"], manifest.dim, manifest.sentences)
    return passages, sentences


class _SpanTable:
    """Rows of (document, start, end) held as numpy columns; the text of a row is sliced
    from its document on access. Row i has id i. About 20 bytes a row instead of a Python
    record and a copy of its text (measured: the 100k-passage news index costs 422.9 MB
    of RSS instead of 565.9 MB, `benchmarks/memory.py`)."""

    def __init__(
        self, documents: dict[str, Document], rows: Iterable[tuple[int, str, int, int]]
    ) -> None:
        self._doc_ids = list(documents)
        self._texts = [documents[d].text for d in self._doc_ids]
        position = {doc_id: i for i, doc_id in enumerate(self._doc_ids)}
        ids: list[int] = []
        docs: list[int] = []
        bounds: list[int] = []
        for row_id, doc_id, start, end in rows:
            if doc_id not in position:
                raise IndexCorruptError(f"row {row_id} names an unknown document {doc_id!r}")
            ids.append(row_id)
            docs.append(position[doc_id])
            bounds += (start, end)
        if ids != list(range(len(ids))):
            raise IndexCorruptError("row ids are not 0..n-1 in order")
        self._doc = np.array(docs, dtype=np.int32)
        self._bounds = np.array(bounds, dtype=np.int64).reshape(-1, 2)

    def __len__(self) -> int:
        return len(self._doc)

    def _span(self, row: int) -> tuple[int, str, int, int, str]:
        """(row, counted from the front; document id, start, end, text)."""
        if row < 0:
            row += len(self._doc)
        if not 0 <= row < len(self._doc):
            raise IndexError(row)
        d = int(self._doc[row])
        start, end = (int(x) for x in self._bounds[row])
        return row, self._doc_ids[d], start, end, self._texts[d][start:end]


class SentenceTable(_SpanTable, Sequence[Sentence]):
    """The sentences of an index, as columns (see `_SpanTable`)."""

    def __getitem__(self, row: int) -> Sentence:  # type: ignore[override]
        return Sentence(*self._span(row))


class PassageTable(_SpanTable, Sequence[Passage]):
    """The passages of an index, as columns; sentence ids as one flat array."""

    def __init__(
        self, documents: dict[str, Document], rows: Iterable[tuple[int, str, int, int, str]]
    ) -> None:
        lists: list[list[int]] = []

        def spans() -> Iterator[tuple[int, str, int, int]]:
            for passage_id, doc_id, start, end, sentence_ids in rows:
                lists.append(json.loads(sentence_ids))
                yield passage_id, doc_id, start, end

        super().__init__(documents, spans())
        self._first = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum([len(x) for x in lists], out=self._first[1:])
        self._sentence_ids = np.array([i for x in lists for i in x], dtype=np.int64)

    def __getitem__(self, row: int) -> Passage:  # type: ignore[override]
        row, doc_id, start, end, text = self._span(row)
        ids = self._sentence_ids[self._first[row] : self._first[row + 1]]
        return Passage(row, doc_id, start, end, text, tuple(int(i) for i in ids))


def _read_sqlite(
    path: Path,
) -> tuple[dict[str, Document], PassageTable, SentenceTable]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        documents = {
            row[0]: Document(
                doc_id=row[0], title=row[1], published=row[2], source_path=row[3], text=row[4]
            )
            for row in db.execute(
                "SELECT doc_id, title, published, source_path, text FROM documents"
            )
        }
        sentences = SentenceTable(
            documents,
            db.execute(
                'SELECT sentence_id, doc_id, start, "end" FROM sentences ORDER BY sentence_id'
            ),
        )
        passages = PassageTable(
            documents,
            db.execute(
                'SELECT passage_id, doc_id, start, "end", sentence_ids FROM passages '
                "ORDER BY passage_id"
            ),
        )
    finally:
        db.close()
    return documents, passages, sentences
