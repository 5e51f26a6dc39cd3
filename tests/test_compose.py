from __future__ import annotations

from pathlib import Path

import pytest

from assistant.compose import (
    _PRONOUN_START,
    CitationMismatchError,
    ComposeConfig,
    ScoredSentence,
    _distinct,
    _unattributed_quote,
    absent_focus,
    absent_place_role,
    absent_role,
    add_beside,
    add_beyond_restatement,
    add_bridge,
    add_continuation,
    add_missing_words,
    answer_features,
    answer_type,
    answer_type_cue,
    cover_parts,
    event_ahead,
    holder_named,
    is_date_request,
    is_overview_request,
    is_title_request,
    lacks_clock_time,
    lacks_date,
    lacks_duration,
    lacks_finer_place,
    lacks_number,
    named_apart,
    role_holder,
    score_sentences,
    sentence_outside,
    speaker_mismatch,
    split_compound,
    verify_citations,
)
from assistant.embed import HashEmbedder
from assistant.indexing import build_index
from assistant.ingest import load_corpus
from assistant.people import names_by_role, role_and_place, role_places, titled_people
from assistant.pipeline import Assistant
from assistant.records import Citation, Document, Hit, Sentence
from assistant.retrieve import retrieve
from tests.conftest import corpus_assistant, make_settings


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who is Iran's foreign minister?", "person"),
        ("When were the talks held?", "date"),
        ("On what date did it end?", "date"),
        ("How many meetings have there been?", "number"),
        ("Where were the talks held?", "place"),
        ("Why did the talks stall?", None),
    ],
)
def test_answer_type(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_answer_type_cues() -> None:
    assert answer_type_cue("date", "They met on Friday.", "") == 1.0
    assert answer_type_cue("number", "It was the seventh meeting.", "") == 1.0
    assert answer_type_cue("person", "Abbas Araghchi spoke.", "Who spoke?") == 1.0
    assert answer_type_cue("person", "Abbas Araghchi spoke.", "Who is Abbas Araghchi?") == 0.0
    assert answer_type_cue("place", "Talks were held in Oman.", "") == 1.0
    assert answer_type_cue("place", "Talks were held.", "") == 0.0
    # a month or a weekday after "from"/"on" is a time, not a place
    assert answer_type_cue("place", "It ran from September 1990 to May 1996.", "") == 0.0
    # the numbers of a date or a year do not answer "how many"
    life = "Peter Jensen (16 May 1886 – 26 October 1961) was a Danish American engineer."
    assert answer_type_cue("number", life, "") == 0.0
    assert answer_type_cue("number", "About 1,500,000 Americans are of Danish descent.", "") == 1.0
    assert answer_type_cue("number", "Two ships arrived on March 3.", "") == 1.0


def test_every_quote_is_the_source_at_its_offsets(fake_assistant: Assistant) -> None:
    for question in [
        "Where were the talks held?",
        "What did Araghchi say about the missile program?",
        "What did Trump say about a deal?",
    ]:
        answer = fake_assistant.ask(question)
        for c in answer.citations + answer.closest:
            text = fake_assistant.get_document(c.doc_id).text
            assert text[c.start : c.end] == c.quote
        if answer.answered:
            assert answer.citations and "[1]" in answer.text


def test_abstains_on_weak_evidence(fake_assistant: Assistant) -> None:
    answer = fake_assistant.ask("What is the capital of Australia?")
    assert not answer.answered
    assert answer.citations == ()
    assert answer.closest  # labelled closest passages are still shown
    assert "Australia" in (answer.reason or "")
    assert answer.text.startswith("The corpus does not answer")


def test_pronoun_sentence_brings_its_antecedent(tmp_path: Path) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "President Trump threatened military action for weeks. "
            "He increased pressure by sending aircraft carriers to the region.\n"
            "Gardening is popular in spring."
        },
        min_confidence=0.0,
    )
    answer = bot.ask("sending aircraft carriers increased pressure")
    first = answer.citations[0]
    assert first.quote.startswith("President Trump threatened")
    assert first.quote.endswith("to the region.")


def test_name_coverage_reads_the_antecedent_the_sentence_is_cited_with(tmp_path: Path) -> None:
    """ "Where did Trump send warships?" answered by "He ... sending warships ...": the
    sentence before it names Trump and is cited with it, so the name is covered."""
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "President Trump threatened military action for weeks. "
            "He increased pressure by sending warships to the Middle East.\n"
            "Gardening is popular in spring."
        },
    )
    pronoun = _candidate(bot, "He increased pressure by sending warships to the Middle East.")
    features, _ = answer_features("Where did Trump send warships?", [], [], [pronoun], bot.data)
    assert features["name_coverage"] == 1.0 and features["top_name_coverage"] == 1.0
    gardening = _candidate(bot, "Gardening is popular in spring.")
    features, _ = answer_features("Where did Trump send warships?", [], [], [gardening], bot.data)
    assert features["name_coverage"] == 0.0


def test_verify_citations_rejects_a_wrong_quote() -> None:
    doc = Document("d", "t", "Alpha beta gamma.")
    good = Citation(1, "d", "t", 0, 0, 5, "Alpha", 1.0)
    verify_citations([good], {"d": doc})
    with pytest.raises(CitationMismatchError):
        verify_citations([Citation(1, "d", "t", 0, 1, 6, "Alpha", 1.0)], {"d": doc})


def test_templates_come_from_the_prompts_folder(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "answer.txt").write_text("ANSWER: $body", encoding="utf-8")
    (prompts / "abstain.txt").write_text("NO: $reason", encoding="utf-8")
    (prompts / "date_note.txt").write_text("($dates)", encoding="utf-8")
    (prompts / "conflict.txt").write_text("DISAGREE: $notes", encoding="utf-8")
    settings = make_settings(tmp_path, prompts_dir=prompts, min_confidence=0.01)
    embedder = HashEmbedder()
    build_index(load_corpus(settings.corpus_dir), embedder, settings)
    bot = Assistant.from_settings(settings, embedder)
    assert bot.ask("What is the capital of Australia?").text.startswith("NO: no passage")
    answered = bot.ask("Where did the talks in Oman take place?")
    assert answered.answered, answered.reason
    assert answered.text.startswith("ANSWER: ")


