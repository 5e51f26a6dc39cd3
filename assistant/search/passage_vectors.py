"""Passage and sentence vectors of a build: encoded in length-sorted batches, pooled
from each passage's token embeddings (late chunking) or averaged from sentences, and
written to in-memory arrays (FAISS) or Milvus collections."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.errors import IndexCorruptError
from assistant.records import Passage, Sentence
from assistant.search.embed import Embedder, SpanEmbedder, Vectors, unit_rows
from assistant.search.store import IndexData, Manifest
from assistant.search.vectors import ArraySink, VectorSink, VectorStore
from assistant.settings import Settings

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def block_rows(embedder: Embedder, batch_size: int) -> int:
    """Texts handed to the embedder at a time: many of its batches, so progress updates
    stay cheap, or the embedder's own `block_rows` (Ray: one Ray Data job per block)."""
    return int(getattr(embedder, "block_rows", 0)) or max(batch_size * 16, 1)


def embed_in_batches(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int,
    stage: str,
    progress: Progress | None = None,
    *,
    sink: VectorSink | None = None,
    offset: int = 0,
    skip: set[int] | None = None,
) -> Vectors:
    """Encode texts in length-sorted batches (less padding).

    Without a sink, returns the vectors in input order. With one, each block of
    vectors goes to the sink as row `offset + i` as soon as it is encoded (rows in
    `skip` are already stored and not encoded), and an empty array is returned."""
    skip = skip or set()
    order = sorted(
        (i for i in range(len(texts)) if offset + i not in skip), key=lambda i: len(texts[i])
    )
    out = np.zeros((0 if sink else len(texts), embedder.dim), dtype=np.float32)
    step = block_rows(embedder, batch_size)
    for begin in range(0, len(order), step):
        rows = order[begin : begin + step]
        vectors = embedder.encode([texts[i] for i in rows])
        if sink is not None:
            sink.add([offset + i for i in rows], vectors)
        else:
            out[rows] = vectors
        if progress:
            progress(stage, min(begin + step, len(order)), len(order))
    return out


def embed_late(
    embedder: SpanEmbedder,
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
    target: VectorTarget,
    done_p: set[int],
    done_s: set[int],
    settings: Settings,
    progress: Progress | None,
) -> set[int]:
    """Encode each passage once; each sentence's vector is pooled from the token
    embeddings of the first passage that holds it (late chunking). Rows already stored
    (`done_p`, `done_s`: a resumed build) are skipped. Returns the sentence rows pooled."""
    home: dict[int, int] = {}
    for passage in passages:
        for sid in passage.sentence_ids:
            home.setdefault(sid, passage.passage_id)
    todo = [
        p
        for p in passages
        if p.passage_id not in done_p
        or any(home[s] == p.passage_id and s not in done_s for s in p.sentence_ids)
    ]
    todo.sort(key=lambda p: len(p.text))
    pooled: set[int] = set()
    step = block_rows(embedder, settings.embed_batch_size)
    for begin in range(0, len(todo), step):
        block = todo[begin : begin + step]
        owned = [[s for s in p.sentence_ids if home[s] == p.passage_id] for p in block]
        spans = [
            [(sentences[s].start - p.start, sentences[s].end - p.start) for s in ids]
            for p, ids in zip(block, owned, strict=True)
        ]
        vectors, span_vectors = embedder.encode_spans([p.text for p in block], spans)
        keep = [i for i, p in enumerate(block) if p.passage_id not in done_p]
        if keep:
            target.passages.add([block[i].passage_id for i in keep], vectors[keep])
        rows: list[int] = []
        found: list[Vectors] = []
        for ids, pooled_vectors in zip(owned, span_vectors, strict=True):
            for sid, vector in zip(ids, pooled_vectors, strict=True):
                if sid not in done_s and vector.any():
                    rows.append(sid)
                    found.append(vector)
        if rows:
            target.sentences.add(rows, np.stack(found))
            pooled.update(rows)
        if progress:
            progress("passages", min(begin + step, len(todo)), len(todo))
    return pooled


