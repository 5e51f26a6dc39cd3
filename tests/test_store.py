from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.corpus.chunk import chunk_documents
from assistant.corpus.ingest import corpus_fingerprint, load_corpus
from assistant.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from assistant.pipeline import Assistant
from assistant.records import Document
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index, chunking_of, ensure_index
from assistant.search.store import check_manifest, current_build_dir, load_index
from assistant.search.vectors import build_faiss_index
from tests.conftest import assert_vectors_are_encodings, make_settings, write_corpus


def test_faiss_top_k_equals_numpy_brute_force() -> None:
    rng = np.random.default_rng(7)
    # clustered vectors, as real embeddings are
    centres = rng.standard_normal((8, 32))
    vectors = centres[rng.integers(0, 8, 500)] + 0.3 * rng.standard_normal((500, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    queries = vectors[:20] + 0.05 * rng.standard_normal((20, 32)).astype(np.float32)
    index = build_faiss_index(vectors)
    scores, rows = index.search(queries.astype(np.float32), 10)
    brute = queries @ vectors.T
    for q in range(len(queries)):
        expected = np.argsort(-brute[q], kind="stable")[:10]
        assert set(rows[q]) == set(expected)
        np.testing.assert_allclose(scores[q], brute[q][rows[q]], rtol=1e-5, atol=1e-5)


def test_round_trip_keeps_every_record_and_vector(tmp_path: Path, vector_store: str) -> None:
    settings = make_settings(tmp_path, vector_store=vector_store)
    embedder = HashEmbedder()
    documents = load_corpus(settings.corpus_dir)
    manifest = build_index(documents, embedder, settings)
    data = load_index(settings.index_dir)
    assert data.manifest == manifest
    assert list(data.documents.values()) == documents
    assert len(data.passage_store) == manifest.passages == len(data.passages)
    chunked = chunk_documents(
        documents, settings.passage_max_chars, settings.passage_overlap_sentences
    )
    assert list(data.passages) == chunked.passages  # every field, text included
    assert list(data.sentences) == chunked.sentences
    assert data.passages[-1] == chunked.passages[-1]
    assert data.sentences[-2] == chunked.sentences[-2]
    with pytest.raises(IndexError):
        data.passages[len(data.passages)]
    for passage in data.passages:
        doc = data.documents[passage.doc_id]
        assert doc.text[passage.start : passage.end] == passage.text
    assert_vectors_are_encodings(data, embedder)


def test_manifest_mismatches_are_detected(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    documents = load_corpus(settings.corpus_dir)
    manifest = build_index(documents, HashEmbedder(), settings)
    ok = {
        "model": manifest.model,
        "corpus_fingerprint": corpus_fingerprint(documents),
        "chunking": chunking_of(settings),
    }
    check_manifest(manifest, **ok)  # type: ignore[arg-type]
    for key, bad in [
        ("model", "other-model"),
        ("corpus_fingerprint", "0" * 64),
        ("chunking", {"passage_max_chars": 1, "passage_overlap_sentences": 0}),
    ]:
        with pytest.raises(IndexStaleError, match="assistant index"):
            check_manifest(manifest, **{**ok, key: bad})  # type: ignore[arg-type]


def test_server_refuses_an_index_for_a_changed_corpus(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Oman hosted talks on Friday."})
    settings = make_settings(tmp_path, corpus=corpus)
    embedder = HashEmbedder()
    build_index(load_corpus(corpus), embedder, settings)
    Assistant.from_settings(settings, embedder)  # loads fine
    (corpus / "b.txt").write_text("A new document.", encoding="utf-8")
    with pytest.raises(IndexStaleError, match="corpus has changed"):
        Assistant.from_settings(settings, embedder)
    with pytest.raises(IndexStaleError, match="model"):
        Assistant.from_settings(settings, HashEmbedder(dim=32))


def test_ensure_index_rebuilds_only_when_needed(tmp_path: Path, vector_store: str) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Oman hosted talks on Friday."})
    settings = make_settings(tmp_path, corpus=corpus, model="hash-64", vector_store=vector_store)
    embedder = HashEmbedder()
    first = ensure_index(settings, lambda: embedder)
    assert first.rebuilt
    calls = embedder.calls
    second = ensure_index(settings, lambda: embedder)
    assert not second.rebuilt and embedder.calls == calls
    (corpus / "a.txt").write_text("Changed text.", encoding="utf-8")
    third = ensure_index(settings, lambda: embedder)
    assert third.rebuilt and "corpus has changed" in third.reason


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="run `assistant index`"):
        load_index(tmp_path / "none")


@pytest.mark.parametrize("victim", ["passages.faiss", "sentences.npy", "corpus.sqlite"])
def test_truncated_file_is_detected(tmp_path: Path, victim: str) -> None:
    settings = make_settings(tmp_path)
    build_index(load_corpus(settings.corpus_dir), HashEmbedder(), settings)
    path = current_build_dir(settings.index_dir) / victim
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IndexCorruptError, match="assistant index --force"):
        load_index(settings.index_dir)


def test_broken_manifest_is_reported(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    build_index(load_corpus(settings.corpus_dir), HashEmbedder(), settings)
    (current_build_dir(settings.index_dir) / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="manifest"):
        load_index(settings.index_dir)


def test_failed_build_leaves_previous_index_live(tmp_path: Path, vector_store: str) -> None:
    # short passages in blocks of 16, so that the build dies after storing some vectors
    settings = make_settings(
        tmp_path, vector_store=vector_store, passage_max_chars=100, embed_batch_size=1
    )
    documents = load_corpus(settings.corpus_dir)
    first = build_index(documents, HashEmbedder(), settings)
    assert first.passages > 32

    class Exploding(HashEmbedder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            if self.calls >= 16:
                raise RuntimeError("killed mid-build")
            return super().encode(texts)

    # a changed corpus, so the build has to embed (an unchanged one would find every
    # vector already stored in Milvus and need no embedder call at all)
    changed = [*documents, Document("extra", "Extra", "An extra note on the talks in Oman.")]
    with pytest.raises(RuntimeError):
        build_index(changed, Exploding(), settings)
    assert load_index(settings.index_dir).manifest == first
    builds = list((settings.index_dir / "builds").iterdir())
    assert len(builds) == 1  # the half-written build was removed
    manifest = json.loads((builds[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["passages"] == first.passages


def test_large_corpora_get_hnsw_with_recall_close_to_exact() -> None:
    from assistant.search.vectors import build_faiss_index, index_kind

    rng = np.random.default_rng(3)
    centres = rng.standard_normal((50, 32))
    vectors = centres[rng.integers(0, 50, 3000)] + 0.4 * rng.standard_normal((3000, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    queries = (vectors[:100] + 0.1 * rng.standard_normal((100, 32))).astype(np.float32)
    exact = build_faiss_index(vectors, hnsw_min_vectors=10_000)
    approx = build_faiss_index(vectors, hnsw_min_vectors=1000)
    assert (index_kind(exact), index_kind(approx)) == ("flat", "hnsw")
    _, truth = exact.search(queries, 10)
    _, found = approx.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
    assert recall >= 0.95
    np.testing.assert_allclose(approx.reconstruct(7), vectors[7], atol=1e-6)
