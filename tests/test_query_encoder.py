"""The int8 ONNX query encoder lands in the fp32 model's space."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embed import OnnxInt8QueryEmbedder, SentenceTransformerEmbedder
from assistant.pipeline import Assistant

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
