"""Late chunking with the real model: sentence vectors pooled from passage tokens."""

from __future__ import annotations

import numpy as np

from assistant.search.embed import SentenceTransformerEmbedder, pool_spans


def test_pooled_passage_vectors_equal_encode(real_embedder: SentenceTransformerEmbedder) -> None:
    texts = [
        "Talks were held in Muscat, Oman. Witkoff led the US side.",
        "  Leading spaces and a café in Zürich.",
        "Short.",
    ]
    spans = [[(0, 32), (33, 57)], [(2, 38)], [(0, 6)]]
    vectors, pooled = real_embedder.encode_spans(texts, spans)
    np.testing.assert_allclose(vectors, real_embedder.encode(texts), atol=1e-5)
    for text_spans, rows in zip(spans, pooled, strict=True):
        assert rows.shape == (len(text_spans), real_embedder.dim)
        np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    # a sentence pooled in context stays closer to itself encoded alone than to the other
    alone = real_embedder.encode(["Talks were held in Muscat, Oman.", "Witkoff led the US side."])
    similarity = pooled[0] @ alone.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]


def test_spans_past_the_token_limit_are_left_to_the_caller(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    first = "The first sentence is short."
    filler = " ".join(f"word{i}" for i in range(400)) + "."
    text = f"{first} {filler} The last sentence is never read."
    last = (text.index("The last"), len(text))
    _, pooled = real_embedder.encode_spans([text], [[(0, len(first)), last]])
    assert np.linalg.norm(pooled[0][0]) > 0.99  # read whole
    assert not pooled[0][1].any()  # past 256 tokens: zeros, encoded alone by the indexer


def test_pool_spans_skips_special_tokens_and_empty_spans() -> None:
    hidden = np.array([[9.0, 9.0], [1.0, 0.0], [0.0, 1.0], [9.0, 9.0]], dtype=np.float32)
    offsets = np.array([[0, 0], [0, 3], [4, 7], [0, 0]], dtype=np.int64)  # [CLS] a b [SEP]
    out = pool_spans(hidden, offsets, [(0, 3), (0, 7), (8, 9)], read_until=7)
    np.testing.assert_allclose(out[0], [1.0, 0.0])
    np.testing.assert_allclose(out[1], [2**-0.5, 2**-0.5], atol=1e-6)
    assert not out[2].any()


def test_bulk_encoding_by_token_count_equals_sentence_transformers(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    # more texts than one batch, of very different lengths, so batches are cut by tokens
    texts = [" ".join(["Oman hosted talks"] * (1 + i % 23)) + f" (item {i})." for i in range(150)]
    texts += ["", "é", "a " * 3000]
    ours = real_embedder.encode(texts)
    theirs = real_embedder.model.encode(texts, normalize_embeddings=True, batch_size=64)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    vectors, pooled = real_embedder.encode_spans(texts, [[(0, len(t))] if t else [] for t in texts])
    np.testing.assert_allclose(vectors, theirs, atol=1e-5)
    assert not pooled[-1].any()  # 3,000 words: cut by the token limit, left to the caller
