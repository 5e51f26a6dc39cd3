from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.corpus.ingest import (
    clean_text,
    corpus_fingerprint,
    find_published_date,
    load_corpus,
    make_document,
)
from assistant.errors import CorpusError
from tests.conftest import SEEDS, write_corpus


def test_seed_document_is_cleaned_dated_and_titled() -> None:
    [doc] = load_corpus(SEEDS)
    assert doc.doc_id == "000_a1b2fa8f02a3a778"
    assert doc.published == "2026-02-09"
    assert doc.title.startswith("The Israeli prime minister wants talks")
    assert "Recommended stories" not in doc.text
    assert "itemsend of list" not in doc.text
    assert "Araghchi" in doc.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Title\nPublished February 9, 2026\nBody.", "2026-02-09"),
        ("Published: 2025-12-01", "2025-12-01"),
        ("Updated 3 March 2024", "2024-03-03"),
        ("Published Feb. 29, 2023", None),  # not a real date
        ("No date here.", None),
    ],
)
def test_published_date(text: str, expected: str | None) -> None:
    assert find_published_date(text) == expected


def test_clean_text_drops_only_debris_lines() -> None:
    raw = "Head\r\nRecommended stories\r\nlist of 3 itemsend of list\r\nKeep this line.\r\n"
    assert clean_text(raw) == "Head\nKeep this line."


def test_markdown_title_and_fallback() -> None:
    assert make_document("a", "# My heading\n\nText.").title == "My heading"
    assert make_document("b", "\n\n").title == "b"


def test_skips_bad_files_and_links_outside(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"good.txt": "Real text.", "sub/deep.md": "# Deep\nx"})
    (corpus / "empty.txt").write_text("Recommended stories\n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\xff\xfe\x00bad")
    (corpus / "ignored.pdf").write_bytes(b"%PDF")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    os.symlink(outside, corpus / "link.txt")
    ids = [d.doc_id for d in load_corpus(corpus)]
    assert ids == ["good", "sub/deep"]


def test_missing_or_empty_corpus_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="ASSISTANT_CORPUS_DIR"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no readable"):
        load_corpus(tmp_path / "empty")


def test_fingerprint_changes_with_content(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, {"a.txt": "one", "b.txt": "two"})
    before = corpus_fingerprint(load_corpus(corpus))
    assert before == corpus_fingerprint(load_corpus(corpus))
    (corpus / "b.txt").write_text("three", encoding="utf-8")
    assert corpus_fingerprint(load_corpus(corpus)) != before