def test_missing_template_names_the_file(tmp_path: Path) -> None:
    from assistant.compose import Templates
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


@pytest.mark.parametrize(
    ("question", "kept", "dropped"),
    [
        ("When was the article published?", "publish", "articl"),
        ("What does this story say about Oman?", "oman", "stori"),
        ("Which article of the treaty applies?", "articl", None),  # not the document itself
        ("Which groups are mentioned in the talks?", "group", "mention"),
        ("According to Parsi, what could break the talks?", "parsi", "accord"),
        ("Who mentioned Hamas?", "mention", None),  # a question about who said it
        ("What two groups are named as regional organizations?", "group", "two"),
        ("Which three countries are hostile to Iran?", "countri", "three"),
        ("How many of the two meetings went well?", "meet", None),
        ("What happened on Friday?", "friday", "happen"),
        ("What happened to oil prices?", "happen", None),  # the prices are asked about
        ("What is the US president's name?", "presid", "name"),
        ("Which weekday was the meeting announced?", "announc", "weekday"),
        ("Which weekday was the announcement made?", "announc", "made"),  # a light verb
        ("Who made the announcement?", "made", None),  # not at the end: what is asked
        ("Who is the current US president?", "presid", "current"),  # the text's own time
        ("Where is Iran currently sending oil?", "oil", "current"),
        ("How strong was the current in the strait?", "current", None),  # a noun
    ],
)
def test_words_for_the_document_itself_are_framing(
    question: str, kept: str, dropped: str | None
) -> None:
    from assistant.compose import question_tokens

    tokens = question_tokens(question)
    assert kept in tokens
    if dropped is not None:
        assert dropped not in tokens


def _candidate(bot: Assistant, text: str, score: float = 1.0) -> ScoredSentence:
    """The bot's indexed sentence with this text, as a candidate with this score."""
    sentence = next(s for s in bot.data.sentences if s.text == text)
    return ScoredSentence(sentence, score, score, 0.0, 0.0, 0)


def _one_document(tmp_path: Path, *sentences: str) -> tuple[Assistant, list[ScoredSentence]]:
    """A bot over one document ("Talks." and the sentences, in one paragraph), and each
    sentence as a candidate."""
    bot = corpus_assistant(tmp_path, {"a.txt": "Talks.\n\n" + " ".join(sentences)})
    return bot, [_candidate(bot, text) for text in sentences]


def _scored(sid: int, text: str, cue: float = 0.0, doc: str = "d") -> ScoredSentence:
    sentence = Sentence(sid, doc, sid * 100, sid * 100 + len(text), text)
    return ScoredSentence(sentence, 1.0 - sid / 10, 0.5, 0.1, cue, 0)


@pytest.mark.parametrize(
    ("question", "following", "following_cue", "added"),
    [
        # the best sentence introduces "Eragon"; the next one is about it
        (
            "Who directed the film with the theme song Keep Holding On?",
            "Eragon is a 2006 film directed by Stefen Fangmeier.",
            0.0,
            True,
        ),
        # the next sentence refers back with a pronoun
        (
            "Who directed the film with the theme song Keep Holding On?",
            "It was released in December.",
            0.0,
            True,
        ),
        # the next sentence holds the expected kind of answer; the best one does not
        (
            "Who directed the film with the theme song Keep Holding On?",
            "Filming began in Budapest under Stefen Fangmeier.",
            1.0,
            True,
        ),
        # the next sentence opens with a definite description of what the best one named
        (
            "Who directed the film with the theme song Keep Holding On?",
            "The film follows a farm boy and his dragon.",
            0.0,
            True,
        ),
        # "The ..." about something the best sentence did not name
        (
            "Who directed the film with the theme song Keep Holding On?",
            "The reviews were mixed.",
            0.0,
            False,
        ),
        # none of them: the answer stays one sentence
        (
            "Who directed the film with the theme song Keep Holding On?",
            "Reviews were mixed.",
            0.0,
            False,
        ),
    ],
)
def test_the_answer_goes_on_into_the_next_sentence_only_when_it_continues(
    question: str, following: str, following_cue: float, added: bool
) -> None:
    best = _scored(1, '"Keep Holding On" is the theme song for the 2006 film "Eragon".')
    nxt = _scored(2, following, following_cue)
    unrelated = _scored(7, "Eragon sold well.", doc="other")
    out = add_continuation(question, [best], [best, unrelated, nxt])
    assert out == ([best, nxt] if added else [best])


def test_no_continuation_across_documents_or_without_a_next_sentence() -> None:
    best = _scored(1, 'The theme song is for the film "Eragon".')
    elsewhere = _scored(2, "Eragon was directed by Stefen Fangmeier.", doc="other")
    assert add_continuation("Who directed it?", [best], [best, elsewhere]) == [best]
    assert add_continuation("Who directed it?", [], []) == []


_STADIUM_Q = (
    "Tom Watkins played college football for a team that plays its home games at what stadium?"
)


@pytest.mark.parametrize(
    ("following", "added"),
    [
        # holds "home games" and "stadium", which the run lacks
        ("The Cyclones play their home games at Jack Trice Stadium.", True),
        # nothing the question asks about
        ("The campus lies in Ames.", False),
    ],
)
def test_the_answer_goes_on_when_the_next_sentence_holds_missing_question_words(
    following: str, added: bool
) -> None:
    best = _scored(1, "Tom Watkins played college football at Iowa State.")
    also = _scored(2, "He was a running back.")  # in the run: the next after it is asked
    nxt = _scored(3, following)
    config = ComposeConfig(next_new_terms=0.2)
    out = add_missing_words(_STADIUM_Q, [best, also], [best, also, nxt], lambda t: 1.0, config)
    assert out == ([best, also, nxt] if added else [best, also])
    # a share above what the sentence holds keeps the answer as it was
    strict = ComposeConfig(next_new_terms=0.9)
    assert add_missing_words(_STADIUM_Q, [best], [best, nxt], lambda t: 1.0, strict) == [best]


