"""Query encoders: the fp32 weights in ONNX Runtime (the default) give the torch model's
vectors and answers; the int8 ONNX MiniLM lands in the fp32 model's space."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import yaml

from assistant.pipeline import Assistant
from assistant.search.embed import HashEmbedder, SentenceTransformerEmbedder
from assistant.search.query_encoder import (
    OnnxInt8QueryEmbedder,
    OnnxQueryEmbedder,
    query_embedder_for,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_int8_vectors_match_fp32(real_embedder: SentenceTransformerEmbedder) -> None:
    int8 = OnnxInt8QueryEmbedder()
    texts = ["Where were the talks held?", "Who is Iran's foreign minister?", "x"]
    a, b = int8.encode(texts), real_embedder.encode(texts)
    assert a.shape == b.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.99
    assert int8.name == real_embedder.name  # searches an index built with fp32


def test_assistant_uses_int8_for_questions_when_configured(real_assistant: Assistant) -> None:
    settings = real_assistant.settings.model_copy(update={"query_encoder": "int8"})
    bot = Assistant(settings, real_assistant.embedder, real_assistant.data)
    assert isinstance(bot.query_embedder, OnnxInt8QueryEmbedder)
    answer = bot.ask("Where were the weekend talks held?")
    assert answer.answered and "Oman" in " ".join(c.quote for c in answer.citations)


_TEXTS = [
    "Where were the talks held?",
    "Who is Iran's foreign minister?",
    "x",
    "Ünïcödé — “quotes”; 9 February 2026, $1,000!",
    " ".join(["Netanyahu arrives in Washington to press Trump on Iran."] * 60),  # truncated
]


def test_onnx_vectors_equal_torch(real_embedder: SentenceTransformerEmbedder, tmp_path) -> None:
    onnx = OnnxQueryEmbedder.load(real_embedder, tmp_path)
    assert onnx._fast is not None  # the packaged model takes the fast tokenizer/pooling path
    torch_vectors = real_embedder.encode(_TEXTS)
    for fast in (onnx._fast, None):  # then the model's own tokenizer and pooling modules
        onnx._fast = fast
        np.testing.assert_allclose(onnx.encode(_TEXTS), torch_vectors, atol=1e-5)  # one batch
        for text, expected in zip(_TEXTS, torch_vectors, strict=True):  # one at a time
            np.testing.assert_allclose(onnx.encode([text])[0], expected, atol=1e-5)
        assert onnx.encode([]).shape == (0, 384)
    assert (onnx.name, onnx.dim) == (real_embedder.name, real_embedder.dim)


def test_onnx_export_is_cached_and_keyed_by_the_model(
    real_embedder: SentenceTransformerEmbedder, tmp_path
) -> None:
    OnnxQueryEmbedder.load(real_embedder, tmp_path)
    (exported,) = tmp_path.glob("*.onnx")
    stamp = exported.stat().st_mtime_ns
    OnnxQueryEmbedder.load(real_embedder, tmp_path)
    assert [p for p in tmp_path.iterdir()] == [exported]  # no temp files left behind
    assert exported.stat().st_mtime_ns == stamp  # loaded, not exported again
    assert real_embedder.name in exported.name


def test_broken_export_falls_back_to_torch(
    real_embedder: SentenceTransformerEmbedder, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    OnnxQueryEmbedder.load(real_embedder, tmp_path)
    (exported,) = tmp_path.glob("*.onnx")
    exported.write_bytes(b"not an onnx model")
    with caplog.at_level(logging.WARNING, logger="assistant.search.query_encoder"):
        chosen = query_embedder_for(real_embedder, "onnx", tmp_path)
    assert chosen is real_embedder
    assert "ASSISTANT_QUERY_ENCODER=fp32" in caplog.text
    assert query_embedder_for(real_embedder, "fp32", tmp_path) is real_embedder


def test_fake_embedder_is_used_as_is(tmp_path) -> None:
    fake = HashEmbedder()
    assert query_embedder_for(fake, "onnx", tmp_path) is fake
    assert query_embedder_for(fake, "int8", tmp_path) is fake  # int8 is the packaged MiniLM


def test_default_assistant_answers_exactly_as_with_torch(real_assistant: Assistant) -> None:
    """Every gold question: the same answer, confidence and citations through ONNX Runtime
    (the default) as through torch."""
    assert isinstance(real_assistant.query_embedder, OnnxQueryEmbedder)
    settings = real_assistant.settings.model_copy(update={"query_encoder": "fp32"})
    torch_bot = Assistant(settings, real_assistant.embedder, real_assistant.data)
    assert torch_bot.query_embedder is real_assistant.embedder
    assert (real_assistant.query_encoder_kind, torch_bot.query_encoder_kind) == ("onnx", "fp32")
    gold = yaml.safe_load((ROOT / "evals" / "gold.yaml").read_text(encoding="utf-8"))
    questions = [c["question"] for c in gold["cases"] if c.get("question")]
    assert len(questions) >= 40
    for question in questions:
        a, b = real_assistant.ask(question), torch_bot.ask(question)
        assert (a.answered, a.text, a.citations) == (b.answered, b.text, b.citations), question
        assert a.confidence == pytest.approx(b.confidence, abs=1e-4), question


def test_unwritable_cache_falls_back_to_torch_and_says_how_to_fix_it(
    real_embedder: SentenceTransformerEmbedder, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="assistant.search.query_encoder"):
        chosen = query_embedder_for(real_embedder, "onnx", blocked / "cache")
    assert chosen is real_embedder
    assert "ASSISTANT_MODEL_CACHE_DIR" in caplog.text
