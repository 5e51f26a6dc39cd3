"""Plain frozen records that flow between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer.dates import ResolvedDate

# Unicode White_Space as the body of a regex character class, written with escapes that
# ECMA-262 (JSON Schema's regex dialect, used by API clients), Rust (pydantic) and
# Python read alike. `\s` differs between them (U+0085, U+FEFF), so "not only
# whitespace" is `[^WHITESPACE]` everywhere, never `\S`.
WHITESPACE = r"\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{WHITESPACE}]"


@dataclass(frozen=True, slots=True)
class Document:
    """One source document; `text` is what every offset refers to."""

    doc_id: str
    title: str
    text: str
    published: str | None = None  # ISO date (YYYY-MM-DD) when the text states one
    source_path: str | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieval unit: consecutive sentences `text[start:end]` of one document."""

    passage_id: int
    doc_id: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence with its exact offsets and the passage it was first chunked into."""

    sentence_id: int
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved passage with its fused score and the ranks that produced it."""

    passage: Passage
    score: float
    dense_score: float
    lexical_score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """One cited excerpt; `quote == document.text[start:end]` always holds."""

    n: int
    doc_id: str
    title: str
    passage_id: int
    start: int
    end: int
    quote: str
    score: float
    dates: tuple[ResolvedDate, ...] = ()  # relative dates in the quote, resolved
    # the reader's answer span inside the quote: quote[highlight_start:highlight_end]
    highlight_start: int | None = None
    highlight_end: int | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """`word` as typed in the question, searched as `corrected` (the corpus's spelling)."""

    word: str
    corrected: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Citations `a` and `b` (their numbers) disagree; `note` says on what."""

    a: int
    b: int
    note: str


@dataclass(frozen=True, slots=True)
class Answer:
    """What the assistant says: cited excerpts, or an abstention with the closest passages."""

    question: str
    answered: bool
    text: str
    confidence: float
    citations: tuple[Citation, ...] = ()
    closest: tuple[Citation, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    reason: str | None = None
    corrections: tuple[Correction, ...] = ()  # question words read as the corpus spells them
    retrieved: tuple[Hit, ...] = ()  # the ranked passages behind the answer (evals, debugging)
    features: dict[str, float] = field(default_factory=dict)  # inputs of the confidence model
    latency_ms: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    index_version: str = ""  # the build that answered


@dataclass(frozen=True, slots=True)
class ChatReply:
    """One turn of a conversation: the answer and the standalone question searched."""

    conversation_id: str
    question: str
    searched: str
    answer: Answer