def test_the_sentence_after_the_retrieved_passage_is_read_from_the_next_passage(
    tmp_path: Path,
) -> None:
    sentences = [
        "Tom Watkins played college football at Iowa State in the nineteen fifties.",
        "He was a running back for the team.",
        "The Cyclones play their home games at Jack Trice Stadium.",
        "It holds sixty thousand people.",
    ]
    bot = corpus_assistant(tmp_path, {"a.txt": " ".join(sentences)}, passage_max_chars=130)
    data = bot.data
    assert len(data.passages) >= 2
    first = data.passages[0]
    last_id = first.sentence_ids[-1]
    assert sentences[2] not in first.text  # the answer lies outside the first passage
    vector = bot.embedder.encode([_STADIUM_Q])[0]
    hit = Hit(
        passage=first, score=1.0, dense_score=0.5, lexical_score=1.0, dense_rank=1, lexical_rank=1
    )
    scored = score_sentences(_STADIUM_Q, vector, [hit], data, ComposeConfig())
    end = next(s for s in scored if s.sentence.sentence_id == last_id)
    (outside,) = sentence_outside(_STADIUM_Q, vector, end, scored, data, ComposeConfig())
    assert outside.sentence.sentence_id == last_id + 1
    assert outside.passage_id == first.passage_id + 1
    assert outside.sentence.sentence_id in data.passages[outside.passage_id].sentence_ids
    text = data.documents[outside.sentence.doc_id].text
    assert text[outside.sentence.start : outside.sentence.end] == outside.sentence.text
    # a sentence already among the candidates is not read twice
    assert (
        sentence_outside(_STADIUM_Q, vector, end, [*scored, outside], data, ComposeConfig()) == []
    )


def test_an_answer_that_only_restates_the_question_goes_on_to_new_information() -> None:
    question = "Who created the album released on July 7, 2017 by Slaughter Gang?"
    restating = _scored(1, "The album was released on July 7, 2017 by Slaughter Gang.")
    other_doc = _scored(2, "Shayaa Joseph founded a label in Atlanta.", doc="other")
    same_doc = _scored(3, "Issa Album is the debut studio album by rapper 21 Savage.")
    also_restating = _scored(4, "The album was released by Slaughter Gang in 2017.")
    config = ComposeConfig()
    scored = [restating, other_doc, same_doc, also_restating]
    # the best sentence of the same document that says something new joins
    assert add_beyond_restatement(question, [restating], scored, config) == [
        restating,
        same_doc,
    ]
    # a chosen sentence that already says something new: nothing added
    assert add_beyond_restatement(question, [same_doc], scored, config) == [same_doc]
    # beyond the margin: nothing added
    narrow = ComposeConfig(restate_margin=0.1)
    assert add_beyond_restatement(question, [restating], scored, narrow) == [restating]
    # switched off
    off = ComposeConfig(restate_novelty=0.0)
    assert add_beyond_restatement(question, [restating], scored, off) == [restating]


def test_a_demonym_counts_as_naming_its_country(tmp_path: Path) -> None:
    """ "the American leader" over a corpus that only says "the US president" and "the
    United States": the question's name is not missing, so the assistant answers."""
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks.\n\nThe US president warned of very serious consequences if "
            "the United States and Iran reach no deal."
        },
    )
    features, missing = answer_features(
        "What did the American leader warn of?", [], [], [], bot.data
    )
    assert "American" not in missing and features["missing_name_frac"] == 0.0
    _, missing = answer_features("What did the Australian leader warn of?", [], [], [], bot.data)
    assert "Australian" in missing


@pytest.mark.parametrize(
    ("text", "refers_back"),
    [
        ("He was head coach.", True),
        ("Previously, he was head coach of the Texas Tech team.", True),
        ("In early 2005, it moved to Oporto.", True),
        ("“They said no,” Trump added.", True),
        ("Mike Leach was head coach.", False),
        ("In Oman, talks resumed on Friday.", False),
        ("Hezbollah said it would respond.", False),  # "he" inside a word
    ],
)
def test_a_sentence_refers_back_when_it_opens_with_a_pronoun(text: str, refers_back: bool) -> None:
    assert bool(_PRONOUN_START.match(text)) is refers_back


def test_repeated_sentences_are_cited_once() -> None:
    a = _scored(1, "The talks were held in Oman.")
    b = _scored(2, "The talks were held  in Oman.", doc="copy")  # the same paragraph elsewhere
    c = _scored(3, "Trump said the talks went very well.")
    assert _distinct([a, b, c]) == [a, c]


@pytest.mark.parametrize(
    ("question", "overview"),
    [
        ("What is the article about?", True),
        ("Summarize the article.", True),
        ("Can you summarise this story briefly?", True),
        ("Give me the key points", True),
        ("What's this report mainly about?", True),
        ("tl;dr?", True),
        ("What are the main points of the documents?", True),
        # a request about something specific is a question like any other
        ("Summarize what Parsi said.", False),
        ("What is the Quincy Institute about?", False),
        ("What are the talks about?", False),
        ("Where were the talks held?", False),
    ],
)
def test_overview_requests(question: str, overview: bool) -> None:
    assert is_overview_request(question) is overview


def test_an_overview_cites_each_documents_headline_and_lead(tmp_path: Path) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks in Oman resume\nPublished February 9, 2026\nIranian and US "
            "envoys met in Muscat on Friday. Both sides called the talks useful.\n"
            + "Later paragraphs add detail about the envoys and the sanctions. "
            * 30,
            "b.txt": "Gardening in spring\nTomatoes need sun. Water them every morning.\n"
            "Mulch keeps the soil moist.",
        },
    )
    answer = bot.ask("What are these documents about?")
    assert answer.answered and answer.confidence == 1.0
    quotes = [c.quote for c in answer.citations]
    # the first two sentences of each document, the date line left out, each exact
    assert any(q.startswith("Talks in Oman resume") for q in quotes)
    assert any("Iranian and US envoys met in Muscat on Friday." in q for q in quotes)
    assert any(q.startswith("Gardening in spring") for q in quotes)
    assert not any("Published" in q or "Both sides" in q or "Mulch" in q for q in quotes)
    for c in answer.citations:
        assert bot.data.documents[c.doc_id].text[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What is the name of Oman's foreign minister?", ("foreign minister", "Oman")),
        ("Who is the foreign minister of Oman?", ("foreign minister", "Oman")),
        ("Who is president of Iran?", ("president", "Iran")),
        ("Who is the Omani foreign minister?", ("foreign minister", "Omani")),
        ("Who is the prime minister of the United States?", ("prime minister", "United States")),
        ("Who is Netanyahu going to meet in the United States?", None),
        ("What is the capital of Australia?", None),  # not a role
        ("Who is the president of Acme?", None),  # not a place places.txt knows
    ],
)
def test_questions_about_a_places_role(question: str, asked: tuple[str, str] | None) -> None:
    assert role_and_place(question) == asked


