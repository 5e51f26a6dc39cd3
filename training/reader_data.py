"""Training examples for the reader: (question, passage, answer span or None).

Sources, all public and offline (../shared/DATA.md):
- the SQuAD 2.0-style Disfl-QA file: answerable and human-written unanswerable questions;
  validation is split by `topic`, never by row;
- HaluEval-QA questions outside the benchmark's tuning and report samples: a window of
  about one passage around each verbatim answer, and hard negatives (the question paired
  with the other paragraph of its knowledge, or a BM25-retrieved window, lacking the answer);
- made unanswerables, the way SQuAD 2.0's writers made theirs: one name or number of an
  answerable question swapped for another of the same kind that its passage never uses,
  checked against the passage.

Never the seed gold set or the seed probes.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQUAD_FILE = ROOT.parent / "shared" / "data" / "squad2-disfl-train.jsonl.gz"
VALIDATION_TOPICS = frozenset({3, 7, 11, 15, 19, 23})  # every fourth topic
HALUEVAL_BENCH_SAMPLE = 2000  # the benchmark's tuning + report questions: never trained on
WINDOW_CHARS = 700  # the index's passage_max_chars default

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'(])")
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’.-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_AUX_NOT = re.compile(r"\b(is|was|are|were|did|does|do|can|could|has|had|have)\b", re.I)


@dataclass(frozen=True, slots=True)
class Example:
    """One reader example; `answer_start` is a char offset into `context` or -1."""

    question: str
    context: str
    answer_start: int
    answer: str
    source: str
    topic: int = -1

    @property
    def answerable(self) -> bool:
        """Whether the context holds the answer."""
        return self.answer_start >= 0


def squad_rows() -> list[dict[str, object]]:
    """The Disfl-QA rows."""
    with gzip.open(SQUAD_FILE, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def squad_examples(rows: list[dict[str, object]], topics: set[int] | None) -> list[Example]:
    """Examples of the given topics (all when None)."""
    out = []
    for row in rows:
        topic = int(row["topic"])  # type: ignore[call-overload]
        if topics is not None and topic not in topics:
            continue
        context, question = str(row["context"]), str(row["question"])
        answer = row["answer"]
        if answer is None:
            out.append(Example(question, context, -1, "", "squad-null", topic))
            continue
        start = context.find(str(answer))
        if start < 0:
            continue
        out.append(Example(question, context, start, str(answer), "squad", topic))
    return out


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((begin, match.start()))
        begin = match.end()
    spans.append((begin, len(text)))
    return [(a, b) for a, b in spans if b > a]


def window_around(text: str, start: int, end: int, rng: random.Random) -> tuple[int, int]:
    """A run of whole sentences of at most WINDOW_CHARS holding [start, end)."""
    sentences = _sentences(text)
    first = next(i for i, (a, b) in enumerate(sentences) if b >= start)
    last = next(i for i, (a, b) in enumerate(sentences) if b >= end)
    lo, hi = first, last
    while True:  # grow on a random side while it fits
        grew = False
        for side in rng.sample(["l", "r"], 2):
            if side == "l" and lo > 0 and sentences[hi][1] - sentences[lo - 1][0] <= WINDOW_CHARS:
                lo, grew = lo - 1, True
            if (
                side == "r"
                and hi + 1 < len(sentences)
                and sentences[hi + 1][1] - sentences[lo][0] <= WINDOW_CHARS
            ):
                hi, grew = hi + 1, True
        if not grew or rng.random() < 0.15:
            break
    return sentences[lo][0], sentences[hi][1]


def halueval_examples(
    qa: list[dict[str, str]], order: list[int], count: int, rng: random.Random
) -> tuple[list[Example], list[Example]]:
    """Positive windows around verbatim answers and hard negatives lacking the answer."""
    positives, negatives = [], []
    for qid in order[HALUEVAL_BENCH_SAMPLE : HALUEVAL_BENCH_SAMPLE + count]:
        row = qa[qid]
        knowledge, question = row["knowledge"].strip(), row["question"].strip()
        answer = row["right_answer"].strip()
        if answer.lower() in {"yes", "no"}:
            continue
        start = knowledge.lower().find(answer.lower())
        if start < 0:
            continue
        a, b = window_around(knowledge, start, start + len(answer), rng)
        window = knowledge[a:b]
        positives.append(Example(question, window, start - a, answer, "halueval"))
        # the rest of the knowledge, outside the answer's window, lacking the answer
        rest = [
            (x, y)
            for x, y in _sentences(knowledge)
            if (y <= a or x >= b) and answer.lower() not in knowledge[x:y].lower()
        ]
        if rest:
            x, y = rest[0] if rest[0][1] <= a else rest[-1]
            lo, hi = window_around(knowledge, x, y, rng)
            other = knowledge[lo:hi]
            if answer.lower() not in other.lower() and len(other) > 80:
                negatives.append(Example(question, other, -1, "", "halueval-other"))
    return positives, negatives


def retrieved_negatives(
    examples: list[Example], pool: list[str], per_question: int, rng: random.Random
) -> list[Example]:
    """The question with the best BM25 window of another example that lacks its answer."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(pool, stopwords="en", show_progress=False), show_progress=False)
    queries = bm25s.tokenize([e.question for e in examples], stopwords="en", show_progress=False)
    ids, _ = retriever.retrieve(queries, k=per_question + 3, show_progress=False)
    out = []
    for example, row in zip(examples, ids, strict=True):
        taken = 0
        for idx in row:
            text = pool[int(idx)]
            if text == example.context or (
                example.answer and example.answer.lower() in text.lower()
            ):
                continue
            out.append(Example(example.question, text, -1, "", "retrieved", example.topic))
            taken += 1
            if taken >= per_question:
                break
    return out


