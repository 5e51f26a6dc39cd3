"""Shared fixtures: a fake-embedder assistant (fast) and the real packaged model (slow)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.corpus.ingest import load_corpus
from assistant.pipeline import Assistant
from assistant.search.embed import Embedder, HashEmbedder, SentenceTransformerEmbedder
from assistant.search.indexing import build_index
from assistant.search.store import IndexData
from assistant.settings import Settings
from benchmarks.serving import free_port

ROOT = Path(__file__).resolve().parents[1]

# The ONNX export of the query encoder is cached under $XDG_CACHE_HOME: keep the test
# run's export out of the user's home (server subprocesses inherit it too).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="assistant-tests-cache-")
SEEDS = ROOT / "seeds"
PROMPTS = ROOT / "prompts"


def make_settings(tmp: Path, corpus: Path = SEEDS, **overrides: object) -> Settings:
    """Settings pointing at a corpus and a private index folder."""
    values: dict[str, object] = {
        "corpus_dir": corpus,
        "index_dir": tmp / "index",
        "prompts_dir": PROMPTS,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    """Create a corpus folder from {relative path: text}."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


# Every store test runs against both vector stores: the embedded FAISS store and Milvus
# (the real engine, in process, through Milvus Lite and a local file).
VECTOR_STORES = ["faiss", "milvus"]


@pytest.fixture(params=VECTOR_STORES)
def vector_store(request: pytest.FixtureRequest) -> str:
    """'faiss' or 'milvus': pass as make_settings(..., vector_store=vector_store)."""
    store: str = request.param
    return store


@pytest.fixture()
def hash_embedder() -> HashEmbedder:
    return HashEmbedder(dim=64)


@pytest.fixture()
def fake_assistant(tmp_path: Path, hash_embedder: HashEmbedder) -> Assistant:
    """The real pipeline over seeds/, with the deterministic fake embedder."""
    settings = make_settings(tmp_path)
    build_index(load_corpus(settings.corpus_dir), hash_embedder, settings)
    return Assistant.from_settings(settings, hash_embedder)


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once per test run."""
    return SentenceTransformerEmbedder()


def corpus_assistant(
    tmp: Path, files: dict[str, str], embedder: Embedder | None = None, **overrides: object
) -> Assistant:
    """The pipeline over a corpus written from {relative path: text} into `tmp`/c, index
    built with `embedder` (the hash fake by default)."""
    corpus = write_corpus(tmp / "c", files)
    settings = make_settings(tmp, corpus=corpus, **overrides)
    embedder = embedder or HashEmbedder()
    build_index(load_corpus(corpus), embedder, settings)
    return Assistant.from_settings(settings, embedder)


def seed_assistant(tmp: Path, embedder: Embedder, **overrides: object) -> Assistant:
    """The pipeline over a private copy of seeds/, index built with `embedder`."""
    corpus = tmp / "seeds"
    shutil.copytree(SEEDS, corpus)
    settings = make_settings(tmp, corpus=corpus, **overrides)
    build_index(load_corpus(corpus), embedder, settings)
    return Assistant.from_settings(settings, embedder)


def assert_vectors_are_encodings(data: IndexData, embedder: Embedder) -> None:
    """Every stored passage and sentence vector equals a fresh encoding of its text."""
    for passage in data.passages:
        np.testing.assert_allclose(
            data.passage_store.get([passage.passage_id])[0],
            embedder.encode([passage.text])[0],
            atol=1e-6,
        )
    for sentence in data.sentences:
        np.testing.assert_allclose(
            data.sentence_store.get([sentence.sentence_id])[0],
            embedder.encode([sentence.text])[0],
            atol=1e-6,
        )


@pytest.fixture(scope="session")
def real_assistant(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Assistant:
    """The shipped pipeline over a copy of seeds/ with the real model."""
    return seed_assistant(tmp_path_factory.mktemp("real"), real_embedder)


@contextmanager
def serve(assistant: Assistant, slack_app: object = None) -> Iterator[str]:
    """Run a real uvicorn server on a free loopback port for `assistant`; yield its URL."""
    import uvicorn

    from assistant.serve.api import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(assistant.settings, assistant=assistant, slack_app=slack_app),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


SlackReply = tuple[int, dict[str, object], dict[str, str]]  # status, JSON body, headers


def slack_api_stand_in(respond: Callable[[str, dict[str, object]], SlackReply]) -> tuple[Any, str]:
    """A loopback HTTP server standing in for Slack's Web API: each POST /api/<method>
    (JSON or form body) is answered by `respond(method, body)`; returns (server, base URL)."""
    import json
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            if "json" in self.headers.get("content-type", "") or raw.startswith("{"):
                body = json.loads(raw or "{}")
            else:
                body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
            status, reply, headers = respond(self.path.strip("/").split("/")[-1], body)
            payload = json.dumps(reply).encode()
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/api/"


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m assistant.cli ARGS` as a user runs it, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="session")
def live_server(real_assistant: Assistant) -> Iterator[str]:
    """A real uvicorn server on loopback serving the real assistant; yields its base URL."""
    with serve(real_assistant) as url:
        yield url


@pytest.fixture(scope="session")
def milvus_assistant(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Assistant:
    """The shipped pipeline over seeds/ with its vectors in Milvus (Lite)."""
    return seed_assistant(tmp_path_factory.mktemp("milvus"), real_embedder, vector_store="milvus")


@pytest.fixture(scope="session", params=VECTOR_STORES)
def store_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real server over the real assistant, once per vector store."""
    name = "real_assistant" if request.param == "faiss" else "milvus_assistant"
    with serve(request.getfixturevalue(name)) as url:
        yield url
