from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus.chunk import chunk_documents, group_passages, split_sentences
from assistant.records import Document

_ALPHABET = st.sampled_from([*list("abc XYZ.?!\n\t\"'’“”-,U.S.Dr"), "  ", "\n\n", "é", "U.S. "])


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=120).map("".join))
def test_sentence_offsets_are_exact_ordered_and_cover_the_text(text: str) -> None:
    spans = split_sentences(text, max_chars=40)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        assert "\n" not in piece
        assert end - start <= 40
        assert text[previous_end:start].strip() == ""  # only whitespace is left out
        previous_end = end
    assert text[previous_end:].strip() == ""


@settings(max_examples=100, deadline=None)
@given(
    st.lists(_ALPHABET, max_size=200).map("".join),
    st.integers(min_value=20, max_value=300),
    st.integers(min_value=0, max_value=3),
)
def test_passages_are_exact_slices_and_cover_every_sentence(
    text: str, max_chars: int, overlap: int
) -> None:
    doc = Document(doc_id="d", title="t", text=text)
    chunked = chunk_documents([doc], max_chars=max_chars, overlap=overlap)
    for sentence in chunked.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
    covered: set[int] = set()
    for passage in chunked.passages:
        assert text[passage.start : passage.end] == passage.text
        first = chunked.sentences[passage.sentence_ids[0]]
        last = chunked.sentences[passage.sentence_ids[-1]]
        assert (first.start, last.end) == (passage.start, passage.end)
        covered.update(passage.sentence_ids)
    assert covered == {s.sentence_id for s in chunked.sentences}


def test_abbreviations_do_not_end_sentences() -> None:
    text = "The U.S. president met Dr. Smith on Friday. Talks resumed in Oman."
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "The U.S. president met Dr. Smith on Friday.",
        "Talks resumed in Oman.",
    ]


def test_lines_never_share_a_sentence() -> None:
    text = "Headline without a full stop\nPublished February 9, 2026\nBody sentence."
    assert len(split_sentences(text)) == 3


def test_overlap_repeats_the_last_sentence() -> None:
    spans = [(0, 10), (11, 20), (21, 30), (31, 40)]
    assert group_passages(spans, max_chars=20, overlap=1) == [(0, 2), (1, 3), (2, 4)]
    assert group_passages(spans, max_chars=20, overlap=0) == [(0, 2), (2, 4)]


def test_overlong_sentence_is_cut_at_whitespace() -> None:
    text = "word " * 100
    spans = split_sentences(text, max_chars=50)
    assert all(e - s <= 50 for s, e in spans)
    assert all(text[s:e].endswith("word") for s, e in spans)


def test_ids_are_global_and_consecutive() -> None:
    docs = [Document("a", "A", "One. Two."), Document("b", "B", "Three. Four. Five.")]
    chunked = chunk_documents(docs, max_chars=10, overlap=0)
    assert [s.sentence_id for s in chunked.sentences] == [0, 1, 2, 3, 4]
    assert [p.passage_id for p in chunked.passages] == list(range(len(chunked.passages)))
    assert {p.doc_id for p in chunked.passages} == {"a", "b"}


def test_fast_segments_equal_pysbd_segment_on_the_seed_article() -> None:
    import pysbd

    from assistant.corpus.chunk import _segments
    from assistant.corpus.ingest import load_corpus
    from tests.conftest import SEEDS

    reference = pysbd.Segmenter(language="en", clean=False)
    paragraphs = [line for d in load_corpus(SEEDS) for line in d.text.split("\n") if line]
    paragraphs += ["Dr. Smith met U.S. officials at 5 p.m. on Friday. He left.", "No period"]
    assert len(paragraphs) >= 20
    for paragraph in paragraphs:
        ours = [s.strip() for s in _segments(paragraph) if s.strip()]
        theirs = [s.strip() for s in reference.segment(paragraph) if s.strip()]
        assert ours == theirs, paragraph
