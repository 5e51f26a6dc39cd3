"""Pydantic request/response models: the HTTP boundary converts records to these."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from assistant.records import NOT_BLANK, Answer, ChatReply, Citation, Document


def _no_bool(value: object) -> object:
    """JSON booleans are not numbers here (pydantic's lax mode would take true as 1)."""
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


TopK = Annotated[
    Annotated[int, Strict(False), Field(ge=1, le=50)] | None,
    BeforeValidator(_no_bool),
    Field(description="Passages to retrieve (1..50)."),
]


class AskRequest(BaseModel):
    """A standalone question."""

    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(
        ...,
        min_length=1,
        max_length=2000,
        pattern=NOT_BLANK,
        description="The question, 1 to 2,000 characters, not only whitespace.",
    )
    top_k: TopK = None


class DateOut(BaseModel):
    """A relative date in a quote ("Friday"), resolved against the publication date."""

    text: str
    start: int = Field(..., description="Offset into the quote.")
    end: int
    resolved: str = Field(..., description="ISO date, ISO range (a/b), month or year.")
    label: str
    derived_from: str


class CitationOut(BaseModel):
    """One cited excerpt: `quote == document.text[start:end]`."""

    n: int
    doc_id: str
    title: str
    passage_id: int
    start: int
    end: int
    quote: str
    score: float
    dates: list[DateOut] = Field(default_factory=list)
    highlight_start: int | None = Field(
        None, description="The answer span inside the quote: quote[highlight_start:highlight_end]."
    )
    highlight_end: int | None = None

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        """Convert a record."""
        return cls(
            n=c.n,
            doc_id=c.doc_id,
            title=c.title,
            passage_id=c.passage_id,
            start=c.start,
            end=c.end,
            quote=c.quote,
            score=c.score,
            highlight_start=c.highlight_start,
            highlight_end=c.highlight_end,
            dates=[
                DateOut(
                    text=d.text,
                    start=d.start,
                    end=d.end,
                    resolved=d.resolved,
                    label=d.label,
                    derived_from=d.derived_from,
                )
                for d in c.dates
            ],
        )


class ConflictOut(BaseModel):
    """Citations `a` and `b` disagree."""

    a: int
    b: int
    note: str


class CorrectionOut(BaseModel):
    """A question word no passage uses, searched as the corpus spells it."""

    word: str = Field(..., description="As typed in the question.")
    corrected: str = Field(..., description="As the corpus spells it; what was searched.")


class AskResponse(BaseModel):
    """An answer made of citations, or an abstention with the closest passages."""

    answered: bool
    answer: str
    confidence: float = Field(..., ge=0.0, le=1.0)
    reason: str | None = Field(None, description="Why the assistant abstained.")
    citations: list[CitationOut]
    conflicts: list[ConflictOut] = Field(
        default_factory=list, description="Pairs of citations that disagree."
    )
    closest: list[CitationOut] = Field(
        ..., description="When abstaining: the closest passages found, which do not answer."
    )
    corrections: list[CorrectionOut] = Field(
        default_factory=list,
        description="Question words that no passage uses, searched as the corpus spells them.",
    )
    latency_ms: float
    timings_ms: dict[str, float]
    index_version: str = Field("", description="The index build that answered.")

    @classmethod
    def of(cls, a: Answer) -> AskResponse:
        """Convert a record."""
        return cls(
            answered=a.answered,
            answer=a.text,
            confidence=a.confidence,
            reason=a.reason,
            citations=[CitationOut.of(c) for c in a.citations],
            conflicts=[ConflictOut(a=c.a, b=c.b, note=c.note) for c in a.conflicts],
            closest=[CitationOut.of(c) for c in a.closest],
            corrections=[CorrectionOut(word=c.word, corrected=c.corrected) for c in a.corrections],
            latency_ms=a.latency_ms,
            timings_ms=a.timings_ms,
            index_version=a.index_version,
        )


class DocumentSummary(BaseModel):
    """A document in the listing."""

    id: str
    title: str
    published: str | None
    length: int

    @classmethod
    def of(cls, d: Document) -> DocumentSummary:
        """Convert a record."""
        return cls(id=d.doc_id, title=d.title, published=d.published, length=len(d.text))


class DocumentOut(DocumentSummary):
    """A document with its full text, which every citation offset refers to."""

    text: str

    @classmethod
    def of(cls, d: Document) -> DocumentOut:
        """Convert a record."""
        return cls(
            id=d.doc_id, title=d.title, published=d.published, length=len(d.text), text=d.text
        )


class DocumentIn(BaseModel):
    """A document to add or replace (admin)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(..., min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")
    text: str = Field(..., min_length=1, max_length=5_000_000, pattern=NOT_BLANK)
    title: str | None = Field(None, max_length=500, description="Written as the first line.")
    published: Annotated[date, Strict(False)] | None = Field(
        None, description="Written as a first line: Published YYYY-MM-DD."
    )


class IndexChange(BaseModel):
    """The index build an admin change produced."""

    id: str
    index_version: str
    added: int
    changed: int
    removed: int
    unchanged: int


class PartHealth(BaseModel):
    """One optional part of the service (the Slack bot): on, or off and why."""

    ok: bool
    reason: str | None = None


class Health(BaseModel):
    """What the server is serving."""

    status: str = Field(..., description="ok, or degraded when an optional part is off")
    degraded: list[str] = Field(
        default_factory=list, description="The parts that are off (the API itself is up)."
    )
    slack: PartHealth | None = Field(None, description="The Slack bot, when configured.")
    reader: str = Field("", description="The reader model that answers.")
    index_version: str
    vector_index: str = Field(
        ..., description="flat (exact FAISS), hnsw (FAISS HNSW) or milvus (vectors in Milvus)"
    )
    model: str
    query_encoder: str = Field(
        ...,
        description="how questions are encoded: onnx (the model's weights in ONNX Runtime), "
        "fp32 (torch; also where the ONNX export failed), int8 or the embedder's own name",
    )
    dim: int
    built_at: str
    documents: int
    passages: int
    sentences: int


class ErrorBody(BaseModel):
    """Every error response: a type and a message that says what to do."""

    error: str
    message: str


class ChatRequest(BaseModel):
    """The next message of a conversation."""

    model_config = ConfigDict(extra="forbid", strict=True)

    message: str = Field(
        ...,
        min_length=1,
        max_length=2000,
        pattern=NOT_BLANK,
        description="The message, 1 to 2,000 characters, not only whitespace.",
    )
    conversation_id: str | None = Field(
        None, max_length=64, description="Omit to start a new conversation."
    )
    top_k: TopK = None
    stream: bool = Field(False, description="Stream server-sent events.")


class ChatResponse(AskResponse):
    """An answer plus the conversation it belongs to and the question actually searched."""

    conversation_id: str
    searched: str

    @classmethod
    def of_reply(cls, reply: ChatReply) -> ChatResponse:
        """Convert a record."""
        base = AskResponse.of(reply.answer).model_dump()
        return cls(**base, conversation_id=reply.conversation_id, searched=reply.searched)


# Documented on every route: the errors any request can meet.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "Malformed JSON"},
    401: {"model": ErrorBody, "description": "Missing or wrong API key (when keys are set)"},
    403: {"model": ErrorBody, "description": "Document admin is disabled (no API keys set)"},
    404: {"model": ErrorBody, "description": "Unknown document or conversation"},
    413: {"model": ErrorBody, "description": "Request body too large"},
    422: {"model": ErrorBody, "description": "Invalid request"},
    429: {"model": ErrorBody, "description": "Rate limit exceeded (see Retry-After)"},
    503: {"model": ErrorBody, "description": "No usable index"},
    504: {"model": ErrorBody, "description": "The request timed out"},
}
