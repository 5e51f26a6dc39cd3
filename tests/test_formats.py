"""Folders of mixed files: HTML, PDF, JSONL, globs, several roots, and files to skip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.corpus.ingest import IngestReport, load_corpus
from tests.conftest import write_corpus

HTML = """<!doctype html><html><head><title>Harbour closes for winter</title>
<meta property="article:published_time" content="2025-11-03">
<script>document.title = "pwned"; alert(1)</script><style>p { color: red }</style></head>
<body><nav>Home | News | Sport</nav>
<article><h1>Harbour closes for winter</h1>
<p>The old harbour of Porto Vecchio will close for the winter on Friday, the port
authority said in a statement. Fishing boats will move to the northern quay.</p>
<p>Repairs to the breakwater are expected to take three months and cost two million
euros, according to the authority's engineers.</p></article>
<footer>Copyright 2025</footer></body></html>"""


def _pdf(text: str) -> bytes:
    """A minimal one-page PDF with `text` in Helvetica (built by hand: no PDF writer ships)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def test_html_pdf_and_jsonl_become_documents(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"news/harbour.html": HTML})
    (corpus / "report.pdf").write_bytes(_pdf("Quarterly exports rose by four percent."))
    rows = [
        {
            "id": "n1",
            "title": "First note",
            "text": "Notes about tides.",
            "published": "2024-05-01",
        },
        {"id": "n2", "title": "Second", "text": "Notes about wind."},
        {"id": "n1", "title": "Duplicate", "text": "skipped"},
        "not an object",
    ]
    (corpus / "bulk.jsonl").write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    report = IngestReport()
    docs = {d.doc_id: d for d in load_corpus(corpus, report=report)}
    assert set(docs) == {"news/harbour", "report", "bulk/n1", "bulk/n2"}
    harbour = docs["news/harbour"]
    assert harbour.title == "Harbour closes for winter"
    assert harbour.published == "2025-11-03"
    assert "breakwater" in harbour.text
    assert "alert" not in harbour.text and "pwned" not in harbour.text  # scripts dropped
    assert "Home | News" not in harbour.text  # navigation dropped
    assert "exports rose by four percent" in docs["report"].text
    assert docs["bulk/n1"].title == "First note" and docs["bulk/n1"].published == "2024-05-01"
    assert docs["bulk/n1"].text == "Notes about tides."


def test_bad_files_are_skipped_with_one_line_each(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"ok.txt": "Fine text."})
    (corpus / "empty.md").write_text("", "utf-8")
    (corpus / "nul.txt").write_bytes(b"text\x00with\x00nuls")
    (corpus / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (corpus / "huge.txt").write_text("word " * 5000, "utf-8")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    report = IngestReport()
    docs = load_corpus(corpus, max_file_bytes=10_000, report=report)
    assert [d.doc_id for d in docs] == ["ok"]
    why = {Path(p).name: reason for p, reason in report.skipped}
    assert why["empty.md"] == "empty file"
    assert "NUL" in why["nul.txt"]
    assert "UTF-8" in why["latin1.txt"]
    assert "limit" in why["huge.txt"]
    assert "unsupported" in why["image.png"]
    assert "PDF" in why["broken.pdf"]
    assert report.summary() == "1 documents read, 6 files skipped"


def test_globs_and_several_roots(tmp_path: Path) -> None:
    a = write_corpus(tmp_path / "notes", {"x.md": "# X\nAlpha.", "drafts/y.md": "# Y\nBeta."})
    b = write_corpus(tmp_path / "papers", {"z.txt": "Gamma.", "x.md": "# Other X\nDelta."})
    ids = [d.doc_id for d in load_corpus([a, b], exclude=["drafts/*"])]
    assert ids == ["notes/x", "papers/x", "papers/z"]
    only_md = [d.doc_id for d in load_corpus([a, b], include=["*.md"])]
    assert only_md == ["notes/drafts/y", "notes/x", "papers/x"]


def test_paths_outside_are_never_followed(tmp_path: Path) -> None:
    outside = write_corpus(tmp_path / "outside", {"secret.txt": "secret"})
    corpus = write_corpus(tmp_path / "c", {"in.txt": "inside"})
    (corpus / "linked").symlink_to(outside, target_is_directory=True)
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    report = IngestReport()
    assert [d.doc_id for d in load_corpus(corpus, report=report)] == ["in"]
    assert any("links outside" in why for _, why in report.skipped)


@pytest.mark.slow
def test_cli_indexes_folders_with_globs(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    a = write_corpus(tmp_path / "notes", {"x.md": "# X\nAlpha ships.", "skip.md": "# S\nNo."})
    b = write_corpus(tmp_path / "pages", {"p.html": HTML})
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "COLUMNS": "200"}
    run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", str(a), str(b), "--exclude", "skip.md"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "2 documents" in run.stdout and "2 added" in run.stdout
    again = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", str(a), str(b), "--exclude", "skip.md"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "up to date" in again.stdout
