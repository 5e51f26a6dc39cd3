"""The spelling stage: rare question words that no passage uses, read as the corpus spells them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from assistant.pipeline import Assistant
from assistant.records import Correction, Passage
from assistant.search.lexical import LexicalIndex
from assistant.search.spelling import (
    SpellingCorrector,
    Vocabulary,
    acronym_phrase,
    correct_spelling,
    max_distance,
)
from tests.conftest import corpus_assistant, serve


def test_near_words_share_the_first_letter_and_stay_within_the_edit_limit() -> None:
    vocabulary = Vocabulary({"netanyahu": 3, "pezeshkian": 2, "talk": 9, "walk": 1, "tall": 4})
    assert vocabulary.near("netanyhau") == ["netanyahu"]  # a swapped pair is one edit
    assert vocabulary.near("netanyahoo") == ["netanyahu"]  # two edits on a long word
    assert vocabulary.near("pezeshkin") == ["pezeshkian"]
    assert vocabulary.near("tlak") == ["talk"]
    assert vocabulary.near("talj") == ["talk", "tall"]  # same distance: more passages first
    assert vocabulary.near("balk") == []  # "walk" and "talk" start with other letters
    assert vocabulary.near("tolkien") == []
    assert max_distance("tlak") == 1 and max_distance("netanyhau") == 2


def _first(candidates: list[str], context: list[str]) -> str | None:
    return candidates[0].capitalize() if candidates else None


def test_only_rare_words_the_corpus_lacks_are_changed() -> None:
    vocabulary = Vocabulary({"netanyahu": 3, "meet": 2, "uranium": 1, "iran": 5})
    fixed, corrections = correct_spelling("Who is Netanyhau's guest?", vocabulary, _first)
    assert fixed == "Who is Netanyahu's guest?"  # the possessive is kept
    assert corrections == [Correction("Netanyhau", "Netanyahu")]
    # a common English word is never changed, even one edit from a corpus word
    assert correct_spelling("What about uranium enrichment?", vocabulary, _first)[1] == []
    # a rare word: corrected, in lower case as typed
    fixed, corrections = correct_spelling("Is uranim enriched?", Vocabulary({"uranium": 1}), _first)
    assert corrections == [Correction("uranim", "uranium")]
    # a word the corpus uses, a short word, a number: left alone
    for question in ("Will Netanyahu meet?", "Who is Bibi?", "What about 2026?"):
        assert correct_spelling(question, vocabulary, _first) == (question, [])


def _corrector(texts: list[str]) -> SpellingCorrector:
    passages = [Passage(i, f"d{i}", 0, len(t), t) for i, t in enumerate(texts)]
    return SpellingCorrector(LexicalIndex.build(texts), passages)


def test_a_correction_must_fit_the_rest_of_the_question() -> None:
    correct = _corrector(
        [
            "Edwin Moses won the hurdles in Los Angeles.",
            "Edwyn Collins",  # a passage that only names him is not enough
            "President Masoud Pezeshkian said the talks were a step forward.",
            "The band Orange Juice was led by a Scottish singer.",
        ]
    )
    fixed, corrections = correct("What did Pezeshkin say about the talks?")
    assert fixed == "What did Pezeshkian say about the talks?"
    assert corrections == [Correction("Pezeshkin", "Pezeshkian")]
    # "Edwn" is one edit from "Edwin" and "Edwyn", but no passage about either holds the
    # question's other words: the word stays as typed (and counts as missing)
    assert correct("Which bands did Edwn join in Glasgow?") == (
        "Which bands did Edwn join in Glasgow?",
        [],
    )
    # lower case as typed when the corpus capitalises it only at a sentence start
    correct = _corrector(["Published February 9, 2026. The article was published online."])
    assert correct("When was the article pubilshed?")[1] == [Correction("pubilshed", "published")]


@pytest.mark.parametrize(
    ("acronym", "phrase"),
    [
        ("NPT", "Non-Proliferation Treaty"),  # each hyphenated part counts
        ("PMO", "Prime Minister’s Office"),  # a run inside a longer one, possessive dropped
        ("QIRS", "Quincy Institute for Responsible States"),  # "for" does not count
        ("NHL", None),  # no run spells it
        ("NCD", None),  # not through an all-capital word ("NCAA Division")
    ],
)
def test_an_acronym_is_read_as_the_capitalised_words_that_spell_it(
    acronym: str, phrase: str | None
) -> None:
    text = (
        "Israel’s Prime Minister’s Office announced the visit. Rights enshrined in the "
        "Non-Proliferation Treaty matter, said Trita Parsi of the Quincy Institute for "
        "Responsible States. He played in the NCAA Division One."
    )
    assert acronym_phrase(acronym, text) == phrase


def test_an_acronym_no_passage_uses_is_searched_as_its_phrase() -> None:
    correct = _corrector(
        [
            "Pezeshkian said the rights are enshrined in the Non-Proliferation Treaty.",
            "Gardening is popular in spring.",
        ]
    )
    fixed, corrections = correct("What rights does Pezeshkian say the NPT enshrines?")
    assert fixed == "What rights does Pezeshkian say the Non-Proliferation Treaty enshrines?"
    assert corrections == [Correction("NPT", "Non-Proliferation Treaty")]
    # no passage close to the question's other words spells it: left as typed
    assert correct("What did the IRS say about gardening?")[1] == []


def _typo_bot(tmp_path: Path, **overrides: object) -> Assistant:
    return corpus_assistant(
        tmp_path,
        {
            "a.txt": "Talks.\n\nIsraeli Prime Minister Benjamin Netanyahu will meet President "
            "Donald Trump in Washington on Wednesday.\n\nGardening is popular in spring."
        },
        **overrides,
    )


def test_the_answer_says_which_spelling_was_searched(tmp_path: Path) -> None:
    bot = _typo_bot(tmp_path)
    answer = bot.ask("Who will Netanyhau meet in Washington?")
    assert answer.question == "Who will Netanyhau meet in Washington?"  # as asked
    assert answer.corrections == (Correction("Netanyhau", "Netanyahu"),)
    assert answer.answered and "Netanyahu will meet" in answer.citations[0].quote
    assert answer.text.endswith("(Read “Netanyhau” as “Netanyahu”: the spelling the corpus uses.)")
    assert answer.features["missing_names"] == 0.0


def test_the_spelling_stage_can_be_switched_off(tmp_path: Path) -> None:
    bot = _typo_bot(tmp_path, spelling=False)
    answer = bot.ask("Who will Netanyhau meet in Washington?")
    assert answer.corrections == ()
    assert answer.features["missing_names"] > 0  # the typed name is one the corpus lacks


@pytest.mark.slow
def test_the_http_answer_lists_the_corrections(tmp_path: Path) -> None:
    bot = _typo_bot(tmp_path)
    with serve(bot) as url:
        body = httpx.post(f"{url}/v1/ask", json={"question": "Whom will Trmup meet?"}).json()
    assert body["corrections"] == [{"word": "Trmup", "corrected": "Trump"}]
    assert "“Trmup” as “Trump”" in body["answer"]


def test_the_shipped_note_and_its_fallback_say_the_same() -> None:
    from assistant.answer.compose import _OPTIONAL_TEMPLATES
    from tests.conftest import PROMPTS

    shipped = (PROMPTS / "spelling_note.txt").read_text(encoding="utf-8").strip()
    assert shipped == _OPTIONAL_TEMPLATES["spelling_note.txt"]


def test_a_document_added_at_run_time_is_in_the_vocabulary(tmp_path: Path) -> None:
    bot = _typo_bot(tmp_path)
    assert bot.ask("Where did Kristersen travel to sign the accord?").corrections == ()
    bot.upsert_document(
        "nordic", "Swedish Prime Minister Ulf Kristersson travelled to Oslo to sign the accord."
    )
    answer = bot.ask("Where did Kristersen travel to sign the accord?")
    assert answer.corrections == (Correction("Kristersen", "Kristersson"),)
    assert answer.answered and "Oslo" in answer.citations[0].quote
