"""Killing the indexer with SIGKILL at arbitrary moments never leaves an unloadable index."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.corpus.ingest import corpus_fingerprint, load_corpus
from assistant.errors import IndexMissingError
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index
from assistant.search.store import load_index
from tests.conftest import ROOT, make_settings, write_corpus

pytestmark = pytest.mark.slow

_BUILD = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index
from assistant.corpus.ingest import load_corpus
from assistant.settings import Settings
settings = Settings(corpus_dir=Path({corpus!r}), index_dir=Path({index!r}))
print("start", flush=True)
build_index(load_corpus(settings.corpus_dir), HashEmbedder(), settings)
print("done", flush=True)
"""


def _corpus(folder: Path, version: str, n: int = 200) -> Path:
    return write_corpus(
        folder,
        {
            f"doc{i:04d}.txt": f"Document {i} of version {version}. "
            + " ".join(f"Sentence {j} about topic {i * j % 97} in {version}." for j in range(12))
            for i in range(n)
        },
    )


def test_sigkill_during_indexing_keeps_a_loadable_index(tmp_path: Path) -> None:
    corpus_a = _corpus(tmp_path / "a", "alpha")
    corpus_b = _corpus(tmp_path / "b", "beta")
    settings = make_settings(tmp_path, corpus=corpus_a)
    build_index(load_corpus(corpus_a), HashEmbedder(), settings)
    fingerprints = {
        corpus_fingerprint(load_corpus(corpus_a)),
        corpus_fingerprint(load_corpus(corpus_b)),
    }
    # how long a full build takes here, to spread the kills over it
    script = _BUILD.format(root=str(ROOT), corpus=str(corpus_b), index=str(settings.index_dir))
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    duration = time.monotonic() - started
    build_index(load_corpus(corpus_a), HashEmbedder(), settings)  # back to A
    outcomes = []
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.85, 0.95):
        proc = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        time.sleep(duration * fraction)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        data = load_index(settings.index_dir)  # never corrupt, never partial
        assert data.manifest.corpus_fingerprint in fingerprints
        assert len(data.passage_store) == data.manifest.passages == len(data.passages)
        assert len(data.sentence_store) == data.manifest.sentences
        outcomes.append(data.manifest.corpus_fingerprint)
    # a re-run completes with the right counts, and leaves one build behind
    manifest = build_index(load_corpus(corpus_b), HashEmbedder(), settings)
    data = load_index(settings.index_dir)
    assert data.manifest == manifest
    assert manifest.documents == 200
    builds = list((settings.index_dir / "builds").iterdir())
    assert len(builds) == 1
    current = json.loads((builds[0] / "manifest.json").read_text(encoding="utf-8"))
    assert current["passages"] == len(data.passage_store)


def test_kill_before_the_first_build_leaves_no_index(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "a", "alpha", n=100)
    settings = make_settings(tmp_path, corpus=corpus)
    script = _BUILD.format(root=str(ROOT), corpus=str(corpus), index=str(settings.index_dir))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()  # "start": the build is under way
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    try:
        load_index(settings.index_dir)  # either finished in time, or cleanly missing
    except IndexMissingError as exc:
        assert "assistant index" in exc.message