def test_the_place_that_holds_each_mention_of_a_role() -> None:
    text = (
        "Iranian Foreign Minister Abbas Araghchi met the foreign minister of Oman; "
        "the foreign minister said little."
    )
    assert role_places("foreign minister", text) == ["Iranian", "Oman", None]
    assert role_places("president", text) == []


def test_a_role_held_for_another_place_is_not_an_answer(tmp_path: Path) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks.\n\nIranian Foreign Minister Abbas Araghchi said the talks in Oman "
            "were a good start.\n\nGardening is popular in spring."
        },
        min_confidence=0.01,
    )
    answer = bot.ask("Who is Oman's foreign minister?")
    assert not answer.answered
    assert answer.reason == (
        "the passages name only the Iranian foreign minister, not the foreign minister of Oman"
    )
    assert bot.ask("Who is Iran's foreign minister?").answered
    assert bot.ask("Who is the Iranian foreign minister?").answered


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("What is the title of the article?", True),
        ("What's the headline?", True),
        ("What is the story called?", True),
        ("What is the title of Netanyahu?", False),  # a question about Netanyahu
        ("What is Netanyahu's office called?", False),
        ("Summarize the article.", False),
    ],
)
def test_title_requests(question: str, title: bool) -> None:
    assert is_title_request(question) is title


def test_a_title_request_cites_each_documents_first_sentence(fake_assistant: Assistant) -> None:
    answer = fake_assistant.ask("What is the title of the article?")
    assert answer.answered and len(answer.citations) == 1
    first = answer.citations[0]
    document = fake_assistant.data.documents[first.doc_id]
    assert first.start == 0 and document.text[first.start : first.end] == first.quote


@pytest.mark.parametrize(
    ("question", "date"),
    [
        ("What is the date of the article?", True),
        ("When was this story published?", True),
        ("What is the publication date?", True),
        ("When was the meeting announced?", False),  # a question about the meeting
        ("What date were the talks held?", False),
        ("When was the article published and who wrote it?", False),  # an author too
    ],
)
def test_date_requests(question: str, date: bool) -> None:
    assert is_date_request(question) is date


def test_a_date_request_cites_the_date_line(fake_assistant: Assistant) -> None:
    answer = fake_assistant.ask("What is the date of the article?")
    assert answer.answered and len(answer.citations) == 1
    [line] = answer.citations
    assert line.quote.startswith("Published") and "2026" in line.quote
    document = fake_assistant.data.documents[line.doc_id]
    assert document.text[line.start : line.end] == line.quote


def _role_bot(tmp_path: Path) -> Assistant:
    return corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks.\n\nNetanyahu will meet President Donald Trump, with the US "
            "president confirming more talks.\n\nIranian Foreign Minister Abbas Araghchi "
            "called the talks a good start. President Masoud Pezeshkian described the talks "
            "in Oman as a step forward.\n\nGardening is popular in spring."
        },
        min_confidence=0.01,
    )


def test_the_holder_of_a_places_role_is_one_the_passages_do_not_tie_elsewhere(
    tmp_path: Path,
) -> None:
    """ "President Donald Trump" shares a sentence with "the US president", so he is not
    Iran's president; "President Masoud Pezeshkian" is tied to no other place."""
    bot = _role_bot(tmp_path)
    for question in ("Who is the president of Iran?", "What is the name of Iran's president?"):
        answer = bot.ask(question)
        assert answer.answered
        assert [c.quote for c in answer.citations] == [
            "President Masoud Pezeshkian described the talks in Oman as a step forward."
        ]
    us = bot.ask("Who is the US president?")
    assert "President Donald Trump" in us.citations[0].quote
    # a question that asks more than who holds the role is answered the usual way
    assert role_and_place("Which president of Iran described the talks in Oman?")
    scored = [
        ScoredSentence(s, 1.0, 1.0, 0.0, 0.0, 0)
        for s in bot.data.sentences
        if "President" in s.text
    ]
    assert role_holder("Which president of Iran described the talks in Oman?", scored) is None
    assert role_holder("Who is the president of Iran?", scored) is not None


def test_a_question_about_a_places_role_is_read_as_about_the_holder(tmp_path: Path) -> None:
    """ "Iran's president" is Pezeshkian here: his sentence answers what Iran's president
    said, not the sentence about the US president; a role of a place the holder's
    passage never mentions, an indefinite role or a "who is" question is left as asked."""
    bot = _role_bot(tmp_path)
    pezeshkian = "President Masoud Pezeshkian described the talks in Oman as a step forward."
    for question in (
        "What did Iran's president say about the talks?",
        "What did the Iranian president think of the talks?",
    ):
        answer = bot.ask(question)
        assert answer.answered, question
        assert answer.question == question
        assert [c.quote for c in answer.citations] == [pezeshkian], question
    scored = [
        ScoredSentence(bot.data.sentences[sid], 1.0, 1.0, 0.0, 0.0, p.passage_id)
        for p in bot.data.passages
        for sid in p.sentence_ids
    ]
    renamed = holder_named("What did the president of Iran say about the talks?", scored, bot.data)
    assert renamed == "What did Masoud Pezeshkian say about the talks?"
    for question in (
        "What did Egypt's president say about the talks?",
        "Which Iranian president described the talks?",
        "Who is the president of Iran?",
        "What did Pezeshkian, Iran's president, say?",
    ):
        assert holder_named(question, scored, bot.data) is None, question


def test_an_abstention_names_an_absent_owner_without_its_possessive(tmp_path: Path) -> None:
    answer = _role_bot(tmp_path).ask("What did Egypt's president say about the talks?")
    assert not answer.answered
    assert "“Egypt”" in (answer.reason or "")
    assert "Egypt's" not in (answer.reason or "")