def passages_from_sentences(
    passages: Sequence[Passage],
    target: VectorTarget,
    done: set[int],
    progress: Progress | None,
) -> None:
    """Passage vector = the normalised mean of its sentences' vectors (no encoding)."""
    todo = [p for p in passages if p.passage_id not in done]
    for begin in range(0, len(todo), 10_000):
        block = todo[begin : begin + 10_000]
        wanted = sorted({sid for p in block for sid in p.sentence_ids})
        position = {sid: i for i, sid in enumerate(wanted)}
        vectors = target.sentences.get(wanted)
        means = np.stack(
            [vectors[[position[sid] for sid in p.sentence_ids]].mean(axis=0) for p in block]
        )
        target.passages.add([p.passage_id for p in block], unit_rows(means))
        if progress:
            progress("passages", min(begin + 10_000, len(todo)), len(todo))


def copy_rows(store: VectorStore, sink: VectorSink, old_rows: list[int], done: set[int]) -> None:
    """Carry kept vectors into the new build (new row i = position i), in blocks."""
    todo = [(new, old) for new, old in enumerate(old_rows) if new not in done]
    for begin in range(0, len(todo), 10_000):
        block = todo[begin : begin + 10_000]
        sink.add([n for n, _ in block], store.get([o for _, o in block]))


@dataclass
class VectorTarget:
    """Where a build's vectors go: in-memory arrays (FAISS) or Milvus collections."""

    passages: VectorSink
    sentences: VectorSink
    settings: Settings
    counts: tuple[int, int]
    names: tuple[str, str] = ("", "")

    @classmethod
    def open(
        cls,
        settings: Settings,
        dim: int,
        n_passages: int,
        n_sentences: int,
        *,
        tag_inputs: dict[str, object],
        resume: bool,
    ) -> VectorTarget:
        counts = (n_passages, n_sentences)
        if settings.vector_store != "milvus":
            return cls(ArraySink(n_passages, dim), ArraySink(n_sentences, dim), settings, counts)
        from assistant.search.milvus import MilvusSink, build_tag, collection_names

        config = settings.milvus_config()
        tag = build_tag(
            corpus_fingerprint=str(tag_inputs["corpus_fingerprint"]),
            model=str(tag_inputs["model"]),
            dim=dim,
            chunking=dict(tag_inputs["chunking"]),  # type: ignore[call-overload]
            carried_from=str(tag_inputs["carried_from"]),
            nonce="" if resume else uuid.uuid4().hex,
        )
        names = collection_names(config.prefix, tag)
        return cls(
            MilvusSink(config, names[0], dim, n_passages),
            MilvusSink(config, names[1], dim, n_sentences),
            settings,
            counts,
            names,
        )

    def finish(self) -> dict[str, Any]:
        """write_index's vector arguments, once every row is stored."""
        if isinstance(self.passages, ArraySink) and isinstance(self.sentences, ArraySink):
            return {
                "passage_vectors": self.passages.vectors,
                "sentence_vectors": self.sentences.vectors,
            }
        from assistant.search.milvus import MilvusSink

        assert isinstance(self.passages, MilvusSink) and isinstance(self.sentences, MilvusSink)
        stored = (self.passages.seal(), self.sentences.seal())
        if stored != self.counts:
            raise IndexCorruptError(
                f"Milvus holds {stored} (passage, sentence) vectors for this build, expected "
                f"{self.counts}: run `assistant index` again to complete it"
            )
        config = self.settings.milvus_config()
        return {
            "passage_vectors": None,
            "sentence_vectors": None,
            "vector_store": {
                "kind": "milvus",
                "uri": config.redacted_uri(),
                "index_type": config.index_type,
                "passages": self.names[0],
                "sentences": self.names[1],
            },
        }


def drop_old_collections(
    settings: Settings, manifest: Manifest, previous: IndexData | None
) -> None:
    """Keep the new build's collections and the previous live build's (a server that
    has not reloaded yet still reads them); drop the rest of this prefix's."""
    from assistant.search.milvus import drop_collections

    keep = {manifest.vector_store.get("passages", ""), manifest.vector_store.get("sentences", "")}
    if previous is not None:
        keep |= {
            previous.manifest.vector_store.get("passages", ""),
            previous.manifest.vector_store.get("sentences", ""),
        }
    drop_collections(settings.milvus_config(), keep)
