"""Feedback store: every answer the bot posts, and the helpful / not-helpful votes on it.

`export_candidates` turns not-helpful answers into candidate gold cases (the eval gold
format) for a person to review before adding them to evals/.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import NotFoundError
from assistant.records import Answer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY, created REAL NOT NULL, question TEXT NOT NULL,
    searched TEXT NOT NULL, answered INTEGER NOT NULL, answer TEXT NOT NULL,
    citations TEXT NOT NULL, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(answer_id), created REAL NOT NULL,
    helpful INTEGER NOT NULL, comment TEXT, user TEXT);
"""


@dataclass(frozen=True, slots=True)
class Vote:
    """A vote on a stored answer, with the answer it was about."""

    answer_id: str
    helpful: bool
    comment: str | None
    question: str
    searched: str
    answered: bool
    answer: str
    citations: list[dict[str, Any]]


class FeedbackStore:
    """Thread-safe SQLite store of answers and votes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def record_answer(self, question: str, searched: str, answer: Answer, source: str) -> str:
        """Store an answer as posted; returns its id (carried by the feedback buttons)."""
        answer_id = uuid.uuid4().hex
        citations = [
            {"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end, "quote": c.quote}
            for c in answer.citations
        ]
        with self._lock:
            self._db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    time.time(),
                    question,
                    searched,
                    int(answer.answered),
                    answer.text,
                    json.dumps(citations),
                    source,
                ),
            )
        return answer_id

    def vote(
        self, answer_id: str, helpful: bool, comment: str | None = None, user: str | None = None
    ) -> None:
        """Record a vote; NotFoundError for an unknown answer id."""
        with self._lock:
            if not self._db.execute(
                "SELECT 1 FROM answers WHERE answer_id = ?", (answer_id,)
            ).fetchone():
                raise NotFoundError(f"no stored answer {answer_id!r} to vote on")
            self._db.execute(
                "INSERT INTO votes VALUES (?, ?, ?, ?, ?)",
                (answer_id, time.time(), int(helpful), comment, user),
            )

    def votes(self, helpful: bool | None = None) -> list[Vote]:
        """Votes with their answers, oldest first; filtered by rating when given."""
        query = (
            "SELECT v.answer_id, v.helpful, v.comment, a.question, a.searched, a.answered, "
            "a.answer, a.citations FROM votes v JOIN answers a USING (answer_id)"
        )
        params: tuple[Any, ...] = ()
        if helpful is not None:
            query += " WHERE v.helpful = ?"
            params = (int(helpful),)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY v.created", params).fetchall()
        return [
            Vote(r[0], bool(r[1]), r[2], r[3], r[4], bool(r[5]), r[6], json.loads(r[7]))
            for r in rows
        ]


def export_candidates(votes: list[Vote]) -> str:
    """Not-helpful votes as candidate gold cases (YAML), one per answer, to review by hand."""
    import yaml

    cases = []
    seen: set[str] = set()
    for vote in votes:
        if vote.helpful or vote.answer_id in seen:
            continue
        seen.add(vote.answer_id)
        docs = [c["doc_id"] for c in vote.citations]
        case: dict[str, Any] = {
            "id": f"fb-{vote.answer_id[:8]}",
            "question": vote.question,
            "kind": "answerable",
            "doc": docs[0] if docs else "FILL IN: the document that answers",
            "facts": ["FILL IN: a short string the right excerpt must contain"],
            "tags": ["from-feedback"],
            "review": {
                "searched": vote.searched,
                "answered": vote.answered,
                "answer": vote.answer,
                "comment": vote.comment or "",
            },
        }
        cases.append(case)
    header = (
        "# Candidate gold cases from not-helpful feedback. Review each one: fill in `facts`\n"
        "# and `doc` (or set `kind: unanswerable` and drop them), delete the `review` block,\n"
        "# then move the case into evals/gold.yaml.\n"
    )
    return header + yaml.safe_dump({"cases": cases}, sort_keys=False, allow_unicode=True)
