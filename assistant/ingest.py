"""Ingest: read a corpus folder into `Document`s (stable id, title, date, cleaned text).

The cleaned text is what every citation offset refers to; it is stored in the
index and served by the API, so a client can always highlight `text[start:end]`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from assistant.errors import CorpusError
from assistant.records import Document

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md")

# Lines that web scrapers leave behind and that are never content. Each pattern
# matches a whole line (case-insensitive).
_DEBRIS_LINES = [
    r"recommended stories",
    r"list of \d+ items?\s*(end of list)?",
    r"end of list",
    r"advertisement",
    r"skip to (main )?content",
    r"(read|see) more:?",
    r"share (this|on) .{0,30}",
]
_DEBRIS_RE = re.compile(r"^\s*(?:" + "|".join(_DEBRIS_LINES) + r")\s*$", re.IGNORECASE)

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_PUBLISHED_RE = re.compile(
    r"(?:published|updated|posted)(?:\s+on)?\s*:?\s*"
    r"(?:(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"|(?P<iday>\d{1,2})\s+(?P<imonth>[A-Za-z]+)\s+(?P<iyear>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}))",
    re.IGNORECASE,
)


def clean_text(raw: str) -> str:
    """Normalise newlines, drop a BOM and scraping-debris lines; keep everything else verbatim."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    kept = [line for line in text.split("\n") if not _DEBRIS_RE.match(line)]
    return "\n".join(kept).strip("\n")


def find_published_date(text: str) -> str | None:
    """The ISO date of the first 'Published <date>' statement in the text, if any."""
    for match in _PUBLISHED_RE.finditer(text[:5000]):
        try:
            if match.group("iso"):
                return date.fromisoformat(match.group("iso")).isoformat()
            month_name = match.group("month") or match.group("imonth")
            day = match.group("day") or match.group("iday")
            year = match.group("year") or match.group("iyear")
            month = _month_number(month_name)
            if month is None:
                continue
            return date(int(year), month, int(day)).isoformat()
        except ValueError:
            continue
    return None


def _month_number(name: str) -> int | None:
    name = name.lower()
    for full, number in _MONTHS.items():
        if len(name) >= 3 and full.startswith(name):
            return number
    return None


def find_title(text: str, fallback: str) -> str:
    """The first non-empty line (Markdown heading marks removed), at most 200 characters."""
    for line in text.split("\n"):
        stripped = line.strip().lstrip("#").strip()
        if stripped:
            return stripped if len(stripped) <= 200 else stripped[:197].rstrip() + "..."
    return fallback


def make_document(doc_id: str, raw: str, source_path: str | None = None) -> Document:
    """Build a `Document` from raw text: cleaned text, title and publication date."""
    text = clean_text(raw)
    return Document(
        doc_id=doc_id,
        title=find_title(text, fallback=doc_id),
        text=text,
        published=find_published_date(text),
        source_path=source_path,
    )


def iter_corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files under `corpus_dir`, sorted, never following links out of it."""
    if not corpus_dir.exists():
        raise CorpusError(
            f"corpus folder {corpus_dir} does not exist: create it or set ASSISTANT_CORPUS_DIR"
        )
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path {corpus_dir} is not a folder: point it at a folder")
    root = corpus_dir.resolve()
    files: list[Path] = []
    for path in sorted(corpus_dir.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if path.name.startswith("."):
            continue
        if not path.resolve().is_relative_to(root):
            logger.warning("skipping %s: it links outside the corpus folder", path)
            continue
        files.append(path)
    return files


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    """Stable id: the path relative to the corpus folder, without its suffix."""
    return path.relative_to(corpus_dir).with_suffix("").as_posix()


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Read every supported file of a corpus folder; undecodable or empty files are skipped."""
    documents: list[Document] = []
    for path in iter_corpus_files(corpus_dir):
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            logger.warning("skipping %s: not valid UTF-8 text", path)
            continue
        document = make_document(doc_id_for(path, corpus_dir), raw, source_path=str(path))
        if not document.text.strip():
            logger.warning("skipping %s: empty after cleaning", path)
            continue
        documents.append(document)
    if not documents:
        raise CorpusError(
            f"no readable .txt or .md documents in {corpus_dir}: add some or set "
            "ASSISTANT_CORPUS_DIR to a folder that has them"
        )
    return documents


def corpus_fingerprint(documents: Iterable[Document]) -> str:
    """SHA-256 over every document's id and cleaned text: changes when the corpus does."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.doc_id):
        digest.update(document.doc_id.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(document.text.encode()).digest())
    return digest.hexdigest()
