"""A running server follows builds made live by another process (`assistant index`,
another replica) and refuses ones built for another configuration."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest

from assistant.corpus.ingest import load_corpus
from assistant.pipeline import Assistant
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index
from tests.conftest import make_settings, serve, write_corpus

_FIRST = {"talks.txt": "Talks in Oman\n\nThe talks between the two delegations were held in Oman."}
_SECOND = {
    "zebras.txt": "Zebra migration\n\nEvery year the zebra herds migrate from Tanzania "
    "into the Masai Mara in Kenya."
}


def _assistant(tmp_path: Path, **overrides: object) -> tuple[Assistant, Path]:
    corpus = write_corpus(tmp_path / "corpus", _FIRST)
    settings = make_settings(tmp_path, corpus=corpus, **overrides)
    embedder = HashEmbedder()
    build_index(load_corpus(corpus), embedder, settings)
    return Assistant.from_settings(settings, embedder), corpus


def test_server_switches_to_a_build_made_live_elsewhere(tmp_path: Path) -> None:
    bot, corpus = _assistant(tmp_path, reload_interval_s=0.2)
    question = {"question": "Where do the zebra herds migrate every year?"}
    with serve(bot) as url:
        before = httpx.get(f"{url}/healthz").json()
        assert httpx.post(f"{url}/v1/ask", json=question).json()["answered"] is False
        # what `assistant index` does in another process: a new build, made live
        write_corpus(corpus, _SECOND)
        build_index(load_corpus(corpus), HashEmbedder(), bot.settings)
        deadline = time.monotonic() + 15
        while httpx.get(f"{url}/healthz").json()["index_version"] == before["index_version"]:
            assert time.monotonic() < deadline, "the server never switched to the new build"
            time.sleep(0.1)
        health = httpx.get(f"{url}/healthz").json()
        assert health["documents"] == 2
        body = httpx.post(f"{url}/v1/ask", json=question).json()
        assert body["answered"] and "Masai Mara" in body["citations"][0]["quote"]


def test_a_build_for_other_settings_is_refused_once_and_the_old_one_serves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot, corpus = _assistant(tmp_path, reload_interval_s=0)
    serving = bot.index_version
    write_corpus(corpus, _SECOND)
    other = bot.settings.model_copy(update={"passage_max_chars": 300})
    build_index(load_corpus(corpus), HashEmbedder(), other)
    with caplog.at_level(logging.WARNING, logger="assistant.pipeline"):
        assert bot.reload_if_changed() is False
        assert bot.reload_if_changed() is False
    assert bot.index_version == serving and len(bot.list_documents()) == 1
    refusals = [r for r in caplog.records if "still serving build" in r.getMessage()]
    assert len(refusals) == 1 and "chunking" in refusals[0].getMessage()
    # a build that fits comes next and is taken
    build_index(load_corpus(corpus), HashEmbedder(), bot.settings)
    assert bot.reload_if_changed() is True
    assert len(bot.list_documents()) == 2 and bot.index_version != serving
    assert bot.reload_if_changed() is False  # nothing new since
