"""The Milvus vector store (through Milvus Lite, the real engine in process): resumable
streaming builds, migration from FAISS, housekeeping and clear errors. The shared store
behaviour (round trip, incremental add/delete, admin, end-to-end answers) runs for both
stores through the `vector_store` fixture in the other test files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import IndexCorruptError, IndexStaleError
from assistant.evals.evaluate import load_gold
from assistant.pipeline import Assistant
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import ensure_index, load_live_index
from assistant.search.milvus import client_for, count_rows
from assistant.search.store import check_manifest, load_index
from tests.conftest import ROOT, assert_vectors_are_encodings, make_settings, write_corpus

_BUILD = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import ensure_index
from assistant.settings import Settings
settings = Settings(corpus_dir=Path({corpus!r}), index_dir=Path({index!r}),
                    vector_store="milvus", model="hash-64", embed_batch_size=4,
                    passage_vectors={vectors!r})
def progress(stage, done, total):
    print(stage, done, total, flush=True)
ensure_index(settings, lambda: HashEmbedder(), progress=progress)
print("done", flush=True)
"""


def _corpus(folder: Path, n: int = 200) -> Path:
    def text(i: int) -> str:
        items = (f"Item {j} concerns region {i * j % 31} and year {1990 + j}." for j in range(24))
        return f"Report {i}. " + " ".join(items)

    return write_corpus(folder, {f"doc{i:03d}.txt": text(i) for i in range(n)})


def _ids(settings_uri: str, name: str) -> list[int]:
    from assistant.search.milvus import MilvusConfig

    client = client_for(MilvusConfig(uri=settings_uri))
    rows = client.query(name, filter="id >= 0", output_fields=["id"], limit=16_384)
    return sorted(int(r["id"]) for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("vectors", ["encode", "late"])
def test_sigkilled_build_resumes_without_duplicates(tmp_path: Path, vectors: str) -> None:
    corpus = _corpus(tmp_path / "c")
    settings = make_settings(
        tmp_path, corpus=corpus, vector_store="milvus", model="hash-64", passage_vectors=vectors
    )
    script = _BUILD.format(
        root=str(ROOT), corpus=str(corpus), index=str(settings.index_dir), vectors=vectors
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    blocks = 0
    for line in proc.stdout:  # kill it once a few blocks of passages have been streamed
        if line.startswith("passages"):
            blocks += 1
        if blocks == 3:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (settings.index_dir / "CURRENT").exists()  # nothing went live

    embedder = HashEmbedder()
    result = ensure_index(settings, lambda: embedder)
    delta = result.delta
    assert delta is not None and result.rebuilt
    total = delta.embedded_passages + delta.embedded_sentences
    assert delta.resumed_rows >= 3 * 4 * 16  # at least the three blocks it reported
    manifest = result.manifest
    if vectors == "encode":
        assert embedder.calls == total - delta.resumed_rows  # nothing stored was re-embedded
    else:  # a reported block stored its passages and their pooled sentences
        assert embedder.calls <= manifest.passages - 3 * 4 * 16
    uri = str(settings.index_dir / "milvus.db")
    for kind, count in (("passages", manifest.passages), ("sentences", manifest.sentences)):
        name = manifest.vector_store[kind]
        assert _ids(uri, name) == list(range(count))  # every row once
    assert_vectors_are_encodings(load_live_index(settings), HashEmbedder())


def test_faiss_and_milvus_give_the_same_answers(tmp_path: Path) -> None:
    gold = load_gold(ROOT / "evals" / "gold.yaml")
    bots = {}
    for store in ("faiss", "milvus"):
        settings = make_settings(tmp_path / store, model="hash-64", vector_store=store)
        embedder = HashEmbedder()
        ensure_index(settings, lambda e=embedder: e)  # type: ignore[misc]
        bots[store] = Assistant.from_settings(settings, embedder)
    questions = [q for case in gold.cases for q in case.questions]
    assert len(questions) >= 40
    for question in questions:
        a, b = (bots[s].ask(question) for s in ("faiss", "milvus"))
        assert a.text == b.text, question
        assert [c.quote for c in a.citations] == [c.quote for c in b.citations]


def test_switching_to_milvus_moves_vectors_without_embedding(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, model="hash-64")
    embedder = HashEmbedder()
    ensure_index(settings, lambda: embedder)
    before = load_index(settings.index_dir)
    milvus = settings.model_copy(update={"vector_store": "milvus"})
    with pytest.raises(IndexStaleError, match="vectors in faiss, settings say milvus"):
        check_manifest(
            before.manifest,
            model="hash-64",
            corpus_fingerprint=None,
            chunking=before.manifest.chunking,
            vector_store="milvus",
        )
    embedder.calls = 0
    result = ensure_index(milvus, lambda: embedder)
    assert result.rebuilt and embedder.calls == 0
    after = load_live_index(milvus)
    assert after.passage_store.kind == "milvus"
    rows = list(range(len(before.passages)))
    np.testing.assert_array_equal(after.passage_store.get(rows), before.passage_store.get(rows))
    sentence_rows = list(range(len(before.sentences)))
    np.testing.assert_array_equal(
        after.sentence_store.get(sentence_rows), before.sentence_store.get(sentence_rows)
    )


def test_old_collections_are_dropped_and_missing_ones_reported(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Talks were held in Oman on Friday."})
    settings = make_settings(tmp_path, corpus=corpus, model="hash-64", vector_store="milvus")
    for i in range(4):
        (corpus / f"n{i}.txt").write_text(f"Note {i} about the talks.", encoding="utf-8")
        ensure_index(settings, HashEmbedder)
    config = settings.milvus_config()
    client = client_for(config)
    ours = [n for n in client.list_collections() if n.startswith("assistant_")]
    assert len(ours) == 4  # the live build's two collections and the previous build's two
    manifest = load_live_index(settings).manifest
    assert count_rows(client, manifest.vector_store["passages"]) == manifest.passages
    client.drop_collection(manifest.vector_store["sentences"])
    with pytest.raises(IndexCorruptError, match="assistant index --force"):
        load_live_index(settings)
    rebuilt = ensure_index(settings, HashEmbedder, force=True)
    assert rebuilt.rebuilt
    assert load_live_index(settings).manifest == rebuilt.manifest


def test_collection_prefix_is_validated() -> None:
    from pydantic import ValidationError

    from assistant.settings import Settings

    with pytest.raises(ValidationError, match="milvus_collection"):
        Settings(milvus_collection="bad-name; drop")
