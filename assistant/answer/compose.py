"""Compose: read the retrieved passages, cite the sentences that hold the best spans
exactly, or abstain.

    retrieve -> read (assistant/reader.py) -> calibrate (assistant/confidence.py) -> cite

The reader gives each of the top passages its best answer spans and a "no answer"
score. Every span becomes a candidate with generic features (the reader's scores, the
passage's retrieval scores, the question's IDF-weighted words found in the passage and
in the span's sentence, the question's names and numbers the passage lacks); one
logistic model, fitted on held-out public questions (evals/fit_confidence.py), turns
them into the probability that the candidate's sentence answers. The best candidate
decides: below `min_confidence` the answer abstains, showing the closest passages;
otherwise the answer cites its sentence, with the span highlighted, and the sentences
of other candidates close behind it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

from assistant.answer.confidence import ConfidenceModel
from assistant.answer.conflicts import find_conflicts
from assistant.answer.dates import resolve_relative_dates
from assistant.answer.reader import Reader, Reading
from assistant.errors import AssistantError, InvalidInputError
from assistant.records import Answer, Citation, Conflict, Document, Hit, Sentence
from assistant.search.embed import Vectors
from assistant.search.lexical import tokenize, weighted_overlap, without_possessive
from assistant.search.store import IndexData


class CitationMismatchError(AssistantError):
    """A quote does not equal the source at its offsets (a bug; nothing is returned)."""

    http_status = 500


@dataclass(frozen=True, slots=True)
class ComposeConfig:
    """Knobs of answer composition."""

    min_confidence: float = 0.3
    max_sentences: int = 3  # cited sentence groups per answer
    # top retrieved passages the reader reads: 3 answered as many tuning questions as 5
    # (SQuAD-style 0.844 vs 0.837, HaluEval 0.797 vs 0.789) at 42 instead of 59 ms a
    # question (docs/quality.md)
    read_passages: int = 3
    spans_per_passage: int = 2  # best non-overlapping spans taken from each passage
    # another candidate's sentence is cited beside the best one when its probability is
    # at least this share of the best one's (and above min_confidence / 2); 0.2 cited the
    # answer for 1.8 points more of the tuning questions than 0.5 (docs/quality.md)
    also_cite_ratio: float = 0.2
    conflict_pool: int = 8  # top candidates (two a passage) checked against the answer
    closest_count: int = 3


_OPTIONAL_TEMPLATES = {
    "spelling_note.txt": "(Read $corrections: the spelling the corpus uses.)",
}


@dataclass(frozen=True, slots=True)
class Templates:
    """The answer and abstain templates from prompts/."""

    answer: Template
    abstain: Template
    date_note: Template
    conflict: Template
    spelling_note: Template

    @classmethod
    def load(cls, prompts_dir: Path) -> Templates:
        """Read the templates from the prompts folder; one added after the first release
        (`spelling_note.txt`) falls back to the shipped wording when a folder lacks it."""

        def read(name: str) -> Template:
            path = prompts_dir / name
            if name in _OPTIONAL_TEMPLATES and not path.exists():
                return Template(_OPTIONAL_TEMPLATES[name])
            return Template(path.read_text(encoding="utf-8").strip())

        try:
            return cls(
                answer=read("answer.txt"),
                abstain=read("abstain.txt"),
                date_note=read("date_note.txt"),
                conflict=read("conflict.txt"),
                spelling_note=read("spelling_note.txt"),
            )
        except FileNotFoundError as exc:
            raise InvalidInputError(
                f"prompt template missing: {exc.filename}; set ASSISTANT_PROMPTS_DIR to the "
                "repository's prompts/ folder"
            ) from exc


_NAME_RE = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w’'-]*|\b\d[\d,.]*\b")
_WHEN_RE = re.compile(r"^\W*(?:\w+\s+){0,3}?(?:when|what (?:day|date|year|month|time))\b", re.I)


@dataclass(frozen=True, slots=True)
class Question:
    """A question analysed once: its stemmed words and the names and numbers it gives."""

    text: str
    tokens: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Question:
        """Analyse the question text."""
        names = tuple(
            dict.fromkeys(without_possessive(m.group()).lower() for m in _NAME_RE.finditer(text))
        )
        return cls(text, tuple(tokenize([text])[0]), names)

    @property
    def asks_when(self) -> bool:
        """Whether it asks for a point in time (a resolved date helps the reader)."""
        return bool(_WHEN_RE.match(self.text))


@dataclass(frozen=True, slots=True)
class Candidate:
    """One span the reader found: where it stands, its sentences and its probability."""

    hit: Hit
    start: int  # document offsets of the span
    end: int
    sentences: tuple[Sentence, ...]
    features: dict[str, float]
    probability: float


def span_sentences(hit: Hit, start: int, end: int, data: IndexData) -> tuple[Sentence, ...]:
    """The passage's sentences that the document span [start, end) touches."""
    inside = [data.sentences[i] for i in hit.passage.sentence_ids]
    touched = tuple(s for s in inside if s.end > start and s.start < end)
    if touched:
        return touched
    return tuple(s for s in inside if s.start <= start < s.end + 1)[:1] or tuple(inside[:1])


