from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.answer.conversations import ConversationStore
from assistant.errors import NotFoundError


def test_turns_survive_a_restart(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite")
    cid = store.new_id()
    store.append(cid, "Who is X?", "Who is X?", "X is Y. [1]", ["X is Y."])
    store.close()
    reopened = ConversationStore(tmp_path / "c.sqlite")
    [turn] = reopened.history(cid)
    assert (turn.question, turn.searched, turn.quotes) == ("Who is X?", "Who is X?", ("X is Y.",))


def test_length_is_bounded(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite", max_turns=3)
    cid = store.new_id()
    for i in range(5):
        store.append(cid, f"q{i}", f"q{i}", "a", [])
    assert [t.question for t in store.history(cid)] == ["q2", "q3", "q4"]


def test_unknown_and_expired_conversations(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite", ttl_seconds=0.2)
    with pytest.raises(NotFoundError, match="omit conversation_id"):
        store.history("nope")
    cid = store.new_id()
    store.append(cid, "q", "q", "a", [])
    assert store.history(cid)
    time.sleep(0.3)
    with pytest.raises(NotFoundError):
        store.history(cid)


def test_exists_follows_storage_and_expiry(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite", ttl_seconds=0.2)
    assert not store.exists("slack-C1-1.0")
    store.append("slack-C1-1.0", "q", "q", "a", [])
    assert store.exists("slack-C1-1.0")
    time.sleep(0.3)
    assert not store.exists("slack-C1-1.0")