def test_an_unattributed_quote_is_cited_with_the_sentence_that_says_who_speaks(
    tmp_path: Path,
) -> None:
    """ "Who said words of force cannot be tolerated?": the quote's speaker is named in the
    sentence before it, so that sentence is cited with it."""
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks ended on Friday. “Our reasoning is based on the treaty,” "
            "Pezeshkian said in a post on Sunday. “Words of force cannot be tolerated.”\n"
            "Gardening is popular in spring."
        },
        min_confidence=0.0,
    )
    answer = bot.ask("words of force cannot be tolerated")
    assert answer.citations[0].quote.startswith("“Our reasoning")
    assert "Pezeshkian said" in answer.citations[0].quote
    assert "Talks ended" not in answer.citations[0].quote


@pytest.mark.parametrize(
    ("text", "unattributed"),
    [
        ("“Words of force cannot be tolerated.”", True),
        ("“It went very well,” Trump said.", False),
        ("“One,” he said, “two.”", False),
        ("The talks went well.", False),
    ],
)
def test_unattributed_quotes(text: str, unattributed: bool) -> None:
    assert _unattributed_quote(text) is unattributed


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("How much sanctions relief has Washington offered Tehran?", "sanctions relief"),
        ("What level of uranium enrichment has Iran reached?", "uranium enrichment"),
        ("What is Iran's uranium stockpile?", "uranium stockpile"),
        ("What is the population of Iran?", "population"),
        ("What are the terms of the ceasefire?", "terms"),
        ("What is the level of uranium enrichment in Iran?", "uranium enrichment"),
        # the passages name the thing asked about
        ("What level of ballistic missiles does Iran have?", None),
        ("What is the red line for Tehran?", None),
        # slot nouns: the passages give the value, not the word
        ("What is the date of the article?", None),
        ("What is Parsi's job?", None),
        ("What is the role of Oman in the talks?", None),
        # an opinion about X: X is the topic, which the passages may word otherwise
        ("What is Trump's view on Iran's willingness to talk?", None),
        ("What is Trump's strategy?", None),  # the passages describe it without the word
        # "which X" asks for an instance of X: "Which news outlet" -> "Al Jazeera"
        ("Which news outlet did Parsi speak to?", None),
        ("What platform did Pezeshkian use?", None),
        # a verb phrase, not a thing
        ("What is the treaty cited for?", None),
        ("What is Netanyahu's office called?", None),
        # the head noun names the thing: a corpus with "ballistic" still lacks a "stockpile"
        ("What is Iran's ballistic stockpile?", "stockpile"),
        ("What happened to oil prices after the talks?", "oil prices"),
        ("What happened to the ballistic missiles?", None),
        # "What is the name of X" asks for X
        ("What is the name of Iran's supreme leader?", "supreme leader"),
        ("What is the name of the treaty?", None),
    ],
)
def test_the_value_asked_for_is_absent_from_every_passage(
    tmp_path: Path, question: str, absent: str | None
) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Iran talks.\n\nNetanyahu wants Iran to limit its ballistic missiles, a "
            "red line for Tehran. Parsi told Al Jazeera the talks were a step forward. "
            "Pezeshkian cited the treaty in a post."
        },
    )
    assert absent_focus(question, bot.data) == absent


def test_a_question_about_a_value_no_passage_names_is_abstained(tmp_path: Path) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Iran talks.\n\nIran's nuclear programme was discussed in Oman on Friday, "
            "and Iran said the nuclear issue is the focus of the talks."
        },
        min_confidence=0.01,  # the hash embedder's scores say little; the rule decides
    )
    answer = bot.ask("What level of uranium enrichment has Iran reached?")
    assert not answer.answered
    assert "“uranium enrichment”" in answer.reason
    assert bot.ask("What was discussed in Oman?").answered


def test_a_capital_stands_for_its_country(tmp_path: Path) -> None:
    """ "Why is Netanyahu going to Washington?" over a text that says "the United States"."""
    bot = corpus_assistant(
        tmp_path,
        {"a.txt": "Talks.\n\nNetanyahu will head to the United States for talks with Trump."},
    )
    features, missing = answer_features(
        "Why is Netanyahu going to Washington?", [], [], [], bot.data
    )
    assert "Washington" not in missing and features["missing_name_frac"] == 0.0
    _, missing = answer_features("Why is Netanyahu going to Canberra?", [], [], [], bot.data)
    assert "Canberra" in missing


def test_a_count_question_needs_a_number_in_the_evidence(tmp_path: Path) -> None:
    bot, (warships, seventh) = _one_document(
        tmp_path,
        "Trump sent aircraft carriers and warships to the Middle East.",
        "The planned meeting will be the seventh between Trump and Netanyahu.",
    )
    assert lacks_number("How many warships did Trump send?", [warships], bot.data)
    assert lacks_number("What percentage of the fleet went?", [warships], bot.data)
    assert not lacks_number("How many times have they met?", [seventh], bot.data)
    assert not lacks_number("Where did Trump send warships?", [warships], bot.data)
    # an age needs a count of years: "the seventh meeting" is not one
    assert lacks_number("How old is Netanyahu?", [seventh], bot.data)


def test_a_clock_time_question_needs_a_time_of_day(tmp_path: Path) -> None:
    bot, (friday, session) = _one_document(
        tmp_path,
        "The meeting between the envoys started on Friday in Muscat.",
        "The second session began at 3:30 p.m. and ran into the evening.",
    )
    assert lacks_clock_time("What time did the meeting start?", [friday], bot.data)
    assert lacks_clock_time("At what time did the envoys meet?", [friday], bot.data)
    assert not lacks_clock_time("What time did the second session begin?", [session], bot.data)
    # an era or a time frame is not a time of day; other questions are not read
    assert not lacks_clock_time("What time period is the meeting from?", [friday], bot.data)
    assert not lacks_clock_time("When did the meeting start?", [friday], bot.data)


def test_a_when_question_needs_a_point_in_time(tmp_path: Path) -> None:
    bot, (founder, friday, reign) = _one_document(
        tmp_path,
        "Trita Parsi, co-founder of the Quincy Institute, said the talks could break down.",
        "The final round of talks ended in Oman on Friday.",
        "Narasimhavarman reigned from 695 to 722 AD.",
    )
    assert lacks_date("When was the Quincy Institute founded?", [founder], bot.data)
    assert lacks_date("In what year did Parsi found the institute?", [founder], bot.data)
    assert not lacks_date("When did the final round end?", [friday], bot.data)
    assert not lacks_date("Until when did Narasimhavarman reign?", [reign], bot.data)
    # "when" further into a question is not what it asks for; a time of day is not read
    long_when = "Parsi's institute is also called what when based on its founder's name?"
    assert not lacks_date(long_when, [founder], bot.data)
    assert not lacks_date("Who founded the Quincy Institute?", [founder], bot.data)