def candidate_features(
    question: Question,
    reading: Reading,
    hit: Hit,
    rank: int,
    sentences: Sequence[Sentence],
    sentence_cosine: float,
    data: IndexData,
) -> dict[str, float]:
    """The calibrated model's inputs for one candidate (see `confidence.FEATURES`)."""
    passage_tokens = tokenize([hit.passage.text])[0]
    sentence_tokens = tokenize([" ".join(s.text for s in sentences)])[0]
    passage_lower = hit.passage.text.lower()
    missing = [n for n in question.names if n not in passage_lower]
    return {
        "answerable": reading.answerable,
        "margin": reading.margin,
        "span_score": reading.span_score,
        "dense": hit.dense_score,
        "reciprocal_rank": 1.0 / (1 + rank),
        "passage_overlap": weighted_overlap(question.tokens, passage_tokens, data.lexical.idf),
        "sentence_overlap": weighted_overlap(question.tokens, sentence_tokens, data.lexical.idf),
        "sentence_cos": sentence_cosine,
        "missing_names": len(missing) / len(question.names) if question.names else 0.0,
    }


def read_candidates(
    question: Question,
    query_vector: Vectors,
    hits: Sequence[Hit],
    data: IndexData,
    reader: Reader,
    model: ConfidenceModel,
    config: ComposeConfig,
) -> list[Candidate]:
    """Every span the reader found in the top passages, most probable first."""
    read = list(hits[: config.read_passages])
    readings = reader.read(question.text, [h.passage.text for h in read], config.spans_per_passage)
    located = []
    for rank, (hit, spans) in enumerate(zip(read, readings, strict=True)):
        for reading in spans:
            start, end = hit.passage.start + reading.start, hit.passage.start + reading.end
            sentences = span_sentences(hit, start, end, data)
            located.append((rank, hit, reading, start, end, sentences))
    ids = sorted({s.sentence_id for *_, sentences in located for s in sentences})
    cosine = dict(zip(ids, (data.sentence_store.get(ids) @ query_vector).tolist(), strict=True))
    margins = [reading.margin for _, _, reading, *_ in located]
    out = []
    for at, (rank, hit, reading, start, end, sentences) in enumerate(located):
        best_cos = max(cosine[s.sentence_id] for s in sentences)
        features = candidate_features(question, reading, hit, rank, sentences, best_cos, data)
        others = margins[:at] + margins[at + 1 :]
        # how far this passage's answer stands out from the other passages' best ones
        features["margin_lead"] = reading.margin - max(others) if others else 0.0
        probability = round(model.predict(features), 4)
        out.append(Candidate(hit, start, end, sentences, features, probability))
    return sorted(out, key=lambda c: -c.probability)


