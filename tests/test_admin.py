"""Document admin over HTTP: add, replace, delete without a restart; answers stay
consistent while the index is rebuilt under a running client loop."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from assistant.corpus.ingest import load_corpus
from assistant.pipeline import Assistant
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index
from tests.conftest import SEEDS, make_settings, serve

KEY = {"Authorization": "Bearer admin-key"}


def _bot(tmp_path: Path, **overrides: object) -> Assistant:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = make_settings(tmp_path, corpus=corpus, rate_limit=None, **overrides)
    embedder = HashEmbedder()
    build_index(load_corpus(corpus), embedder, settings)
    return Assistant.from_settings(settings, embedder)


@pytest.fixture()
def server(tmp_path: Path, vector_store: str) -> Iterator[tuple[str, Assistant]]:
    bot = _bot(tmp_path, api_keys=SecretStr("admin-key"), vector_store=vector_store)
    with serve(bot) as url:
        yield url, bot


def test_admin_is_disabled_without_keys(tmp_path: Path) -> None:
    with serve(_bot(tmp_path)) as url:
        r = httpx.post(f"{url}/v1/documents", json={"id": "x", "text": "Some text."})
        assert r.status_code == 403 and "ASSISTANT_API_KEYS" in r.json()["message"]
        assert httpx.delete(f"{url}/v1/documents/x").status_code == 403


def test_add_replace_delete_without_restart(server: tuple[str, Assistant]) -> None:
    url, bot = server
    body = {
        "id": "notes/zebra",
        "title": "Zebra notes",
        "published": "2026-02-10",
        "text": "Zebras graze on the savanna of Kenya.",
    }
    assert httpx.post(f"{url}/v1/documents", json=body).status_code == 401  # needs the key
    r = httpx.post(f"{url}/v1/documents", json=body, headers=KEY, timeout=60)
    assert r.status_code == 200, r.text
    change = r.json()
    assert (change["added"], change["changed"], change["removed"]) == (1, 0, 0)
    assert change["index_version"] == httpx.get(f"{url}/healthz").json()["index_version"]
    doc = httpx.get(f"{url}/v1/documents/notes/zebra", headers=KEY).json()
    assert doc["title"] == "Zebra notes" and doc["published"] == "2026-02-10"
    assert (Path(bot.settings.corpus_dir) / "notes" / "zebra.txt").is_file()  # survives restarts
    answer = httpx.post(
        f"{url}/v1/ask", json={"question": "Where do zebras graze?"}, headers=KEY
    ).json()
    assert any(c["doc_id"] == "notes/zebra" for c in answer["citations"] + answer["closest"])
    body["text"] = "Zebras graze on the plains of Tanzania."
    r = httpx.post(f"{url}/v1/documents", json=body, headers=KEY, timeout=60)
    assert (r.json()["changed"], r.json()["unchanged"]) == (1, 1)
    r = httpx.delete(f"{url}/v1/documents/notes/zebra", headers=KEY, timeout=60)
    assert r.status_code == 200 and r.json()["removed"] == 1
    assert httpx.get(f"{url}/v1/documents/notes/zebra", headers=KEY).status_code == 404
    assert not (Path(bot.settings.corpus_dir) / "notes" / "zebra.txt").exists()


@pytest.mark.parametrize("bad", ["../escape", "/abs", "a/../b", "-x", "a b"])
def test_bad_document_ids_are_refused(server: tuple[str, Assistant], bad: str) -> None:
    url, bot = server
    r = httpx.post(f"{url}/v1/documents", json={"id": bad, "text": "x"}, headers=KEY)
    assert r.status_code == 422
    assert not any(Path(bot.settings.corpus_dir).parent.glob("escape*"))


def test_answers_stay_consistent_while_documents_change(server: tuple[str, Assistant]) -> None:
    url, bot = server
    versions = [
        "Zebras in version one are striped and graze in Kenya.",
        "Zebras in version two are black and white and roam in Namibia.",
    ]
    seen_text: dict[str, str] = {bot.index_version: ""}
    stop = threading.Event()
    failures: list[str] = []
    answers: list[dict[str, object]] = []

    def ask_loop() -> None:
        with httpx.Client(base_url=url, headers=KEY, timeout=60) as client:
            while not stop.is_set():
                r = client.post("/v1/ask", json={"question": "Where do the zebras live?"})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                else:
                    answers.append(r.json())

    threads = [threading.Thread(target=ask_loop) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for round_ in range(6):
            text = versions[round_ % 2]
            r = httpx.post(
                f"{url}/v1/documents", json={"id": "zebra", "text": text}, headers=KEY, timeout=60
            )
            assert r.status_code == 200, r.text
            seen_text[r.json()["index_version"]] = text
        deadline = time.monotonic() + 60  # a slow machine: keep asking until enough answers
        while len(answers) <= 10 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert failures == []
    assert len(answers) > 10
    versions_seen = set()
    for answer in answers:
        version = str(answer["index_version"])
        assert version in seen_text, "every answer names a build that was live"
        versions_seen.add(version)
        for c in answer["citations"] + answer["closest"]:  # type: ignore[operator]
            if c["doc_id"] == "zebra":
                assert seen_text[version][c["start"] : c["end"]] == c["quote"]
    assert len(versions_seen) >= 2
