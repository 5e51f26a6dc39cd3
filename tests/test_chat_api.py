"""Chat over a real HTTP server with the real model: JSON, SSE, and the official openai client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.pipeline import Assistant
from assistant.serve.api import create_app


@pytest.fixture()
def client(fake_assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(fake_assistant.settings, assistant=fake_assistant)) as c:
        yield c


def test_chat_validation(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "  "})
    assert r.status_code == 422 and "empty" in r.json()["message"]
    r = client.post("/v1/chat", json={"message": "Where?", "conversation_id": "nope"})
    assert r.status_code == 404 and "omit conversation_id" in r.json()["message"]
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]})
    assert r.status_code == 422 and "role 'user'" in r.json()["message"]
    r = client.post("/v1/chat/completions", json={"messages": []})
    assert r.status_code == 422


def _parse_sse(text: str) -> list[tuple[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        events.append((event, "\n".join(data)))
    return events


@pytest.mark.slow
def test_follow_up_keeps_the_subject(live_server: str) -> None:
    first = httpx.post(
        f"{live_server}/v1/chat", json={"message": "Who is Abbas Araghchi?"}, timeout=30
    ).json()
    assert first["answered"] and first["conversation_id"]
    second = httpx.post(
        f"{live_server}/v1/chat",
        json={
            "message": "What did he say about the missile program?",
            "conversation_id": first["conversation_id"],
        },
        timeout=30,
    ).json()
    assert second["conversation_id"] == first["conversation_id"]
    assert "Araghchi" in second["searched"]
    assert any("non-negotiable" in c["quote"] for c in second["citations"])


@pytest.mark.slow
def test_date_question_carries_the_resolved_date(live_server: str) -> None:
    body = httpx.post(
        f"{live_server}/v1/ask",
        json={"question": "On what date were the talks in Oman held?"},
        timeout=30,
    ).json()
    assert body["answered"]
    fridays = [d for c in body["citations"] for d in c["dates"] if d["text"] == "Friday"]
    assert fridays and fridays[0]["resolved"] == "2026-02-06"
    assert "publication date" in fridays[0]["derived_from"]
    assert "Friday 6 February 2026" in body["answer"]
    for c in body["citations"]:  # the quote itself is never altered
        assert "2026-02-06" not in c["quote"]


@pytest.mark.slow
def test_chat_streams_citations_then_text_then_done(live_server: str) -> None:
    r = httpx.post(
        f"{live_server}/v1/chat",
        json={"message": "Where were the talks held?", "stream": True},
        timeout=30,
    )
    assert r.headers["content-type"].startswith("text/event-stream")
    events = _parse_sse(r.text)
    names = [e for e, _ in events]
    assert names[0] == "meta" and names[1] == "citations" and names[-1] == "done"
    assert set(names[2:-1]) == {"delta"}
    citations = json.loads(events[1][1])
    text = "".join(json.loads(d)["text"] for e, d in events if e == "delta")
    assert "Oman" in text and citations and citations[0]["quote"] in text
    done = json.loads(events[-1][1])
    assert done["answered"] is True and done["latency_ms"] > 0


@pytest.mark.slow
def test_stream_by_accept_header_and_early_disconnect(live_server: str) -> None:
    with httpx.stream(
        "POST",
        f"{live_server}/v1/chat",
        json={"message": "Who is Trita Parsi?"},
        headers={"accept": "text/event-stream"},
        timeout=30,
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        first = next(r.iter_lines())
        assert first.startswith("event: meta")
    # the server keeps serving after the client left mid-stream
    health = httpx.get(f"{live_server}/healthz", timeout=10)
    assert health.status_code == 200


@pytest.mark.slow
def test_openai_client_non_streaming_and_streaming(live_server: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["grounded-assistant"]
    completion = client.chat.completions.create(
        model="grounded-assistant",
        messages=[{"role": "user", "content": "Who is Iran's foreign minister?"}],
    )
    content = completion.choices[0].message.content or ""
    assert "Araghchi" in content and "[1]" in content
    extra = completion.model_extra or {}
    assert extra["citations"][0]["quote"] in content
    stream = client.chat.completions.create(
        model="grounded-assistant",
        messages=[
            {"role": "user", "content": "Who is Abbas Araghchi?"},
            {"role": "assistant", "content": content},
            {"role": "user", "content": "What did he call the missile program?"},
        ],
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "non-negotiable" in text
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.slow
def test_openai_off_corpus_question_abstains(live_server: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    completion = client.chat.completions.create(
        model="grounded-assistant",
        messages=[{"role": "user", "content": "What is the capital of Australia?"}],
    )
    assert (completion.choices[0].message.content or "").startswith("The corpus does not")
    assert (completion.model_extra or {})["answered"] is False