def choose(candidates: Sequence[Candidate], config: ComposeConfig) -> list[Candidate]:
    """The best candidate and those close behind it, one per sentence group."""
    if not candidates:
        return []
    best = candidates[0]
    floor = max(best.probability * config.also_cite_ratio, config.min_confidence / 2)
    chosen: list[Candidate] = []
    seen: set[int] = set()
    for c in candidates:
        ids = {s.sentence_id for s in c.sentences}
        if (c is not best and c.probability < floor) or ids & seen:
            continue
        if _same_text(c, chosen):
            continue  # a paragraph that occurs in two documents is cited once
        chosen.append(c)
        seen |= ids
        if len(chosen) == config.max_sentences:
            break
    return chosen


def _same_text(candidate: Candidate, chosen: Sequence[Candidate]) -> bool:
    key = " ".join(" ".join(s.text for s in candidate.sentences).split()).lower()
    return any(
        key == " ".join(" ".join(s.text for s in c.sentences).split()).lower() for c in chosen
    )


# a sentence that opens with a pronoun ("He increased pressure ...") is cited with the one
# before it, so the excerpt says whom "he" means
_PRONOUN_START = re.compile(
    r"^[“\"']?(?:[\w’'-]+(?:\s+[\w’'-]+){0,3},\s+)?"
    r"(he|she|they|it|this|that|these|those|his|her|their|its|him|them)\b",
    re.IGNORECASE,
)


def _first_cited(sentence: Sentence, data: IndexData) -> Sentence:
    """The sentence, or the one before it when it opens with a pronoun."""
    previous = data.sentences[sentence.sentence_id - 1] if sentence.sentence_id > 0 else None
    if (
        previous is not None
        and previous.doc_id == sentence.doc_id
        and _PRONOUN_START.match(sentence.text)
    ):
        return previous
    return sentence


def build_citations(chosen: Sequence[Candidate], data: IndexData) -> list[Citation]:
    """One citation per chosen candidate, in order of probability, the span highlighted."""
    citations: list[Citation] = []
    for c in chosen:
        document = data.documents[c.hit.passage.doc_id]
        start, end = _first_cited(c.sentences[0], data).start, c.sentences[-1].end
        quote = document.text[start:end]
        low, high = max(c.start, start) - start, min(c.end, end) - start
        citations.append(
            Citation(
                n=len(citations) + 1,
                doc_id=document.doc_id,
                title=document.title,
                passage_id=c.hit.passage.passage_id,
                start=start,
                end=end,
                quote=quote,
                score=c.probability,
                dates=tuple(resolve_relative_dates(quote, document.published)),
                highlight_start=low if high > low else None,
                highlight_end=high if high > low else None,
            )
        )
    return citations


def closest_passages(hits: Sequence[Hit], data: IndexData, count: int) -> list[Citation]:
    """The top passages as citations, for an abstention to show what was found."""
    out: list[Citation] = []
    for hit in hits[:count]:
        p = hit.passage
        document = data.documents[p.doc_id]
        out.append(
            Citation(
                n=len(out) + 1,
                doc_id=p.doc_id,
                title=document.title,
                passage_id=p.passage_id,
                start=p.start,
                end=p.end,
                quote=document.text[p.start : p.end],
                score=round(hit.dense_score, 4),
            )
        )
    return out


def verify_citations(citations: Sequence[Citation], documents: dict[str, Document]) -> None:
    """Raise when any quote differs from its document at its offsets."""
    for c in citations:
        document = documents.get(c.doc_id)
        if document is None or document.text[c.start : c.end] != c.quote:
            raise CitationMismatchError(
                f"citation [{c.n}] does not match {c.doc_id}[{c.start}:{c.end}]; "
                "the index may be corrupt: run `assistant index --force`"
            )


