"""Pydantic request/response models: the HTTP boundary converts records to these."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from assistant.records import Answer, Citation, Document


class AskRequest(BaseModel):
    """A standalone question."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description="The question, 1 to 2,000 characters.")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (1..50).")


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
        )


class AskResponse(BaseModel):
    """An answer made of citations, or an abstention with the closest passages."""

    answered: bool
    answer: str
    confidence: float = Field(..., ge=0.0, le=1.0)
    reason: str | None = Field(None, description="Why the assistant abstained.")
    citations: list[CitationOut]
    closest: list[CitationOut] = Field(
        ..., description="When abstaining: the closest passages found, which do not answer."
    )
    latency_ms: float
    timings_ms: dict[str, float]

    @classmethod
    def of(cls, a: Answer) -> AskResponse:
        """Convert a record."""
        return cls(
            answered=a.answered,
            answer=a.text,
            confidence=a.confidence,
            reason=a.reason,
            citations=[CitationOut.of(c) for c in a.citations],
            closest=[CitationOut.of(c) for c in a.closest],
            latency_ms=a.latency_ms,
            timings_ms=a.timings_ms,
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


class Health(BaseModel):
    """What the server is serving."""

    status: str
    model: str
    dim: int
    built_at: str
    documents: int
    passages: int
    sentences: int


class ErrorBody(BaseModel):
    """Every error response: a type and a message that says what to do."""

    error: str
    message: str
