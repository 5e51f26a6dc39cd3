"""Compose: pick the few sentences that answer, cite them exactly, or abstain.

Sentences of the retrieved passages are scored against the question with
    score = cosine(question, sentence) + overlap_weight * idf_overlap + cue_weight * cue
where idf_overlap is the share of the question's IDF mass found in the sentence
and cue is 1 when the sentence holds what the question word asks for (who ->
a name, when -> a date, how many -> a number, where -> a place). The best
sentence, plus any close runner-up that covers new question terms, forms the
answer; a sentence that opens with a pronoun brings its antecedent sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np

from assistant.confidence import ConfidenceModel
from assistant.embed import Vectors
from assistant.errors import AssistantError
from assistant.lexical import specificity, tokenize, weighted_overlap
from assistant.records import Answer, Citation, Document, Hit, Sentence
from assistant.store import IndexData


class CitationMismatchError(AssistantError):
    """A quote does not equal the source at its offsets (a bug; nothing is returned)."""

    http_status = 500


@dataclass(frozen=True, slots=True)
class ComposeConfig:
    """Knobs of answer composition."""

    max_sentences: int = 3
    min_confidence: float = 0.5
    overlap_weight: float = 0.5
    cue_weight: float = 0.1
    runner_up_margin: float = 0.12
    closest_count: int = 3


@dataclass(frozen=True, slots=True)
class Templates:
    """The answer and abstain templates from prompts/."""

    answer: Template
    abstain: Template

    @classmethod
    def load(cls, prompts_dir: Path) -> Templates:
        """Read `answer.txt` and `abstain.txt` from the prompts folder."""
        from assistant.errors import InvalidInputError

        try:
            return cls(
                answer=Template((prompts_dir / "answer.txt").read_text(encoding="utf-8").strip()),
                abstain=Template((prompts_dir / "abstain.txt").read_text(encoding="utf-8").strip()),
            )
        except FileNotFoundError as exc:
            raise InvalidInputError(
                f"prompt template missing: {exc.filename}; set ASSISTANT_PROMPTS_DIR to the "
                "repository's prompts/ folder"
            ) from exc


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A candidate sentence with its score parts."""

    sentence: Sentence
    score: float
    cosine: float
    overlap: float
    cue: float
    passage_id: int


_PRONOUN_START = re.compile(
    r"^[“\"']?(he|she|they|it|this|that|these|those|his|her|their|its|him|them)\b",
    re.IGNORECASE,
)
_NAME_RE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")
_DATE_RE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
    r"april|may|june|july|august|september|october|november|december|yesterday|today|"
    r"tomorrow|week|weekend|month|year|\d{4})\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundred|"
    r"thousand|million|billion|first|second|third|fourth|fifth|sixth|seventh|eighth|"
    r"ninth|tenth|dozens?|several)\b",
    re.IGNORECASE,
)
_PLACE_RE = re.compile(r"\b(in|at|to|from|near)\s+(the\s+)?[A-Z][a-z]+")


def answer_type(question: str) -> str | None:
    """What the question asks for: 'person', 'date', 'number', 'place' or None."""
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (date|day|year|month|time)\b|\bon what (date|day)\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return "person"
    if re.search(r"\bwhere\b|\bwhat (country|city|place|region)\b", q):
        return "place"
    return None


def answer_type_cue(kind: str | None, sentence: str, question: str) -> float:
    """1.0 when the sentence contains the kind of thing the question asks for."""
    if kind == "number":
        return float(bool(_NUMBER_RE.search(sentence)))
    if kind == "date":
        return float(bool(_DATE_RE.search(sentence)))
    if kind == "person":
        names = {m.group() for m in _NAME_RE.finditer(sentence)}
        return float(any(name not in question for name in names))
    if kind == "place":
        return float(bool(_PLACE_RE.search(sentence)))
    return 0.0


def score_sentences(
    question: str,
    query_vector: Vectors,
    hits: Sequence[Hit],
    data: IndexData,
    config: ComposeConfig,
) -> list[ScoredSentence]:
    """Every sentence of the hits, scored against the question, best first."""
    q_tokens = tokenize([question])[0]
    kind = answer_type(question)
    seen: set[int] = set()
    candidates: list[tuple[Sentence, int]] = []
    for hit in hits:
        for sid in hit.passage.sentence_ids:
            if sid not in seen:
                seen.add(sid)
                candidates.append((data.sentences[sid], hit.passage.passage_id))
    if not candidates:
        return []
    ids = np.fromiter((s.sentence_id for s, _ in candidates), dtype=np.int64)
    cosines = data.sentence_vectors[ids] @ query_vector.reshape(-1)
    s_tokens = tokenize([s.text for s, _ in candidates])
    scored = []
    for (sentence, pid), cosine, tokens in zip(candidates, cosines, s_tokens, strict=True):
        overlap = weighted_overlap(q_tokens, tokens, data.lexical.idf)
        cue = answer_type_cue(kind, sentence.text, question)
        score = float(cosine) + config.overlap_weight * overlap + config.cue_weight * cue
        scored.append(ScoredSentence(sentence, score, float(cosine), overlap, cue, pid))
    scored.sort(key=lambda s: -s.score)
    return scored


def select_sentences(
    question: str, scored: Sequence[ScoredSentence], config: ComposeConfig
) -> list[ScoredSentence]:
    """The best sentence plus close runners-up that cover question terms it lacks."""
    if not scored:
        return []
    best = scored[0]
    chosen = [best]
    q_tokens = set(tokenize([question])[0])
    covered = q_tokens & set(tokenize([best.sentence.text])[0])
    for candidate in scored[1:]:
        if len(chosen) >= config.max_sentences:
            break
        if candidate.score < best.score - config.runner_up_margin:
            break
        new_terms = (q_tokens & set(tokenize([candidate.sentence.text])[0])) - covered
        if new_terms or candidate.score >= best.score - config.runner_up_margin / 3:
            chosen.append(candidate)
            covered |= new_terms
    return chosen


