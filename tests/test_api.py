"""The HTTP contract, on the real app with the fake embedder (fast)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.pipeline import Assistant
from assistant.serve.api import create_app


@pytest.fixture()
def client(fake_assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(fake_assistant.settings, assistant=fake_assistant)) as c:
        yield c


def test_ask_returns_cited_answer_shape(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "Where were the talks in Oman held?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"answered", "answer", "citations", "closest", "latency_ms"}
    assert body["answered"] is True
    assert 0.0 <= body["confidence"] <= 1.0
    doc = client.get(f"/v1/documents/{body['citations'][0]['doc_id']}").json()
    for c in body["citations"]:
        assert doc["text"][c["start"] : c["end"]] == c["quote"]


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        ({"question": ""}, 422, "empty"),
        ({"question": "   "}, 422, "empty"),
        ({"question": "x" * 2001}, 422, "2000"),
        ({"question": "Where?", "top_k": 0}, 422, "top_k"),
        ({"question": "Where?", "top_k": 51}, 422, "top_k"),
        ({"question": 5}, 422, "question"),
        ({}, 422, "question"),
        ({"question": "Where?", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_questions_get_a_4xx_with_a_message(
    client: TestClient, payload: dict[str, object], status: int, fragment: str
) -> None:
    r = client.post("/v1/ask", json=payload)
    assert r.status_code == status
    assert fragment in r.json()["message"]


def test_malformed_json_is_a_400(client: TestClient) -> None:
    r = client.post(
        "/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["message"]


def test_documents_listing_and_lookup(client: TestClient) -> None:
    listing = client.get("/v1/documents").json()
    assert listing == [
        {
            "id": "000_a1b2fa8f02a3a778",
            "title": listing[0]["title"],
            "published": "2026-02-09",
            "length": listing[0]["length"],
        }
    ]
    doc = client.get("/v1/documents/000_a1b2fa8f02a3a778").json()
    assert len(doc["text"]) == listing[0]["length"]
    missing = client.get("/v1/documents/nope")
    assert missing.status_code == 404
    assert "GET /v1/documents" in missing.json()["message"]


def test_health_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["documents"] == 1 and health["passages"] > 1
    assert client.get("/docs").status_code == 200
    assert "/v1/ask" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("blank", ["\u0085", " \u00a0\u2028\u3000\t"])
@pytest.mark.parametrize(("path", "field"), [("/v1/ask", "question"), ("/v1/chat", "message")])
def test_whitespace_means_the_same_to_the_schema_and_the_server(
    client: TestClient, path: str, field: str, blank: str
) -> None:
    """Unicode whitespace only (U+0085 included, which JSON Schema's `\\s` leaves out) is
    refused by the published pattern and by the server alike; U+FEFF, which `\\s` in
    JSON Schema includes and Unicode does not, is content for both."""
    pattern = client.get("/openapi.json").json()["components"]["schemas"]
    published = next(
        s["properties"][field]["pattern"]
        for s in pattern.values()
        if field in s.get("properties", {})
    )
    assert "\\S" not in published and "\\u0085" in published
    refused = client.post(path, json={field: blank})
    assert refused.status_code == 422 and "empty" in refused.json()["message"]
    accepted = client.post(path, json={field: "\ufeff"})
    assert accepted.status_code == 200
