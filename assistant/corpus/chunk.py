"""Chunk: split documents into sentences and overlapping passages with exact offsets.

Sentences come from pysbd (a rule-based splitter that knows abbreviations such
as "U.S." and "Dr."), run paragraph by paragraph; offsets are located in the
original text, so `text[start:end]` is always exactly the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from assistant.records import Document, Passage, Sentence

_PARAGRAPH_RE = re.compile(r"[^\n]+")
_WORD_BREAK_RE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _segments(paragraph: str) -> list[str]:
    """pysbd's sentences of one paragraph, without `Segmenter.segment`'s own search for
    each sentence's characters (a regex over the paragraph per sentence, about 40% of
    its time): `_split_paragraph` finds them with `str.find` anyway."""
    if not paragraph:
        return []
    return list(_segmenter().processor(paragraph).process())


def split_sentences(text: str, max_chars: int = 1000) -> list[tuple[int, int]]:
    """(start, end) of every sentence; whitespace is never part of a sentence.

    Paragraphs (lines) never share a sentence. A sentence longer than `max_chars`
    is cut at whitespace so that no unit exceeds what the encoder reads.
    """
    spans: list[tuple[int, int]] = []
    for paragraph in _PARAGRAPH_RE.finditer(text):
        if not paragraph.group().strip():
            continue
        for start, end in _split_paragraph(paragraph.group(), paragraph.start()):
            spans.extend(_cap_length(text, start, end, max_chars))
    return spans


def _split_paragraph(paragraph: str, offset: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for segment in _segments(paragraph):
        piece = segment.strip()
        if not piece:
            continue
        found = paragraph.find(piece, cursor)
        if found < 0:
            # pysbd did not return a verbatim substring: keep the rest as one sentence
            break
        spans.append((offset + found, offset + found + len(piece)))
        cursor = found + len(piece)
    rest = paragraph[cursor:]
    if rest.strip():
        lead = len(rest) - len(rest.lstrip())
        spans.append((offset + cursor + lead, offset + cursor + len(rest.rstrip())))
    return spans


def _cap_length(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        breaks = [m.start() for m in _WORD_BREAK_RE.finditer(window)]
        cut = breaks[-1] if breaks and breaks[-1] > 0 else max_chars
        pieces.append((start, start + len(window[:cut].rstrip())))
        start += cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def group_passages(
    spans: Sequence[tuple[int, int]], max_chars: int, overlap: int
) -> list[tuple[int, int]]:
    """Group consecutive sentences into passages of at most `max_chars` (a single longer
    sentence stands alone); each passage repeats the last `overlap` sentences of the
    previous one. Returns (first, last_exclusive) sentence indices.
    """
    groups: list[tuple[int, int]] = []
    first = 0
    n = len(spans)
    while first < n:
        last = first + 1
        while last < n and spans[last][1] - spans[first][0] <= max_chars:
            last += 1
        groups.append((first, last))
        if last >= n:
            break
        # step back by `overlap` sentences, but always move forward
        first = max(first + 1, last - overlap)
    return groups


@dataclass(frozen=True, slots=True)
class ChunkedCorpus:
    """Sentences and passages of a whole corpus, with global ids."""

    sentences: list[Sentence]
    passages: list[Passage]


Layout = tuple[list[tuple[int, int]], list[tuple[int, int]]]  # sentence spans, passage groups


def layout(text: str, max_chars: int = 700, overlap: int = 1) -> Layout:
    """A document's sentence spans and its passages as (first, last + 1) sentence groups:
    the costly part of chunking, and a pure one (any worker can run it)."""
    spans = split_sentences(text, max_chars=max_chars)
    return spans, list(group_passages(spans, max_chars, overlap))


def assemble(
    documents: Sequence[Document],
    layouts: Sequence[Layout],
    first_passage_id: int = 0,
    first_sentence_id: int = 0,
) -> ChunkedCorpus:
    """Sentences and passages of the documents from their layouts; ids are consecutive
    from the given starting points, in document order."""
    sentences: list[Sentence] = []
    passages: list[Passage] = []
    sentence_id = first_sentence_id
    passage_id = first_passage_id
    for document, (spans, groups) in zip(documents, layouts, strict=True):
        ids = list(range(sentence_id, sentence_id + len(spans)))
        sentence_id += len(spans)
        for sid, (start, end) in zip(ids, spans, strict=True):
            sentences.append(Sentence(sid, document.doc_id, start, end, document.text[start:end]))
        for first, last in groups:
            start, end = spans[first][0], spans[last - 1][1]
            passages.append(
                Passage(
                    passage_id=passage_id,
                    doc_id=document.doc_id,
                    start=start,
                    end=end,
                    text=document.text[start:end],
                    sentence_ids=tuple(ids[first:last]),
                )
            )
            passage_id += 1
    return ChunkedCorpus(sentences=sentences, passages=passages)


def chunk_documents(
    documents: Sequence[Document],
    max_chars: int = 700,
    overlap: int = 1,
    first_passage_id: int = 0,
    first_sentence_id: int = 0,
) -> ChunkedCorpus:
    """Chunk every document; ids are consecutive from the given starting points."""
    layouts = [layout(d.text, max_chars, overlap) for d in documents]
    return assemble(documents, layouts, first_passage_id, first_sentence_id)