def with_conflicts(
    chosen: Sequence[Candidate], candidates: Sequence[Candidate], data: IndexData, pool: int
) -> tuple[list[Candidate], list[tuple[int, int, str]]]:
    """The chosen candidates plus any top candidate whose sentence disagrees with one of
    them (so both sides show), and the disagreeing pairs as indices into the result."""
    out = list(chosen)
    others = [c for c in candidates[:pool] if c not in out]
    group = out + others
    if len(group) < 2:
        return out, []
    ids = [c.sentences[0].sentence_id for c in group]
    vectors = data.sentence_store.get(ids)
    texts = [" ".join(s.text for s in c.sentences) for c in group]
    pairs = []
    for finding in find_conflicts(texts, (vectors @ vectors.T).tolist()):
        first, second = group[finding.i], group[finding.j]
        if first not in chosen and second not in chosen:
            continue  # neither side is part of the answer
        for side in (first, second):
            if side not in out:
                out.append(side)
        pairs.append((out.index(first), out.index(second), finding.note))
    return out, pairs


_WORD_RE = re.compile(r"[\w’'-]+")


def abstain_reason(question: Question, hits: Sequence[Hit], data: IndexData) -> str:
    """Why nothing answers, in the question's own words: what no read passage mentions,
    or else which passage came closest."""
    read = hits[:3]
    if not read:
        return "no passage matches the question"
    present = {t for h in read for t in tokenize([h.passage.text])[0]}
    absent = [
        w
        for w in dict.fromkeys(_WORD_RE.findall(question.text))
        if (stems := tokenize([w])[0]) and not set(stems) & present
    ]
    if absent:
        words = ", ".join(f"“{w}”" for w in absent[:3])
        return f"no passage found mentions {words}"
    title = data.documents[read[0].passage.doc_id].title
    title = title if len(title) <= 80 else title[:77].rsplit(" ", 1)[0] + "…"
    return f"the closest passage, from “{title}”, does not say it"


def compose_answer(
    question: str,
    query_vector: Vectors,
    hits: Sequence[Hit],
    data: IndexData,
    reader: Reader,
    model: ConfidenceModel,
    templates: Templates,
    config: ComposeConfig,
) -> Answer:
    """An answer of exact citations, or an abstention with the closest passages."""
    asked = Question.of(question)
    started = time.perf_counter()
    candidates = read_candidates(asked, query_vector, hits, data, reader, model, config)
    timings = {"read": round((time.perf_counter() - started) * 1000, 2)}
    best = candidates[0] if candidates else None
    confidence = best.probability if best else 0.0
    features = dict(best.features) if best else {}
    if best is None or confidence < config.min_confidence:
        closest = closest_passages(hits, data, config.closest_count)
        verify_citations(closest, data.documents)
        reason = abstain_reason(asked, hits, data)
        return Answer(
            question=question,
            answered=False,
            text=templates.abstain.safe_substitute(reason=reason),
            confidence=confidence,
            closest=tuple(closest),
            reason=reason,
            features=features,
            timings_ms=timings,
        )
    chosen, pairs = with_conflicts(
        choose(candidates, config), candidates, data, config.conflict_pool
    )
    citations = build_citations(chosen, data)
    verify_citations(citations, data.documents)
    conflicts = [Conflict(citations[i].n, citations[j].n, note) for i, j, note in pairs]
    body = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    if conflicts:
        body += " " + templates.conflict.safe_substitute(
            notes="; ".join(f"[{c.a}] and [{c.b}]: {c.note}" for c in conflicts)
        )
    resolved = {(d.text.lower(), d.label): d for c in citations for d in c.dates}
    if asked.asks_when and resolved:
        body += " " + templates.date_note.safe_substitute(
            dates="; ".join(f"“{d.text}” = {d.label}" for d in resolved.values()),
            published=next(iter(resolved.values())).derived_from.split()[-1],
        )
    return Answer(
        question=question,
        answered=True,
        text=templates.answer.safe_substitute(body=body),
        confidence=confidence,
        citations=tuple(citations),
        conflicts=tuple(conflicts),
        features=features,
        timings_ms=timings,
    )
