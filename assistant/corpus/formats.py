"""File formats: turn .html, .pdf and .jsonl files into (id suffix, raw text, metadata).

HTML goes through trafilatura (main text, title and date; scripts, navigation and
boilerplate are dropped, never executed); PDF through pypdf (page texts joined by a
blank line); JSONL holds one `{id, title, text, published?}` object a line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Extracted:
    """One document's text out of a file; `key` is appended to the file's id (JSONL)."""

    text: str
    title: str | None = None
    published: str | None = None
    key: str | None = None


class UnreadableFileError(Exception):
    """The file cannot be turned into text; the message says why (one line)."""


def read_html(path: Path) -> list[Extracted]:
    """Main text, title and date of an HTML page."""
    import trafilatura

    raw = path.read_bytes().decode("utf-8", errors="replace")
    text = trafilatura.extract(
        raw, include_comments=False, include_tables=True, favor_precision=True
    )
    if not text:
        raise UnreadableFileError("no main text found in the HTML")
    meta = trafilatura.extract_metadata(raw)
    title = meta.title if meta is not None else None
    published = meta.date if meta is not None else None
    return [Extracted(text=text, title=title, published=published)]


def read_pdf(path: Path) -> list[Extracted]:
    """Text of every page of a PDF (no OCR: scanned pages yield nothing)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableFileError(f"not a readable PDF ({exc})") from exc
    text = "\n\n".join(p for p in pages if p)
    if not text:
        raise UnreadableFileError("the PDF has no extractable text (scanned?)")
    return [Extracted(text=text, title=title)]


def read_jsonl(path: Path) -> list[Extracted]:
    """One document per line: {"id", "title", "text", "published"?}; bad lines are skipped."""
    out: list[Extracted] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key, text = str(row["id"]), str(row["text"])
            except (ValueError, KeyError, TypeError):
                logger.warning("skipping %s line %d: not an object with id and text", path, number)
                continue
            if key in seen:
                logger.warning("skipping %s line %d: duplicate id %r", path, number, key)
                continue
            seen.add(key)
            title = row.get("title")
            published = row.get("published")
            out.append(
                Extracted(
                    text=text,
                    title=str(title) if title else None,
                    published=str(published) if published else None,
                    key=key,
                )
            )
    return out


READERS = {".html": read_html, ".htm": read_html, ".pdf": read_pdf, ".jsonl": read_jsonl}