def test_an_event_still_to_come_has_no_outcome(tmp_path: Path) -> None:
    _, scored = _one_document(
        tmp_path,
        "The PMO said the meeting would address the negotiations.",
        "The planned meeting will be the seventh between them.",
        "The final round of talks ended in Oman and went very well.",
        "The summit ended on Friday with a joint statement.",
    )
    outcome = "What was the outcome of Netanyahu's meeting with Trump?"
    assert event_ahead(outcome, scored) == "meeting"
    assert event_ahead("What did Netanyahu say in his meeting with Trump?", scored)
    assert event_ahead("How did the meeting go?", scored) == "meeting"
    assert event_ahead("What did Netanyahu say after meeting Trump?", scored) == "meeting"
    # a question about the event ahead, an event that happened, a word never mentioned
    assert not event_ahead("What will the meeting address?", scored)
    assert not event_ahead("When was the meeting announced?", scored)
    assert not event_ahead("What was agreed at the summit?", scored)
    assert not event_ahead("What was said during the interview?", scored)


def test_where_in_a_place_needs_another_place_there(tmp_path: Path) -> None:
    bot, (oman, muscat, gallen) = _one_document(
        tmp_path,
        "Indirect talks were held in Oman on Friday.",
        "The envoys met at Al Bustan Palace in Muscat, Oman.",
        "The abbey stands in the city of St. Gallen in Switzerland.",
    )
    assert lacks_finer_place("Where in Oman were the talks held?", [oman], bot.data) == "Oman"
    assert lacks_finer_place("Which city in Oman hosted the talks?", [oman], bot.data)
    assert not lacks_finer_place("Where in Oman did the envoys meet?", [muscat], bot.data)
    assert not lacks_finer_place("In which city in Switzerland is the abbey?", [gallen], bot.data)
    assert not lacks_finer_place("Where were the talks held?", [oman], bot.data)  # not read


def test_a_how_long_question_needs_a_length_of_time(tmp_path: Path) -> None:
    bot, (ended, weeks, km) = _one_document(
        tmp_path,
        "The final round of talks ended in Oman on Friday and went very well.",
        "Trump had threatened for weeks to take military action.",
        "The pipeline runs 1,200 km from the coast.",
    )
    assert lacks_duration("How long did the talks in Oman last?", [ended], bot.data)
    assert not lacks_duration("How long has Trump threatened action?", [weeks], bot.data)
    assert not lacks_duration("How long is the pipeline?", [km], bot.data)
    assert not lacks_duration("When did the talks end?", [ended], bot.data)  # not read


def test_a_length_of_time_must_be_about_what_is_asked(tmp_path: Path) -> None:
    bot, (rivals, weeks, klein) = _one_document(
        tmp_path,
        "Netanyahu will meet Trump after talks between the rivals in Oman.",
        "The talks come after Trump had threatened Iran for weeks.",
        "Allen Klein (December 18, 1931 – July 4, 2009) owned the label.",
    )
    # "for weeks" is about the threats; the sentence about the rivals gives no length
    question = "How long have the US and Iran been rivals?"
    assert lacks_duration(question, [rivals, weeks], bot.data)
    assert not lacks_duration("How long has Trump threatened Iran?", [rivals, weeks], bot.data)
    # the cited sentences use no word of what is asked: the value alone counts
    assert not lacks_date("When did the later owner of the label die?", [klein], bot.data)


_ROLES = {
    "a.txt": "Talks.\n\nIsraeli Prime Minister Benjamin Netanyahu will meet US "
    "President Donald Trump and the US envoy. Hamas was not invited."
}


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        # a word that says which role is meant, and no passage has it
        ("Who is the Israeli defense minister?", "defense"),
        ("Who was Iran's chief negotiator of the deal?", None),  # "chief": which holder
        ("Who is the US deputy envoy?", "deputy"),
        # the role the passages name, or only a head noun that may be a broader word
        ("Who is the Israeli prime minister?", None),
        ("Who is the current US president?", None),
        ("Who is Israel's leader?", None),
        ("Who is Hamas?", None),
        ("What is the Israeli defense budget?", None),  # not a "who is" question
    ],
)
def test_a_role_no_passage_names_is_absent(
    tmp_path: Path, question: str, absent: str | None
) -> None:
    bot = corpus_assistant(tmp_path, _ROLES)
    assert absent_role(question, bot.data) == absent


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("Who is Netanyahu's wife?", "wife"),  # nothing in the passages stands for it
        ("Who is Trump's spokesman for the talks?", "spokesman"),
        ("Who is Israel's leader?", None),  # "leader" -> "head" (WordNet); not "Prime"
        ("Who is Trump's envoy?", None),  # a passage uses the word
        ("Who is the US deputy envoy?", "deputy"),  # the modifier rule first
    ],
)
def test_a_role_head_counts_when_no_relative_of_it_is_retrieved(
    tmp_path: Path, question: str, absent: str | None
) -> None:
    files = {"a.txt": _ROLES["a.txt"] + " He is the head of the Israeli government."}
    bot = corpus_assistant(tmp_path, files)
    data = bot.data
    vector = bot.query_embedder.encode([question])[0]
    hits = retrieve(data, question, vector, bot.retrieval_config)
    scored = score_sentences(question, vector, hits, data, ComposeConfig())
    assert absent_role(question, data, scored) == absent
    # without the retrieved sentences only the modifier rule applies
    assert absent_role(question, data) == (absent if absent == "deputy" else None)


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("What did Israel's defense minister say?", "defense"),
        ("How did the Israeli defense minister react to the talks?", "defense"),
        ("What did the US deputy envoy tell Netanyahu?", "deputy"),
        # the role the passages name; words that say which holder; no place before it
        ("What did Israel's prime minister say?", None),
        ("What did the US current envoy say?", None),
        ("What did the defense minister say?", None),
        ("What is the Israeli defense budget?", None),  # no role
    ],
)
def test_a_places_role_no_passage_names_is_absent(
    tmp_path: Path, question: str, absent: str | None
) -> None:
    bot = corpus_assistant(tmp_path, _ROLES)
    assert absent_place_role(question, bot.data) == absent


