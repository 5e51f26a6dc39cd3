"""Conversation store: turns kept in SQLite so a restart does not lose them.

Bounded: at most `max_turns` turns per conversation are kept (older ones dropped),
and a conversation idle for `ttl_seconds` expires (purged on the next write).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from assistant.answer.converse import Turn
from assistant.errors import NotFoundError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, question TEXT NOT NULL, searched TEXT NOT NULL,
    answer TEXT NOT NULL, quotes TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (conversation_id, seq));
"""


class ConversationStore:
    """Thread-safe SQLite store of conversation turns."""

    def __init__(self, path: Path, max_turns: int = 20, ttl_seconds: float = 7 * 86400) -> None:
        self.path = path
        self.max_turns = max_turns
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def new_id(self) -> str:
        """A fresh conversation id (not stored until its first turn)."""
        return uuid.uuid4().hex

    def exists(self, conversation_id: str) -> bool:
        """Whether a conversation is stored and not expired."""
        with self._lock:
            row = self._db.execute(
                "SELECT updated FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        return row is not None and time.time() - row[0] <= self.ttl_seconds

    def history(self, conversation_id: str) -> list[Turn]:
        """The kept turns, oldest first; NotFoundError when unknown or expired."""
        with self._lock:
            row = self._db.execute(
                "SELECT updated FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None or time.time() - row[0] > self.ttl_seconds:
                raise NotFoundError(
                    f"no conversation {conversation_id!r} (unknown or expired): omit "
                    "conversation_id to start a new one"
                )
            rows = self._db.execute(
                "SELECT question, searched, quotes FROM turns WHERE conversation_id = ? "
                "ORDER BY seq",
                (conversation_id,),
            ).fetchall()
        return [Turn(q, s, tuple(json.loads(quotes))) for q, s, quotes in rows]

    def append(
        self, conversation_id: str, question: str, searched: str, answer: str, quotes: list[str]
    ) -> None:
        """Store a turn, trim the conversation to `max_turns`, purge expired ones."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO conversations (id, created, updated) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated",
                    (conversation_id, now, now),
                )
                (seq,) = self._db.execute(
                    "SELECT COALESCE(MAX(seq), -1) + 1 FROM turns WHERE conversation_id = ?",
                    (conversation_id,),
                ).fetchone()
                self._db.execute(
                    "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (conversation_id, seq, question, searched, answer, json.dumps(quotes), now),
                )
                self._db.execute(
                    "DELETE FROM turns WHERE conversation_id = ? AND seq <= ?",
                    (conversation_id, seq - self.max_turns),
                )
                self._db.execute(
                    "DELETE FROM conversations WHERE updated < ?", (now - self.ttl_seconds,)
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
