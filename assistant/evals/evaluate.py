"""Evals: run gold cases through the assistant, score them, diff them against a baseline.

Metrics (per case, then totals):
- recall@k / MRR: whether / how high a gold passage (a passage of the gold document
  that contains a gold fact) ranks among the top-k retrieved passages;
- fact coverage: share of gold facts found (case-insensitive) in the cited quotes;
- citation exactness: share of citations whose quote equals the source at its offsets;
- abstention precision / recall, with "abstained" as the positive class and the
  unanswerable cases as the truth;
- latency p50 / p95 over all asked questions.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import InvalidInputError
from assistant.records import Answer, ChatReply, Document


class Thresholds(BaseModel):
    """Totals below these fail the run."""

    model_config = ConfigDict(extra="forbid")

    fact_coverage: float = 0.0
    recall_at_k: float = 0.0
    citation_exactness: float = 1.0
    abstention_recall: float = 0.0
    abstention_precision: float = 0.0


class GoldCase(BaseModel):
    """One gold question (or a multi-turn conversation) with its facts."""

    model_config = ConfigDict(extra="forbid")

    id: str
    question: str | None = None
    turns: list[str] | None = None
    kind: Literal["answerable", "unanswerable"]
    doc: str | None = None
    facts: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    requires: Literal["multi_turn"] | None = None

    @model_validator(mode="after")
    def _check(self) -> GoldCase:
        if (self.question is None) == (self.turns is None):
            raise ValueError("give exactly one of `question` or `turns`")
        if self.kind == "answerable" and (not self.facts or not self.doc):
            raise ValueError("an answerable case needs `facts` and `doc`")
        if self.kind == "unanswerable" and self.facts:
            raise ValueError("an unanswerable case has no `facts`")
        return self

    @property
    def questions(self) -> list[str]:
        """The questions in the order they are asked."""
        return self.turns if self.turns is not None else [self.question or ""]


class GoldSet(BaseModel):
    """A whole gold file."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    k: int = Field(5, ge=1, le=50)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    cases: list[GoldCase]

    @model_validator(mode="after")
    def _unique_ids(self) -> GoldSet:
        ids = [c.id for c in self.cases]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate case ids: {', '.join(duplicates)}")
        return self


def load_gold(path: Path) -> GoldSet:
    """Read and validate a YAML (or JSON) gold file; errors name the case and the fix."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInputError(f"gold file {path} not found: pass --gold PATH") from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"gold file {path} is not valid YAML: {exc}") from exc
    try:
        return GoldSet.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInputError(f"gold file {path} is invalid: {problems}") from exc


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How one case did."""

    id: str
    kind: str
    questions: list[str]
    status: Literal["pass", "fail", "skipped"]
    answered: bool = False
    confidence: float = 0.0
    facts: dict[str, bool] = field(default_factory=dict)
    recall_at_k: float | None = None
    reciprocal_rank: float | None = None
    citations: int = 0
    exact_citations: int = 0
    latency_ms: float = 0.0
    answer: str = ""
    searched: str = ""
    note: str = ""


Asker = Callable[[GoldCase], tuple[Answer, str]]  # -> (final answer, question searched)


def gold_passage_ranks(answer: Answer, case: GoldCase, k: int) -> tuple[float, float]:
    """(recall@k, reciprocal rank) of the first retrieved passage holding a gold fact."""
    facts = [f.lower() for f in case.facts]
    for rank, hit in enumerate(answer.retrieved, start=1):
        text = hit.passage.text.lower()
        if hit.passage.doc_id == case.doc and any(f in text for f in facts):
            return (1.0 if rank <= k else 0.0), 1.0 / rank
    return 0.0, 0.0


def score_case(
    case: GoldCase,
    answer: Answer,
    searched: str,
    documents: dict[str, Document],
    k: int,
) -> CaseResult:
    """Score one answered case against its gold facts."""
    cited = answer.citations if answer.answered else ()
    exact = sum(
        1
        for c in cited + answer.closest
        if c.doc_id in documents and documents[c.doc_id].text[c.start : c.end] == c.quote
    )
    total = len(cited) + len(answer.closest)
    quotes = " ".join(c.quote for c in cited if c.doc_id == case.doc).lower()
    facts = {fact: fact.lower() in quotes for fact in case.facts}
    recall, rr = (None, None)
    if case.kind == "answerable":
        recall, rr = gold_passage_ranks(answer, case, k)
        ok = answer.answered and all(facts.values())
    else:
        ok = not answer.answered
    ok = ok and exact == total
    return CaseResult(
        id=case.id,
        kind=case.kind,
        questions=case.questions,
        status="pass" if ok else "fail",
        answered=answer.answered,
        confidence=answer.confidence,
        facts=facts,
        recall_at_k=recall,
        reciprocal_rank=rr,
        citations=total,
        exact_citations=exact,
        latency_ms=answer.latency_ms,
        answer=answer.text,
        searched=searched,
    )