def _with_antecedents(
    chosen: Sequence[ScoredSentence], data: IndexData
) -> list[tuple[list[Sentence], ScoredSentence]]:
    """Each chosen sentence with the previous one when it opens with a pronoun."""
    out = []
    for item in chosen:
        group = [item.sentence]
        sid = item.sentence.sentence_id
        if _PRONOUN_START.match(item.sentence.text) and sid > 0:
            previous = data.sentences[sid - 1]
            if previous.doc_id == item.sentence.doc_id:
                group.insert(0, previous)
        out.append((group, item))
    return out


def build_citations(chosen: Sequence[ScoredSentence], data: IndexData) -> list[Citation]:
    """Merge adjacent sentences into spans, order them as in the documents, number them."""
    spans: dict[str, list[tuple[int, int, float, int]]] = {}
    for group, item in _with_antecedents(chosen, data):
        doc_id = item.sentence.doc_id
        spans.setdefault(doc_id, []).append(
            (group[0].sentence_id, group[-1].sentence_id, item.score, item.passage_id)
        )
    citations: list[Citation] = []
    doc_order = list(spans)  # documents in order of their best sentence
    for doc_id in doc_order:
        merged: list[tuple[int, int, float, int]] = []
        for first, last, score, pid in sorted(spans[doc_id]):
            if merged and first <= merged[-1][1] + 1:
                m_first, m_last, m_score, m_pid = merged[-1]
                merged[-1] = (m_first, max(m_last, last), max(m_score, score), m_pid)
            else:
                merged.append((first, last, score, pid))
        document = data.documents[doc_id]
        for first, last, score, pid in merged:
            start = data.sentences[first].start
            end = data.sentences[last].end
            citations.append(
                Citation(
                    n=len(citations) + 1,
                    doc_id=doc_id,
                    title=document.title,
                    passage_id=pid,
                    start=start,
                    end=end,
                    quote=document.text[start:end],
                    score=round(float(score), 4),
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


def question_terms(question: str) -> list[tuple[str, list[str], float]]:
    """Content words of a question: (surface word, stemmed tokens, specificity)."""
    terms = []
    for i, match in enumerate(re.finditer(r"[\w’'-]+", question)):
        word = match.group().strip("’'-")
        tokens = tokenize([word])[0] if word else []
        if tokens:
            terms.append((word, tokens, specificity(word, first_in_sentence=i == 0)))
    return terms


def answer_features(
    question: str,
    hits: Sequence[Hit],
    scored: Sequence[ScoredSentence],
    chosen: Sequence[ScoredSentence],
    data: IndexData,
) -> tuple[dict[str, float], list[str]]:
    """Features for the confidence model, and the question words no passage mentions.

    missing_frac is the specificity-weighted share of the question's content words
    that occur in no passage at all: "capital of Australia" -> 1.0 on a news corpus.
    """
    q_tokens = tokenize([question])[0]
    idf = data.lexical.idf
    terms = question_terms(question)
    missing = [
        (word, weight)
        for word, tokens, weight in terms
        if all(data.lexical.document_frequency(t) == 0 for t in tokens)
    ]
    total_weight = sum(weight for _, _, weight in terms)
    union_tokens: set[str] = set()
    for hit in hits:
        union_tokens.update(tokenize([hit.passage.text])[0])
    best_text = " ".join(c.sentence.text for c in chosen)
    features = {
        "top_sentence_cos": max((s.cosine for s in scored), default=0.0),
        "top_passage_cos": max((h.dense_score for h in hits), default=0.0),
        "best_overlap": weighted_overlap(q_tokens, tokenize([best_text])[0], idf),
        "union_overlap": weighted_overlap(q_tokens, list(union_tokens), idf),
        "missing_frac": sum(w for _, w in missing) / total_weight if total_weight else 1.0,
        "answer_type_cue": max((c.cue for c in chosen), default=0.0),
    }
    missing_words = sorted({w for w, _ in missing}, key=lambda w: -dict(missing)[w])
    return features, missing_words


def abstain_reason(features: dict[str, float], missing_words: Sequence[str]) -> str:
    """A one-line reason for abstaining, naming what the corpus lacks."""
    closest = f"the closest passage scored {features['top_passage_cos']:.2f}"
    if missing_words:
        quoted = ", ".join(f"“{w}”" for w in missing_words[:4])
        return f"no passage mentions {quoted}; {closest}"
    return f"{closest} and no sentence states what was asked"


def compose_answer(
    question: str,
    query_vector: Vectors,
    hits: Sequence[Hit],
    data: IndexData,
    model: ConfidenceModel,
    templates: Templates,
    config: ComposeConfig,
) -> Answer:
    """An answer of exact citations, or an abstention with the closest passages."""
    scored = score_sentences(question, query_vector, hits, data, config)
    chosen = select_sentences(question, scored, config)
    features, missing = answer_features(question, hits, scored, chosen, data)
    confidence = round(model.predict(features), 4)
    if not chosen or confidence < config.min_confidence:
        closest = closest_passages(hits, data, config.closest_count)
        verify_citations(closest, data.documents)
        reason = abstain_reason(features, missing)
        return Answer(
            question=question,
            answered=False,
            text=templates.abstain.safe_substitute(reason=reason),
            confidence=confidence,
            closest=tuple(closest),
            reason=reason,
        )
    citations = build_citations(chosen, data)
    verify_citations(citations, data.documents)
    body = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(
        question=question,
        answered=True,
        text=templates.answer.safe_substitute(body=body),
        confidence=confidence,
        citations=tuple(citations),
    )