def swapped(example: Example, donors: list[str], rng: random.Random) -> Example | None:
    """The question with one name or number it shares with the passage swapped for one of
    the same kind the passage never uses: unanswerable from that passage."""
    context_lower = example.context.lower()
    names = [
        m
        for m in _NAME.finditer(example.question)
        if m.start() > 0 and m.group().lower() in context_lower and len(m.group()) > 2
    ]
    numbers = [m for m in _NUMBER.finditer(example.question) if m.group() in example.context]
    candidates = names + numbers
    if not candidates:
        return None
    target = rng.choice(candidates)
    for _ in range(20):
        donor = rng.choice(donors)
        if target in numbers:
            found = [m.group() for m in _NUMBER.finditer(donor)]
        else:
            found = [m.group() for m in _NAME.finditer(donor) if m.start() > 0]
        found = [f for f in found if f.lower() not in context_lower and len(f) > 2]
        if found:
            new = rng.choice(found)
            question = example.question[: target.start()] + new + example.question[target.end() :]
            return Example(question, example.context, -1, "", "swapped", example.topic)
    return None


def negated(example: Example) -> Example | None:
    """The question with its first auxiliary negated ("was" -> "was not")."""
    match = _AUX_NOT.search(example.question)
    if match is None or " not " in example.question or "n't" in example.question:
        return None
    question = example.question[: match.end()] + " not" + example.question[match.end() :]
    return Example(question, example.context, -1, "", "negated", example.topic)


def build(seed: int = 13, halueval_count: int = 6500) -> dict[str, list[Example]]:
    """The train and validation examples (validation: SQuAD topics only, as asked)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.halueval_data import QA_MEMBER, read_jsonl

    rng = random.Random(seed)
    rows = squad_rows()
    all_topics = {int(r["topic"]) for r in rows}  # type: ignore[call-overload]
    train_squad = squad_examples(rows, all_topics - VALIDATION_TOPICS)
    validation = squad_examples(rows, set(VALIDATION_TOPICS))
    qa = read_jsonl(QA_MEMBER)
    order = list(range(len(qa)))
    random.Random(13).shuffle(order)  # the same order benchmarks/halueval_data.py samples
    positives, others = halueval_examples(qa, order, halueval_count, rng)
    squad_pos = [e for e in train_squad if e.answerable]
    contexts = sorted({e.context for e in train_squad})
    made: list[Example] = []
    for example in squad_pos:
        donors = [e.context for e in train_squad if e.topic == example.topic]
        if rng.random() < 0.7:
            swap = swapped(example, donors, rng)
            if swap is not None:
                made.append(swap)
        if rng.random() < 0.15:
            neg = negated(example)
            if neg is not None:
                made.append(neg)
    windows = [e.context for e in positives]
    for example in rng.sample(positives, k=min(1500, len(positives))):
        swap = swapped(example, windows, rng)
        if swap is not None:
            made.append(swap)
    retrieved = retrieved_negatives(
        rng.sample(positives, k=min(1500, len(positives))), windows, 1, rng
    )
    retrieved += retrieved_negatives(squad_pos, contexts, 1, rng)
    train = train_squad + positives + rng.sample(others, k=min(2000, len(others)))
    train += made + retrieved
    rng.shuffle(train)
    return {"train": train, "validation": validation}


if __name__ == "__main__":
    from collections import Counter

    data = build()
    for name, examples in data.items():
        print(name, len(examples), Counter(e.source for e in examples))
    for e in data["train"][:8]:
        print(e.source, "|", e.question, "|", e.answer, "|", e.context[:80])