def test_an_unattributed_quote_is_said_by_the_speaker_before_it(tmp_path: Path) -> None:
    bot, (said, quote, other) = _one_document(
        tmp_path,
        "“Our reasoning is based on the treaty,” Pezeshkian said in a post on Sunday.",
        "“The Iranian people respond to respect with respect, but words of force cannot be "
        "tolerated.”",
        "Trump said words of force were needed.",
    )
    scored = [said, quote, other]
    question = "What did Pezeshkian say about words of force?"
    assert speaker_mismatch(question, [quote], scored, bot.data) is None
    # the quote is not Trump's, and Pezeshkian did not speak in Trump's sentence
    assert speaker_mismatch("What did Trump say about respect?", [quote], scored, bot.data)
    assert speaker_mismatch(question, [other], scored, bot.data)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Where were the talks held?", []),  # one question: no parts
        (
            "What did Trump say about the last round and what did he warn?",
            ["What did Trump say about the last round?", "what did Trump warn?"],
        ),
        (
            "What did Pezeshkian say about the talks and about the nuclear issue?",
            [
                "What did Pezeshkian say about the talks?",
                "What did Pezeshkian say about the nuclear issue?",
            ],
        ),
        # an object pronoun at the end takes the first part's subject
        (
            "Where were the talks held and how did Trump describe them?",
            ["Where were the talks held?", "how did Trump describe the talks?"],
        ),
    ],
)
def test_compound_questions_split_into_standalone_parts(question: str, parts: list[str]) -> None:
    assert split_compound(question) == parts


def test_a_person_is_tied_to_the_role_the_passages_give_them() -> None:
    texts = [
        "Israeli Prime Minister Benjamin Netanyahu will meet President Donald Trump, with "
        "the US president confirming more talks.",
        "President Masoud Pezeshkian described the talks as a step forward.",
        "Iranian Foreign Minister Abbas Araghchi insisted. Iranian Minister Araghchi said more.",
    ]
    ties = titled_people(texts)
    assert ties["Netanyahu"] == {("prime minister", "Israeli")}
    assert ties["Trump"] == {("president", "US")}
    assert "Pezeshkian" not in ties  # no place ties his title
    assert ties["Araghchi"] == {("foreign minister", "Iranian"), ("minister", "Iranian")}
    assert names_by_role("The US president said it went very well.", "Trump", ties)
    assert names_by_role("The Israeli prime minister wants more.", "Netanyahu", ties)
    assert not names_by_role("The French president said so.", "Trump", ties)
    assert not names_by_role("The US president said so.", "Netanyahu", ties)
    # one name tied to two places is someone else's too: no tie
    assert "Smith" not in titled_people(
        ["French Ambassador John Smith spoke.", "German Ambassador Anna Smith spoke."]
    )


def test_a_sentence_that_names_the_persons_role_covers_the_name(tmp_path: Path) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks.\n\nNetanyahu will meet President Donald Trump, with the US "
            "president confirming more talks. The US president said the talks went very well."
        },
    )
    said = _candidate(bot, "The US president said the talks went very well.")
    lead = _candidate(
        bot,
        "Netanyahu will meet President Donald Trump, with the US president confirming more talks.",
    )
    features, _ = answer_features(
        "How did Trump describe the talks?", [], [lead, said], [said], bot.data
    )
    assert features["name_coverage"] == 1.0 and features["top_name_coverage"] == 1.0


def test_a_part_about_a_person_is_answered_by_a_sentence_about_them(tmp_path: Path) -> None:
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks.\n\nHow did Pezeshkian describe the talks in Oman? As a step. "
            "Trump said they went very well."
        },
    )
    # the closer wording, about someone else
    oman = _candidate(bot, "How did Pezeshkian describe the talks in Oman?")
    trump = _candidate(bot, "Trump said they went very well.", score=0.5)
    part = "how did Trump describe the talks?"
    config = ComposeConfig(part_min_cosine=-1.0)
    vector = bot.embedder.encode([part])
    out = cover_parts([oman], [oman, trump], [part], [vector[0]], bot.data, config)
    assert out == [oman, trump]


def test_what_a_person_said_about_a_topic_needs_both_in_one_sentence(tmp_path: Path) -> None:
    bot, scored = _one_document(
        tmp_path,
        "Netanyahu will meet President Donald Trump, with the US president confirming more "
        "talks, his office said.",
        "Netanyahu believes Iran should end support for Hamas.",
        "The US president said the talks went very well.",
    )
    lead, hamas, said = scored
    # Trump speaks in one sentence, Hamas is in another: not an answer
    reason = speaker_mismatch("What did Trump say about Hamas?", [lead, hamas], scored, bot.data)
    assert reason is not None and "do not quote Trump about Hamas" in reason
    # Netanyahu takes a stand on Hamas in one sentence
    assert (
        speaker_mismatch("What did Netanyahu say about Hamas?", [hamas], scored, bot.data) is None
    )
    # Trump speaks of the talks by his role ("The US president said ...")
    assert speaker_mismatch("What did Trump say about the talks?", [said], scored, bot.data) is None
    # Hamas is named in a sentence where Netanyahu takes the stand, not Hamas
    reason = speaker_mismatch("What did Hamas say about Iran?", [hamas], scored, bot.data)
    assert reason is not None and "do not quote Hamas about Iran" in reason
    # the speaker may come just after the verb, and other verbs of reporting are read
    _, (inverted,) = _one_document(tmp_path / "b", "Iran wants a deal, said Trump.")
    assert (
        speaker_mismatch("What did Trump say about Iran?", [inverted], [inverted], _.data) is None
    )
    reason = speaker_mismatch("What did Hamas report about the talks?", [said], scored, bot.data)
    assert reason is not None and "do not quote Hamas" in reason
    # how someone reacted is what they said or did about it
    reason = speaker_mismatch("How did Hamas react to the talks?", [said], scored, bot.data)
    assert reason is not None and "do not quote Hamas about the talks" in reason
    assert speaker_mismatch("How did Trump respond to the talks?", [said], scored, bot.data) is None
    # other questions are not this rule's
    assert speaker_mismatch("Who supports Hamas?", [lead], scored, bot.data) is None


