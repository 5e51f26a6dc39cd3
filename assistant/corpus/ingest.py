"""Ingest: read a corpus folder into `Document`s (stable id, title, date, cleaned text).

The cleaned text is what every citation offset refers to; it is stored in the
index and served by the API, so a client can always highlight `text[start:end]`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from assistant.corpus.formats import READERS, Extracted, UnreadableFileError
from assistant.errors import CorpusError
from assistant.records import Document

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")

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


@dataclass
class IngestReport:
    """What reading a corpus did: documents read and files skipped, with the reason."""

    documents: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, path: Path | str, why: str) -> None:
        """Record and warn, one line a file."""
        self.skipped.append((str(path), why))
        logger.warning("skipping %s: %s", path, why)

    def summary(self) -> str:
        """One line for the CLI."""
        return f"{self.documents} documents read, {len(self.skipped)} files skipped"


def _matches(relative: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(Path(relative).name, p) for p in patterns
    )


def iter_corpus_files(
    corpus_dir: Path,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    report: IngestReport | None = None,
) -> list[Path]:
    """Supported files under `corpus_dir`, sorted, never following links out of it.

    `include` / `exclude` are glob patterns on the path relative to the folder (or on
    the file name): with `include`, only matching files are read; `exclude` wins.
    """
    report = report if report is not None else IngestReport()
    if not corpus_dir.exists():
        raise CorpusError(
            f"corpus folder {corpus_dir} does not exist: create it or set ASSISTANT_CORPUS_DIR"
        )
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path {corpus_dir} is not a folder: point it at a folder")
    root = corpus_dir.resolve()
    files: list[Path] = []
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in Path(relative).parts):
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            if path.exists():
                report.skip(path, "it links outside the corpus folder")
            continue
        if not path.is_file():
            continue
        if include and not _matches(relative, include):
            continue
        if exclude and _matches(relative, exclude):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            report.skip(path, f"unsupported file type {path.suffix or '(none)'}")
            continue
        if not path.resolve().is_relative_to(root):
            report.skip(path, "it links outside the corpus folder")
            continue
        files.append(path)
    return files


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    """Stable id: the path relative to the corpus folder, without its suffix."""
    return path.relative_to(corpus_dir).with_suffix("").as_posix()


def _read_file(path: Path, max_file_bytes: int) -> list[Extracted]:
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFileError("empty file")
    if size > max_file_bytes:
        raise UnreadableFileError(
            f"{size} bytes is over the {max_file_bytes}-byte limit (ASSISTANT_MAX_FILE_BYTES)"
        )
    reader = READERS.get(path.suffix.lower())
    if reader is not None:
        return reader(path)
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise UnreadableFileError("binary content (NUL bytes)")
    try:
        return [Extracted(text=data.decode("utf-8"))]
    except UnicodeDecodeError as exc:
        raise UnreadableFileError("not valid UTF-8 text") from exc


def corpus_files(
    corpus: Path | Sequence[Path],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    report: IngestReport | None = None,
) -> list[tuple[Path, Path, str]]:
    """Every supported file of one or more corpus folders as (path, its root, id prefix),
    in reading order. With several folders, ids start with the folder's name."""
    roots = [corpus] if isinstance(corpus, Path) else list(corpus)
    report = report if report is not None else IngestReport()
    out: list[tuple[Path, Path, str]] = []
    for root in roots:
        prefix = f"{root.name}/" if len(roots) > 1 else ""
        found = iter_corpus_files(root, include, exclude, report)
        out.extend((path, root, prefix) for path in found)
    return out


def read_documents(
    path: Path, root: Path, prefix: str, max_file_bytes: int
) -> tuple[list[Document], list[tuple[str, str]]]:
    """One file's documents (a .jsonl file holds many) and what was skipped, with why;
    no I/O beyond reading the file, so any worker can run it."""
    try:
        extracted = _read_file(path, max_file_bytes)
    except (UnreadableFileError, OSError) as exc:
        return [], [(str(path), str(exc))]
    base = prefix + doc_id_for(path, root)
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    for item in extracted:
        doc_id = f"{base}/{item.key}" if item.key is not None else base
        document = make_document(doc_id, item.text, source_path=str(path))
        if item.title or item.published:
            document = replace(
                document,
                title=(item.title or document.title)[:200],
                published=_iso(item.published) or document.published,
            )
        if not document.text.strip():
            skipped.append((f"{path} ({doc_id})", "empty after cleaning"))
            continue
        documents.append(document)
    return documents, skipped


def gather_documents(
    per_file: Iterable[tuple[list[Document], list[tuple[str, str]]]],
    report: IngestReport,
    roots: Path | Sequence[Path],
) -> list[Document]:
    """The corpus from each file's `read_documents`, in file order: the first document
    of an id wins, every skip is reported; an empty corpus is an error."""
    documents: list[Document] = []
    seen: set[str] = set()
    for found, skipped in per_file:
        for path, why in skipped:
            report.skip(path, why)
        for document in found:
            if document.doc_id in seen:
                report.skip(
                    f"{document.source_path} ({document.doc_id})", "an earlier file has the same id"
                )
                continue
            seen.add(document.doc_id)
            documents.append(document)
    report.documents = len(documents)
    if not documents:
        where = ", ".join(str(r) for r in ([roots] if isinstance(roots, Path) else roots))
        raise CorpusError(
            f"no readable documents in {where}: add .txt, .md, .html, .pdf or .jsonl files, "
            "or set ASSISTANT_CORPUS_DIR to a folder that has them"
        )
    return documents


def load_corpus(
    corpus: Path | Sequence[Path],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    max_file_bytes: int = 20_000_000,
    report: IngestReport | None = None,
) -> list[Document]:
    """Read every supported file of one or more corpus folders.

    With several folders, ids start with the folder's name ("notes/a", "papers/b").
    Unsupported, empty, binary, oversized or undecodable files are skipped with a
    one-line warning each (collected in `report`).
    """
    report = report if report is not None else IngestReport()
    files = corpus_files(corpus, include, exclude, report)
    per_file = (read_documents(path, root, prefix, max_file_bytes) for path, root, prefix in files)
    return gather_documents(per_file, report, corpus)


def _iso(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return find_published_date(f"Published {value}")


def corpus_fingerprint(documents: Iterable[Document]) -> str:
    """SHA-256 over every document's id and cleaned text: changes when the corpus does."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.doc_id):
        digest.update(document.doc_id.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(document.text.encode()).digest())
    return digest.hexdigest()
