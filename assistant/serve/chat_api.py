"""Chat routes: `/v1/chat` (JSON or server-sent events), and the OpenAI-compatible
`/v1/chat/completions` and `/v1/models`."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse

from assistant.errors import InvalidInputError
from assistant.records import ChatReply
from assistant.schemas import ChatRequest, ChatResponse, CitationOut
from assistant.serve.dependencies import AssistantDep

logger = logging.getLogger(__name__)
router = APIRouter()
MODEL_ID = "grounded-assistant"


def _wants_stream(body_stream: bool, request: Request) -> bool:
    return body_stream or "text/event-stream" in request.headers.get("accept", "")


def _text_pieces(reply: ChatReply) -> list[str]:
    """The answer text in pieces (one per cited excerpt) for streaming."""
    answer = reply.answer
    if not answer.answered:
        return [answer.text]
    pieces = [f"{c.quote} [{c.n}]" for c in answer.citations]
    body = " ".join(pieces)
    tail = answer.text[len(body) :] if answer.text.startswith(body) else ""
    pieces = [p + (" " if i < len(pieces) - 1 else "") for i, p in enumerate(pieces)]
    return [*pieces, tail] if tail else pieces


@router.post(
    "/v1/chat",
    response_model=ChatResponse,
    tags=["chat"],
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat(body: ChatRequest, request: Request, bot: AssistantDep) -> Any:
    """The next message of a conversation; `stream: true` (or Accept: text/event-stream)
    streams events `meta`, `citations`, `delta` (answer text) and `done` (timing)."""
    started = time.perf_counter()
    reply = await run_in_threadpool(bot.chat, body.message, body.conversation_id, body.top_k)
    response = ChatResponse.of_reply(reply)
    if not _wants_stream(body.stream, request):
        return response

    async def events() -> AsyncIterator[dict[str, str]]:
        yield {
            "event": "meta",
            "data": json.dumps(
                {"conversation_id": reply.conversation_id, "searched": reply.searched}
            ),
        }
        yield {
            "event": "citations",
            "data": json.dumps([c.model_dump() for c in response.citations]),
        }
        for piece in _text_pieces(reply):
            if await request.is_disconnected():
                return
            yield {"event": "delta", "data": json.dumps({"text": piece})}
        done = response.model_dump(include={"answered", "confidence", "reason", "closest"})
        done["latency_ms"] = response.latency_ms
        done["timings_ms"] = response.timings_ms
        done["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
        yield {"event": "done", "data": json.dumps(done)}

    return EventSourceResponse(events())


class OpenAIMessage(BaseModel):
    """A chat message; `content` is a string or a list of text parts."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text, parts joined."""
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")


class CompletionRequest(BaseModel):
    """The standard chat-completions request; sampling parameters are accepted and ignored
    (answers are extracted, not generated)."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[OpenAIMessage] = Field(..., min_length=1)
    stream: bool = False


def _content(reply: ChatReply) -> str:
    return reply.answer.text


def _completion(reply: ChatReply, completion_id: str, created: int) -> dict[str, Any]:
    content = _content(reply)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": len(reply.question.split()),
            "completion_tokens": len(content.split()),
            "total_tokens": len(reply.question.split()) + len(content.split()),
        },
        "citations": [CitationOut.of(c).model_dump() for c in reply.answer.citations],
        "answered": reply.answer.answered,
        "confidence": reply.answer.confidence,
        "searched": reply.searched,
    }


@router.post(
    "/v1/chat/completions",
    tags=["openai"],
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def chat_completions(body: CompletionRequest, request: Request, bot: AssistantDep) -> Any:
    """OpenAI-compatible chat: the last user message is answered from the corpus, earlier
    turns resolve follow-ups; citations are `[n]` markers in `content` plus a `citations`
    field."""
    questions = [m.text() for m in body.messages if m.role == "user"]
    answers = [m.text() for m in body.messages if m.role == "assistant"]
    if not questions:
        raise InvalidInputError("messages has no message with role 'user': add the question")
    reply = await run_in_threadpool(bot.answer_messages, questions, answers)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        return _completion(reply, completion_id, created)

    def chunk(delta: dict[str, Any], finish: str | None, **extra: Any) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return json.dumps(payload)

    async def events() -> AsyncIterator[dict[str, str]]:
        yield {"data": chunk({"role": "assistant", "content": ""}, None)}
        for piece in _text_pieces(reply):
            if await request.is_disconnected():
                return
            yield {"data": chunk({"content": piece}, None)}
        citations = [CitationOut.of(c).model_dump() for c in reply.answer.citations]
        yield {"data": chunk({}, "stop", citations=citations)}
        yield {"data": "[DONE]"}

    return EventSourceResponse(events())


@router.get("/v1/models", tags=["openai"])
def list_models() -> dict[str, Any]:
    """The one model this server offers (OpenAI-compatible listing)."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "grounded"}],
    }