def run_cases(
    gold: GoldSet,
    ask: Asker,
    documents: dict[str, Document],
    chat: Asker | None = None,
) -> list[CaseResult]:
    """Run every case; multi-turn ones only when a chat runner is given."""
    results = []
    for case in gold.cases:
        runner = chat if case.requires == "multi_turn" else ask
        if runner is None:
            results.append(
                CaseResult(
                    id=case.id,
                    kind=case.kind,
                    questions=case.questions,
                    status="skipped",
                    note="needs multi-turn chat",
                )
            )
            continue
        answer, searched = runner(case)
        results.append(score_case(case, answer, searched, documents, gold.k))
    return results


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else 1.0


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 2)


def summarize(results: Sequence[CaseResult]) -> dict[str, float]:
    """Totals over the cases that ran."""
    ran = [r for r in results if r.status != "skipped"]
    answerable = [r for r in ran if r.kind == "answerable"]
    unanswerable = [r for r in ran if r.kind == "unanswerable"]
    facts = [ok for r in answerable for ok in r.facts.values()]
    abstained = [r for r in ran if not r.answered]
    latencies = [r.latency_ms for r in ran]
    return {
        "cases": len(ran),
        "skipped": len(results) - len(ran),
        "passed": sum(r.status == "pass" for r in ran),
        "fact_coverage": _ratio(sum(facts), len(facts)),
        "recall_at_k": _ratio(sum(r.recall_at_k or 0.0 for r in answerable), len(answerable)),
        "mrr": _ratio(sum(r.reciprocal_rank or 0.0 for r in answerable), len(answerable)),
        "citation_exactness": _ratio(
            sum(r.exact_citations for r in ran), sum(r.citations for r in ran)
        ),
        "abstention_recall": _ratio(sum(not r.answered for r in unanswerable), len(unanswerable)),
        "abstention_precision": _ratio(
            sum(r.kind == "unanswerable" for r in abstained), len(abstained)
        ),
        "wrongly_abstained": _ratio(sum(not r.answered for r in answerable), len(answerable)),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
    }


@dataclass(frozen=True, slots=True)
class BaselineDiff:
    """What changed against the baseline, fact by fact."""

    lost: list[tuple[str, str]]  # (case id, fact) passing in the baseline, failing now
    gained: list[tuple[str, str]]
    newly_answered: list[str]  # unanswerable cases the baseline abstained on
    newly_abstained: list[str]  # unanswerable cases that now abstain again
    new_cases: list[str]


def baseline_payload(results: Sequence[CaseResult], totals: dict[str, float]) -> dict[str, Any]:
    """The JSON written to evals/baseline.json by --update-baseline."""
    return {
        "version": 1,
        "totals": totals,
        "cases": {
            r.id: {
                "kind": r.kind,
                "status": r.status,
                "abstained": not r.answered,
                "facts": r.facts,
            }
            for r in results
            if r.status != "skipped"
        },
    }


def diff_against_baseline(
    results: Sequence[CaseResult], baseline: dict[str, Any] | None
) -> BaselineDiff:
    """Facts newly lost or gained, and unanswerable cases newly answered."""
    lost: list[tuple[str, str]] = []
    gained: list[tuple[str, str]] = []
    newly_answered: list[str] = []
    newly_abstained: list[str] = []
    new_cases: list[str] = []
    before_cases: dict[str, Any] = (baseline or {}).get("cases", {})
    for r in results:
        if r.status == "skipped":
            continue
        before = before_cases.get(r.id)
        if before is None:
            new_cases.append(r.id)
            continue
        if r.kind == "unanswerable":
            if before.get("abstained") and r.answered:
                newly_answered.append(r.id)
            elif not before.get("abstained") and not r.answered:
                newly_abstained.append(r.id)
            continue
        for fact, ok in r.facts.items():
            was = before.get("facts", {}).get(fact)
            if was and not ok:
                lost.append((r.id, fact))
            elif ok and not was:  # failing before, or a fact new to the case
                gained.append((r.id, fact))
    return BaselineDiff(lost, gained, newly_answered, newly_abstained, new_cases)


def gate(totals: dict[str, float], thresholds: Thresholds, diff: BaselineDiff) -> list[str]:
    """Reasons the run fails; empty when it passes."""
    reasons = [f"fact lost: {case}: {fact!r}" for case, fact in diff.lost]
    reasons += [f"unanswerable case now answered: {case}" for case in diff.newly_answered]
    for name, minimum in thresholds.model_dump().items():
        if totals.get(name, 0.0) < minimum:
            reasons.append(f"{name} {totals.get(name, 0.0):.3f} is below the threshold {minimum}")
    return reasons


def result_dicts(results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    """Plain dicts for JSON."""
    return [asdict(r) for r in results]


def ask_runner(ask: Callable[[str], Answer]) -> Asker:
    """An Asker for single-question cases over `Assistant.ask` (the API's code path)."""

    def run(case: GoldCase) -> tuple[Answer, str]:
        question = case.questions[-1]
        return ask(question), question

    return run


def chat_runner(chat: Callable[[str, str | None], ChatReply]) -> Asker:
    """An Asker for multi-turn cases over `Assistant.chat` (the chat API's code path)."""

    def run(case: GoldCase) -> tuple[Answer, str]:
        conversation_id: str | None = None
        reply = None
        for question in case.questions:
            reply = chat(question, conversation_id)
            conversation_id = reply.conversation_id
        assert reply is not None  # a case has at least one question
        return reply.answer, reply.searched

    return run
