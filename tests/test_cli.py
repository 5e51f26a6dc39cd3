"""The console script, run as a user runs it (a subprocess, the real model)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROMPTS, SEEDS, run_cli


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    return {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(tmp_path / "seeds"),
        "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
        "ASSISTANT_PROMPTS_DIR": str(PROMPTS),
        "COLUMNS": "200",
    }


def test_ask_without_index_explains_the_fix(env: dict[str, str]) -> None:
    result = run_cli("ask", "Where were the talks held?", env=env)
    assert result.returncode == 2
    assert "run `assistant index`" in result.stderr


def test_a_bad_setting_names_the_variable_and_what_it_accepts(env: dict[str, str]) -> None:
    result = run_cli("ask", "Where were the talks held?", env={**env, "ASSISTANT_FUSION": "foo"})
    assert result.returncode == 2
    assert "ASSISTANT_FUSION='foo'" in result.stderr
    assert "'convex' or 'rrf'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_index_then_ask(env: dict[str, str], tmp_path: Path) -> None:
    built = run_cli("index", env=env)
    assert built.returncode == 0, built.stderr
    assert "index built" in built.stdout and "1 documents" in built.stdout
    again = run_cli("index", env=env)
    assert "up to date" in again.stdout
    answer = run_cli("ask", "Where were the talks held?", env=env)
    assert answer.returncode == 0, answer.stderr
    assert "Oman" in answer.stdout and "[1]" in answer.stdout
    assert "Sources" in answer.stdout and "000_a1b2fa8f02a3a778 [" in answer.stdout
    # a changed corpus is rebuilt by `index` and refused by `ask`
    (tmp_path / "seeds" / "extra.md").write_text("# Extra\nA new note.", encoding="utf-8")
    stale = run_cli("ask", "Where were the talks held?", env=env)
    assert stale.returncode == 2 and "corpus has changed" in stale.stderr
    rebuilt = run_cli("index", env=env)
    assert "index built" in rebuilt.stdout and "2 documents" in rebuilt.stdout


@pytest.mark.slow
def test_index_and_ask_with_vectors_in_milvus(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "ASSISTANT_VECTOR_STORE": "milvus"}
    built = run_cli("index", env=env)
    assert built.returncode == 0, built.stderr
    assert "index built" in built.stdout and "embedding passages" in built.stderr
    assert "Traceback" not in built.stderr  # nothing from Milvus Lite's server either
    assert (tmp_path / "index" / "milvus.db").exists()  # Milvus Lite's file
    answer = run_cli("ask", "Where were the talks held?", env=env)
    assert answer.returncode == 0, answer.stderr
    assert "Oman" in answer.stdout and "[1]" in answer.stdout
    # the same index read with the FAISS setting is refused with the fix
    faiss = run_cli(
        "ask", "Where were the talks held?", env={**env, "ASSISTANT_VECTOR_STORE": "faiss"}
    )
    assert faiss.returncode == 2 and "vectors in milvus, settings say faiss" in faiss.stderr
    # a bad Milvus URI is a clear error, not a traceback
    bad = {**env, "ASSISTANT_MILVUS_URI": "http://127.0.0.1:9"}
    failed = run_cli("ask", "Where were the talks held?", env=bad)
    assert failed.returncode == 2 and "ASSISTANT_MILVUS_URI" in failed.stderr
    assert "Traceback" not in failed.stderr


@pytest.mark.slow
def test_serve_answers_and_logs_one_json_line_per_request(env: dict[str, str]) -> None:
    """`assistant serve` as a user starts it: answers over HTTP, and the access log has
    one JSON line per request with the request id the client sent."""
    import json
    import socket
    import time

    import httpx

    assert run_cli("index", env=env).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        env={**env, "ASSISTANT_RATE_LIMIT": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.3)
        r = httpx.post(
            f"{base}/v1/ask",
            json={"question": "Where were the talks held?"},
            headers={"X-Request-ID": "test-req-42"},
            timeout=60,
        )
        assert r.status_code == 200 and r.headers["x-request-id"] == "test-req-42"
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    lines = [json.loads(x[x.index("{") :]) for x in err.splitlines() if '"request_id"' in x]
    asks = [x for x in lines if x["path"] == "/v1/ask"]
    assert len(asks) == 1 and asks[0]["request_id"] == "test-req-42"
    assert asks[0]["status"] == 200 and asks[0]["ms"] > 0
    assert "POST /v1/ask HTTP" not in out + err  # no second, plain access line
