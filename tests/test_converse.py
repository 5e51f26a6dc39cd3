from __future__ import annotations

import pytest

from assistant.answer.converse import Turn, names_in, people_in, rewrite_followup, subject_phrase

LEAD = (
    "Israeli Prime Minister Benjamin Netanyahu will head to the United States for talks "
    "with President Donald Trump"
)


@pytest.mark.parametrize(
    ("previous", "quotes", "question", "expected"),
    [
        (
            "Who is Abbas Araghchi?",
            (),
            "What did he say about the missile program?",
            "What did Abbas Araghchi say about the missile program?",
        ),
        (
            "Where were the talks held?",
            (),
            "How did the Iranian president describe them?",
            "How did the Iranian president describe the talks?",
        ),
        (
            "Who is Iran's foreign minister?",
            ("Iranian Foreign Minister Abbas Araghchi insisted that talks would continue",),
            "What did he say about the missile program?",
            "What did Abbas Araghchi say about the missile program?",
        ),
        (
            "Who will Netanyahu meet in Washington?",
            (LEAD,),
            "How many times have they met since last year?",
            "How many times have Netanyahu and Donald Trump met since last year?",
        ),
        (
            "Who is Trita Parsi?",
            (),
            "What is his position on red lines?",
            "What is Trita Parsi’s position on red lines?",
        ),
        (
            "Who is Trita Parsi?",
            (),
            "Where does Netanyahu stand?",  # not a follow-up: left alone
            "Where does Netanyahu stand?",
        ),
        # "What about <name>?": the name takes the previous person's place
        (
            "How did Trump describe the talks?",
            (),
            "What about Araghchi?",
            "How did Araghchi describe the talks?",
        ),
        # "And about <phrase>?": the phrase after the same preposition is replaced
        (
            "What did Abbas Araghchi say about the missile program?",
            (),
            "And about the talks with the US?",
            "What did Abbas Araghchi say about the talks with the US?",
        ),
        (
            "Who will Netanyahu meet?",
            (),
            "And in which city?",
            "Who will Netanyahu meet in which city?",
        ),
        # a bare question word takes the previous question's place
        ("Where were the talks held?", (), "When?", "When were the talks held?"),
        ("Where were the talks held?", (), "And why?", "Why were the talks held?"),
        (
            "What did Trump threaten?",
            (),
            "How many times?",
            "How many times did Trump threaten?",
        ),
        # a name after the pronoun is not its antecedent; a name before it may be
        (
            "Who is Trita Parsi?",
            (),
            "What did he tell Al Jazeera?",
            "What did Trita Parsi tell Al Jazeera?",
        ),
        (
            "Who is Trita Parsi?",
            (),
            "What did Netanyahu say he wants?",
            "What did Netanyahu say he wants?",
        ),
        ("Why did Trump send warships?", (), "Where to?", "Where did Trump send warships?"),
        ("Who did Netanyahu meet?", (), "Since when?", "When did Netanyahu meet?"),
        # "its" after a name of the same question is that name's
        (
            "Who wants Iran to limit its missiles?",
            ("Israel’s Prime Minister’s Office (PMO) announced that Netanyahu believes",),
            "What does Iran say about its missile program?",
            "What does Iran say about its missile program?",
        ),
        # a short phrase is appended as before
        (
            "Where were the talks held?",
            (),
            "And last year?",
            "Where were the talks held last year?",
        ),
    ],
)
def test_followups_become_standalone(
    previous: str, quotes: tuple[str, ...], question: str, expected: str
) -> None:
    assert rewrite_followup(question, [Turn(previous, previous, quotes)]) == expected


def test_he_is_the_latest_person_not_an_organisation() -> None:
    """ "Who co-founded it?" (abstained) then "What did he warn?": "he" is the person the
    earlier answer named, not the Quincy Institute of the previous question."""
    history = [
        Turn(
            "What is the Quincy Institute?",
            "What is the Quincy Institute?",
            ("Trita Parsi, co-founder of the Quincy Institute for Responsible States, said",),
        ),
        Turn("Who co-founded it?", "Who co-founded Quincy Institute?", ()),
    ]
    assert rewrite_followup("What did he warn?", history) == "What did Trita Parsi warn?"


def test_they_is_the_previous_person_and_the_other_person_of_the_conversation() -> None:
    """ "Who is Netanyahu meeting?" (answered with Trump), "When?", then "What will they
    discuss?": "they" is both of them, not Netanyahu alone."""
    history = [
        Turn("Who is Netanyahu meeting?", "Who is Netanyahu meeting?", (LEAD,)),
        Turn("When?", "When is Netanyahu meeting?", (LEAD,)),
    ]
    assert (
        rewrite_followup("What will they discuss?", history)
        == "What will Netanyahu and Donald Trump discuss?"
    )
    # a phrase the previous question was about still comes first
    talks = [Turn("Where were the talks held?", "Where were the talks held?", (LEAD,))]
    assert rewrite_followup("When did they end?", talks) == "When did the talks end?"
    # with no other person in the conversation, "they" stays the one person
    alone = [Turn("What did Parsi warn?", "What did Parsi warn?", ())]
    assert rewrite_followup("Who did they tell?", alone) == "Who did Parsi tell?"


def test_first_question_is_unchanged() -> None:
    assert rewrite_followup("  What did he say? ", []) == "What did he say?"


def test_names_and_people() -> None:
    assert names_in(LEAD) == ["Israeli", "Benjamin Netanyahu", "United States", "Donald Trump"]
    assert people_in(LEAD) == ["Benjamin Netanyahu", "Donald Trump"]
    assert subject_phrase("Where were the talks held?") == "the talks"
    assert subject_phrase("Who is Trita Parsi?") is None
