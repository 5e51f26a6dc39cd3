"""The answer stage: read -> calibrate -> cite, with the fake reader and the real one."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.compose import (
    CitationMismatchError,
    ComposeConfig,
    Question,
    Templates,
    compose_answer,
    read_candidates,
    span_sentences,
    verify_citations,
)
from assistant.answer.confidence import ConfidenceModel
from assistant.answer.reader import LexicalReader, Reading, load_reader
from assistant.corpus.ingest import load_corpus
from assistant.pipeline import Assistant
from assistant.records import Citation, Document
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index
from assistant.search.retrieve import RetrievalConfig, retrieve
from tests.conftest import PROMPTS, corpus_assistant, make_settings

CORPUS = {
    "a.txt": "Talks in Oman\nThe weekend talks were held in Muscat, the capital of Oman. "
    "Araghchi led the Iranian delegation. He called the missile program non-negotiable.\n"
    "Gardening is popular in spring. Tulips flower in April.",
    "b.txt": "Markets\nOil prices rose sharply on Monday. Traders cited the talks.",
}
ALWAYS = ConfidenceModel(bias=5.0, weights={}, source="test: always answers")
NEVER = ConfidenceModel(bias=-5.0, weights={}, source="test: never answers")


def _compose(bot: Assistant, question: str, model: ConfidenceModel, **config: object):  # type: ignore[no-untyped-def]
    vector = bot.embedder.encode([question])[0]
    hits = retrieve(bot.data, question, vector, RetrievalConfig(top_k=5))
    return compose_answer(
        question,
        vector,
        hits,
        bot.data,
        LexicalReader(),
        model,
        Templates.load(PROMPTS),
        ComposeConfig(**config),  # type: ignore[arg-type]
    )


def test_every_quote_and_highlight_is_the_source_at_its_offsets(tmp_path: Path) -> None:
    bot = corpus_assistant(tmp_path, CORPUS)
    answer = _compose(bot, "Where were the weekend talks held?", ALWAYS)
    assert answer.answered and answer.citations
    for c in answer.citations:
        text = bot.get_document(c.doc_id).text
        assert text[c.start : c.end] == c.quote
        assert c.highlight_start is not None and c.highlight_end is not None
        assert 0 <= c.highlight_start < c.highlight_end <= len(c.quote)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_the_citation_is_the_sentence_that_holds_the_span(tmp_path: Path) -> None:
    bot = corpus_assistant(tmp_path, CORPUS)
    vector = bot.embedder.encode(["Muscat"])[0]
    hit = next(
        h
        for h in retrieve(bot.data, "Muscat", vector, RetrievalConfig(top_k=5))
        if "Muscat" in h.passage.text
    )
    text = bot.data.documents[hit.passage.doc_id].text
    at = text.index("Muscat")
    [sentence] = span_sentences(hit, at, at + len("Muscat"), bot.data)
    assert sentence.text.startswith("The weekend talks were held in Muscat")
    both = span_sentences(hit, at, text.index("Araghchi") + 3, bot.data)
    assert len(both) == 2  # a span across a sentence end cites both sentences


def test_abstains_below_the_threshold_and_says_why(tmp_path: Path) -> None:
    bot = corpus_assistant(tmp_path, CORPUS)
    answer = _compose(bot, "What is the capital of Australia?", NEVER)
    assert not answer.answered and answer.citations == ()
    assert answer.closest  # the closest passages are still shown, labelled
    assert "“Australia”" in (answer.reason or "")
    assert answer.text.startswith("The corpus does not answer")
    answered = _compose(bot, "What is the capital of Australia?", ALWAYS)
    assert answered.answered  # the same evidence, another model: the model decides


def test_a_candidate_close_behind_the_best_is_cited_too(tmp_path: Path) -> None:
    bot = corpus_assistant(tmp_path, CORPUS)
    one = _compose(bot, "What happened with the talks?", ALWAYS, max_sentences=1)
    three = _compose(bot, "What happened with the talks?", ALWAYS, max_sentences=3)
    assert len(one.citations) == 1
    assert len(three.citations) > 1
    assert three.citations[0].quote == one.citations[0].quote
    quotes = [c.quote for c in three.citations]
    assert len(quotes) == len(set(quotes))


def test_candidates_are_ordered_by_probability(tmp_path: Path) -> None:
    bot = corpus_assistant(tmp_path, CORPUS)
    question = "Who led the Iranian delegation?"
    vector = bot.embedder.encode([question])[0]
    hits = retrieve(bot.data, question, vector, RetrievalConfig(top_k=5))
    model = ConfidenceModel(bias=-2.0, weights={"passage_overlap": 6.0})
    candidates = read_candidates(
        Question.of(question), vector, hits, bot.data, LexicalReader(), model, ComposeConfig()
    )
    probabilities = [c.probability for c in candidates]
    assert probabilities == sorted(probabilities, reverse=True)
    assert "Araghchi" in candidates[0].sentences[0].text
    assert candidates[0].features["missing_names"] == 0.0


def test_a_question_analysed_once_gives_its_names() -> None:
    q = Question.of("When did Araghchi meet the Omani minister in 2025?")
    assert q.names == ("araghchi", "omani", "2025")
    assert q.asks_when
    assert not Question.of("Who met Araghchi?").asks_when


def test_verify_citations_rejects_a_wrong_quote() -> None:
    doc = Document("d", "t", "Alpha beta gamma.")
    verify_citations([Citation(1, "d", "t", 0, 0, 5, "Alpha", 1.0)], {"d": doc})
    with pytest.raises(CitationMismatchError):
        verify_citations([Citation(1, "d", "t", 0, 1, 6, "Alpha", 1.0)], {"d": doc})


def test_templates_come_from_the_prompts_folder(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "answer.txt").write_text("ANSWER: $body", encoding="utf-8")
    (prompts / "abstain.txt").write_text("NO: $reason", encoding="utf-8")
    (prompts / "date_note.txt").write_text("($dates)", encoding="utf-8")
    (prompts / "conflict.txt").write_text("DISAGREE: $notes", encoding="utf-8")
    settings = make_settings(tmp_path, prompts_dir=prompts)
    embedder = HashEmbedder()
    build_index(load_corpus(settings.corpus_dir), embedder, settings)
    bot = Assistant.from_settings(settings, embedder)
    assert bot.ask("What is the capital of Australia?").text.startswith("NO: no passage")
    answered = bot.ask("Who is Iran's foreign minister?")
    assert answered.answered, answered.reason
    assert answered.text.startswith("ANSWER: ")


def test_missing_template_names_the_file(tmp_path: Path) -> None:
    from assistant.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"answer\.txt"):
        Templates.load(tmp_path)


def test_question_validation(fake_assistant: Assistant) -> None:
    from assistant.errors import InvalidInputError

    for bad in ["", "   \n", "x" * 2001]:
        with pytest.raises(InvalidInputError):
            fake_assistant.ask(bad)
    with pytest.raises(InvalidInputError, match="top_k"):
        fake_assistant.ask("Where?", top_k=0)


def test_the_real_reader_finds_the_span_and_scores_no_answer() -> None:
    reader = load_reader()
    passage = (
        "The weekend talks were held in Muscat, the capital of Oman. "
        "Gardening is popular in spring."
    )
    [(found, *_)] = reader.read("In which city were the weekend talks held?", [passage])
    assert "Muscat" in passage[found.start : found.end]
    [(off, *_)] = reader.read("Who won the Super Bowl in 1998?", [passage])
    assert off.margin < found.margin  # "no answer" is likelier where nothing answers
    assert isinstance(found, Reading)
    assert reader.read("anything", []) == []
    [spans] = reader.read("Where were the talks held?", [passage], spans=3)
    assert (
        1 <= len(spans) <= 3
        and spans[0] == reader.read("Where were the talks held?", [passage])[0][0]
    )
    scores = [r.span_score for r in spans]
    assert scores == sorted(scores, reverse=True)
    taken = [set(range(r.start, r.end)) for r in spans]
    assert all(not (a & b) for i, a in enumerate(taken) for b in taken[i + 1 :])  # no overlap


def test_reading_on_several_workers_equals_reading_on_one() -> None:
    from assistant.answer.reader import OnnxReader

    passages = [
        "The weekend talks were held in Muscat, the capital of Oman.",
        "Gardening is popular in spring, when the first shoots appear in the beds "
        "and the long evenings invite people outside after work.",
        "Iran's foreign minister is Abbas Araghchi.",
        "Trump met Netanyahu for the seventh time.",
        "Nothing here.",
    ]
    question = "Who is Iran's foreign minister?"
    split = OnnxReader(workers=3).read(question, passages, spans=2)
    whole = OnnxReader(workers=1).read(question, passages, spans=2)
    assert len(split) == len(passages) and split == whole
    # a passage's scores do not depend on what else is read beside it
    assert OnnxReader(workers=2).read(question, passages[2:3], spans=2) == split[2:3]
    (best, *_) = split[2]
    assert "Araghchi" in passages[2][best.start : best.end]


def test_a_missing_reader_model_says_how_to_get_it(tmp_path: Path) -> None:
    from assistant.answer.reader import OnnxReader
    from assistant.errors import ModelUnavailableError

    with pytest.raises(ModelUnavailableError, match="train_reader"):
        OnnxReader(tmp_path)


def test_a_sentence_opening_with_a_pronoun_is_cited_with_the_one_before(tmp_path: Path) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "President Trump threatened military action for weeks. "
            "He increased pressure by sending aircraft carriers to the region.\n"
            "Gardening is popular in spring."
        },
    )
    answer = _compose(bot, "How was pressure increased with aircraft carriers?", ALWAYS)
    first = answer.citations[0]
    assert first.quote.startswith("President Trump threatened")
    assert first.quote.endswith("to the region.")
    low, high = first.highlight_start, first.highlight_end
    assert low is not None and high is not None
    assert (
        first.quote[low:high] in "He increased pressure by sending aircraft carriers to the region."
    )