def test_what_a_person_told_someone_needs_that_person_speaking_to_them(tmp_path: Path) -> None:
    bot, scored = _one_document(
        tmp_path,
        "Araghchi said the talks were a good start.",
        "“Those negotiations will soon break down,” Parsi told Al Jazeera.",
    )
    start, parsi = scored
    reason = speaker_mismatch("What did Araghchi tell Al Jazeera?", [parsi], scored, bot.data)
    assert reason is not None and "do not quote Araghchi speaking to Al Jazeera" in reason
    assert speaker_mismatch("What did Parsi tell Al Jazeera?", [parsi], scored, bot.data) is None
    reason = speaker_mismatch("What did Araghchi say to reporters?", [start], scored, bot.data)
    assert reason is not None and "speaking to reporters" in reason


def test_a_yes_no_question_about_two_names_needs_them_named_together(tmp_path: Path) -> None:
    bot, scored = _one_document(
        tmp_path,
        "Netanyahu will meet President Donald Trump, with the US president confirming more talks.",
        "President Masoud Pezeshkian described the talks in Oman as a step forward.",
    )
    lead, pezeshkian = scored
    reason = named_apart("Did Trump meet Pezeshkian?", [lead, pezeshkian], scored, bot.data)
    assert reason is not None and "names Trump and Pezeshkian together" in reason
    assert named_apart("Did Netanyahu meet Trump?", [lead], scored, bot.data) is None
    # a place is named by its demonym too; comparisons and one-name questions are not read
    assert named_apart("Was Pezeshkian in Oman?", [pezeshkian], scored, bot.data) is None
    assert (
        named_apart("Are Trump and Pezeshkian both presidents?", [lead], scored, bot.data) is None
    )
    assert named_apart("Did Pezeshkian praise the talks?", [lead], scored, bot.data) is None


def _candidate_with(
    sid: int, text: str, score: float, overlap: float, cue: float
) -> ScoredSentence:
    sentence = Sentence(sid, "d", sid * 100, sid * 100 + len(text), text)
    return ScoredSentence(sentence, score, score, overlap, cue, 0)


def test_a_bridge_sentence_joins_a_multi_hop_answer_but_not_a_whole_one() -> None:
    config = ComposeConfig()
    question = "When was the duo that recorded Fast Lane formed?"
    best = _candidate_with(1, "Fast Lane is a song by Bad Meets Evil, a hip hop duo.", 1.0, 0.6, 0)
    about = _candidate_with(5, "Bad Meets Evil was formed in Detroit in 1997.", 0.8, 0.2, 1)
    other = _candidate_with(6, "The song charted in Canada.", 0.9, 0.3, 0)
    chosen = add_bridge(question, [best], [best, other, about], config)
    assert chosen == [best, about]  # the sentence about what the best one named
    # the best sentence holds every question word and the kind of answer asked for: the
    # answer is there, another sentence naming the same things only adds noise
    whole = _candidate_with(1, "The final round of talks ended in Oman on Friday.", 1.0, 1.0, 1)
    pmo = _candidate_with(4, "The PMO said on Monday that Oman and Iran would meet.", 0.8, 0.9, 1)
    assert add_bridge("When did the talks end?", [whole], [whole, pmo], config) == [whole]
    partial = _candidate_with(1, "The final round of talks ended in Oman.", 1.0, 0.8, 0)
    assert add_bridge("When did the talks end?", [partial], [partial, pmo], config) == [
        partial,
        pmo,
    ]


def test_a_high_ranked_sentence_beside_the_answer_joins_when_it_adds_something() -> None:
    config = ComposeConfig(beside_rank=2, beside_min_cosine=0.5)
    question = "In what state is the 2016 film the actor who played Percy Jackson set?"
    best = _candidate_with(1, "Logan Lerman is known for playing Percy Jackson.", 1.0, 0.6, 0)
    films = _candidate_with(2, "He starred in Indignation in 2016.", 0.9, 0.3, 0)
    setting = _candidate_with(3, "The film is set mostly in Ohio.", 0.8, 0.2, 0)
    far = _candidate_with(7, "Lerman was born in California.", 0.85, 0.2, 0)
    # the run is [best, films]; the sentence after it ranks second after the best one
    # and names Ohio
    assert add_beside(question, [best, films], [best, far, setting, films], config) == [
        best,
        films,
        setting,
    ]
    # too low a rank, too far from the question, or the rank switched off: not added
    ranked_low = [best, films, far, _candidate_with(9, "x", 0.84, 0, 0), setting]
    assert add_beside(question, [best, films], ranked_low, config) == [best, films]
    weak = _candidate_with(3, "The film is set mostly in Ohio.", 0.4, 0.2, 0)
    assert add_beside(question, [best, films], [best, films, weak], config) == [best, films]
    off = ComposeConfig(beside_rank=0)
    assert add_beside(question, [best, films], [best, films, setting], off) == [best, films]
    # a neighbour that adds no name, number or question word of its own adds nothing
    echo = _candidate_with(0, "Percy Jackson was played by Logan Lerman.", 0.95, 0.5, 0)
    assert add_beside(question, [best], [best, echo], config) == [best]


def test_no_sentence_joins_one_that_holds_every_question_word_and_the_answer() -> None:
    """ "Who described the talks as a step forward?": the best sentence holds every
    question word and a name; the minister's sentence before it would only add another
    person to the answer."""
    config = ComposeConfig(beside_rank=2, beside_min_cosine=0.5)
    question = "Who described the talks as a step forward?"
    text = "President Pezeshkian described the talks as a step forward."
    before = _candidate_with(1, "Minister Araghchi insisted the talks stay nuclear.", 0.6, 0.0, 1)
    whole = _candidate_with(2, text, 1.2, 1.0, 1)
    assert add_beside(question, [whole], [whole, before], config) == [whole]
    # the same sentence short of a question word leaves room for its neighbour
    partial = _candidate_with(2, text, 1.0, 0.7, 1)
    assert add_beside(question, [partial], [partial, before], config) == [partial, before]
