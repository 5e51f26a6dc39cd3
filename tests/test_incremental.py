"""Incremental indexing: only new or changed documents are embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.corpus.ingest import load_corpus
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import ensure_index, load_live_index, update_index
from assistant.search.store import load_index
from tests.conftest import assert_vectors_are_encodings, make_settings, write_corpus

DOCS = {
    "a.txt": "Alpha talks were held in Oman. They ended on Friday.",
    "b.txt": "Beta report on oil prices. Prices rose sharply.",
    "c.txt": "Gamma notes on the weather. It rained all week.",
}


def _sentences_and_passages(text: str) -> int:
    from assistant.corpus.chunk import chunk_documents
    from assistant.records import Document

    chunked = chunk_documents([Document("x", "x", text)])
    return len(chunked.sentences) + len(chunked.passages)


def test_only_new_and_changed_documents_are_embedded(tmp_path: Path, vector_store: str) -> None:
    corpus = write_corpus(tmp_path / "c", DOCS)
    # passages and sentences encoded apart, so every text counts (late: see below)
    settings = make_settings(
        tmp_path,
        corpus=corpus,
        model="hash-64",
        vector_store=vector_store,
        passage_vectors="encode",
    )
    embedder = HashEmbedder()
    first = ensure_index(settings, lambda: embedder)
    assert first.delta is not None and first.delta.added == 3
    before = load_index(settings.index_dir)
    embedder.calls = 0
    (corpus / "b.txt").write_text("Beta report on oil prices. Prices fell sharply.", "utf-8")
    (corpus / "c.txt").unlink()
    new_text = "Delta memo about trade. Exports grew."
    (corpus / "d.txt").write_text(new_text, "utf-8")
    result = ensure_index(settings, lambda: embedder)
    delta = result.delta
    assert delta is not None
    assert (delta.added, delta.changed, delta.removed, delta.unchanged) == (1, 1, 1, 1)
    expected = _sentences_and_passages(new_text) + _sentences_and_passages(
        "Beta report on oil prices. Prices fell sharply."
    )
    assert embedder.calls == expected  # a.txt was not re-embedded
    after = load_index(settings.index_dir)
    assert set(after.documents) == {"a", "b", "d"}
    # the kept document's vectors are carried over exactly, under new ids
    for old in (p for p in before.passages if p.doc_id == "a"):
        new = next(p for p in after.passages if p.doc_id == "a" and p.start == old.start)
        np.testing.assert_array_equal(
            after.passage_store.get([new.passage_id])[0],
            before.passage_store.get([old.passage_id])[0],
        )
        for sid in new.sentence_ids:
            sentence = after.sentences[sid]
            assert after.documents["a"].text[sentence.start : sentence.end] == sentence.text
    # every record and vector lines up with a fresh build of the same corpus
    assert_vectors_are_encodings(after, HashEmbedder())
    again = ensure_index(settings, lambda: embedder)
    assert not again.rebuilt


def test_another_model_means_a_full_build(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", DOCS)
    settings = make_settings(tmp_path, corpus=corpus)
    documents = load_corpus(corpus)
    update_index(documents, HashEmbedder(dim=64), settings)
    previous = load_index(settings.index_dir)
    other = HashEmbedder(dim=32)
    _, delta = update_index(documents, other, settings, previous=previous)
    assert delta.unchanged == 0 and delta.added == 3
    assert load_index(settings.index_dir).manifest.dim == 32


def test_passage_vectors_from_sentences_embed_sentences_only(
    tmp_path: Path, vector_store: str
) -> None:
    corpus = write_corpus(tmp_path / "c", DOCS)
    settings = make_settings(
        tmp_path,
        corpus=corpus,
        model="hash-64",
        vector_store=vector_store,
        passage_vectors="sentence_mean",
    )
    embedder = HashEmbedder()
    result = ensure_index(settings, lambda: embedder)
    data = load_live_index(settings)
    assert embedder.calls == len(data.sentences)  # no passage went through the encoder
    assert result.delta is not None and result.delta.embedded_passages == 0
    for passage in data.passages:
        mean = data.sentence_store.get(list(passage.sentence_ids)).mean(axis=0)
        np.testing.assert_allclose(
            data.passage_store.get([passage.passage_id])[0],
            mean / np.linalg.norm(mean),
            atol=1e-6,
        )
    # changing the setting back makes the index stale: a build with encoded passages
    encoded = settings.model_copy(update={"passage_vectors": "encode"})
    again = ensure_index(encoded, lambda: embedder)
    assert again.rebuilt and "chunking" in again.reason
    rebuilt = load_live_index(encoded)
    np.testing.assert_allclose(
        rebuilt.passage_store.get([0])[0],
        HashEmbedder().encode([rebuilt.passages[0].text])[0],
        atol=1e-6,
    )


def test_late_chunking_encodes_each_passage_once(tmp_path: Path, vector_store: str) -> None:
    corpus = write_corpus(tmp_path / "c", DOCS)
    settings = make_settings(
        tmp_path, corpus=corpus, model="hash-64", vector_store=vector_store, passage_vectors="late"
    )
    embedder = HashEmbedder()
    result = ensure_index(settings, lambda: embedder)
    data = load_live_index(settings)
    assert embedder.calls == len(data.passages)  # no sentence went through the encoder alone
    assert result.delta is not None
    assert (result.delta.embedded_passages, result.delta.embedded_sentences) == (len(DOCS), 0)
    assert result.delta.pooled_sentences == len(data.sentences)
    # the fake pools word vectors, so a pooled sentence equals the sentence encoded alone
    assert_vectors_are_encodings(data, HashEmbedder())
    # one changed document: only its passage is encoded again
    embedder.calls = 0
    (corpus / "b.txt").write_text("Beta report on oil prices. Prices fell sharply.", "utf-8")
    again = ensure_index(settings, lambda: embedder)
    assert again.delta is not None and again.delta.changed == 1
    assert embedder.calls == 1
    assert_vectors_are_encodings(load_live_index(settings), HashEmbedder())
    # the setting is part of the build: going back to separate encoding rebuilds
    encoded = settings.model_copy(update={"passage_vectors": "encode"})
    back = ensure_index(encoded, lambda: embedder)
    assert back.rebuilt and "chunking" in back.reason


def test_late_chunking_encodes_sentences_the_model_did_not_read_alone(tmp_path: Path) -> None:
    text = "One two three four. Five six seven eight. Nine ten eleven twelve."
    corpus = write_corpus(tmp_path / "c", {"long.txt": text})
    settings = make_settings(tmp_path, corpus=corpus, model="hash-64", passage_vectors="late")
    embedder = HashEmbedder(max_tokens=6)  # reads "One ... six": only the first sentence whole
    result = ensure_index(settings, lambda: embedder)
    data = load_live_index(settings)
    assert (len(data.passages), len(data.sentences)) == (1, 3)
    assert result.delta is not None and result.delta.embedded_sentences == 2
    assert result.delta.pooled_sentences == 1
    assert "2 sentences embedded; 1 sentence vectors pooled" in result.delta.summary()
    assert embedder.calls == 1 + 2
    assert_vectors_are_encodings(data, HashEmbedder())


def test_a_bm25_index_from_an_older_tokenizer_is_rebuilt_without_re_embedding(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Version 2 of the tokenizer reads British spellings as American. An index saved by
    version 1 (no tokens.json) is rebuilt in memory on load, so a question spelt either
    way finds "organisations"; `assistant index` then saves the new BM25 and embeds
    nothing."""
    from assistant.search.lexical import TOKENS_VERSION, saved_tokens_version
    from assistant.search.store import current_build_dir

    corpus = write_corpus(
        tmp_path / "c",
        {**DOCS, "e.txt": "Epsilon: the regional organisations met in the centre of town."},
    )
    settings = make_settings(tmp_path, corpus=corpus, model="hash-64")
    embedder = HashEmbedder()
    ensure_index(settings, lambda: embedder)
    bm25 = current_build_dir(settings.index_dir) / "bm25"
    assert saved_tokens_version(bm25) == TOKENS_VERSION == 3
    (bm25 / "tokens.json").unlink()  # as saved before versions
    with caplog.at_level("WARNING", logger="assistant.search.lexical"):
        data = load_index(settings.index_dir)
    assert "rebuilt in memory" in caplog.text
    scores = data.lexical.scores("organizations center")
    assert data.passages[int(scores.argmax())].doc_id == "e" and scores.max() > 0
    embedder.calls = 0
    result = ensure_index(settings, lambda: embedder)
    assert result.rebuilt and result.delta is not None and result.delta.unchanged == 4
    assert embedder.calls == 0
    assert saved_tokens_version(current_build_dir(settings.index_dir) / "bm25") == 3
    assert not ensure_index(settings, lambda: embedder).rebuilt
