"""Conversation: rewrite a follow-up question into a standalone one, without an LLM.

Rules, applied to the latest question given the previous turn:
- personal pronouns (he, she, him, her, his) take the person the previous turn was
  about: a name in the previous question, else the first new name in its answer;
- they, them, their, it, its take the previous question's subject noun phrase ("the
  talks"), or the people of the previous turn joined with "and" (with one person there,
  "they" adds the latest other person of the conversation);
- "What about X?" / "And X?" reuse the previous question: X replaces its person when X
  is a name ("What about Araghchi?"), its phrase after the same preposition when X opens
  with one ("And about the talks with the US?"), else X is appended;
- a bare question word ("When?", "And why?") takes the previous question's place.
The searched question is returned to the user, so a wrong rewrite is visible.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.search.lexical import without_possessive

_MULTI_NAME_RE = re.compile(r"\b[A-Z][\w’'-]+(?:\s+(?:al-|bin\s+)?[A-Z][\w’'-]+)+")
_SINGLE_NAME_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z][\w’'-]+")
_NOT_NAMES = {
    "What",
    "Who",
    "Whom",
    "Whose",
    "When",
    "Where",
    "Why",
    "How",
    "Which",
    "Did",
    "Does",
    "Is",
    "Are",
    "Was",
    "Were",
    "The",
    "And",
    "President",
    "Prime",
    "Minister",
    "Foreign",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "If",
    "It",
    "In",
    "On",
    "At",
    "Our",
    "We",
    "They",
    "He",
    "She",
}
_TITLE_WORDS = {"President", "Prime", "Minister", "Foreign", "Mr", "Mrs", "Ms", "Dr"}
_PERSON = r"he|she|him|her|hers"
_POSSESSIVE = r"his|her"
_GROUP = r"they|them|their|theirs|it|its"
_NOUN_PHRASE_RE = re.compile(
    r"\b(?:the|these|those|this|that)\s+(?:[a-z-]+\s+){0,2}?[a-z-]+s?\b(?=\s+(?:held|in|on|at|"
    r"of|with|about|between|by|for|that|which|and|go|went|end|ended|take|took|is|are|was|"
    r"were|\?)|\s*\??$)",
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange: what was asked, what was searched, what was cited."""

    question: str
    searched: str
    quotes: tuple[str, ...] = ()


def _name_segments(text: str) -> list[tuple[str, bool]]:
    """(name, titled) for each proper name; a name right after a title is a person."""
    found: list[tuple[str, bool]] = []
    for match in _MULTI_NAME_RE.finditer(text):
        segment: list[str] = []
        titled = False
        for word in [*match.group().split(), "President"]:  # sentinel flushes the last one
            if word in _TITLE_WORDS:
                while segment and segment[0] in _NOT_NAMES:
                    segment = segment[1:]
                if segment:
                    found.append((" ".join(segment), titled))
                segment, titled = [], True
            else:
                segment.append(word)
        # a title at the very start of the match (no words before) is handled above
    covered = " ".join(name for name, _ in found)
    for match in _SINGLE_NAME_RE.finditer(text):
        word = match.group()
        if word not in _NOT_NAMES and word not in covered:
            found.append((word, False))
    out: dict[str, bool] = {}
    for name, titled in found:
        name = without_possessive(name)
        out[name] = out.get(name, False) or titled
    return list(out.items())


def names_in(text: str) -> list[str]:
    """Proper names in a text, titles stripped, in order of appearance, unique."""
    return [name for name, _ in _name_segments(text)]


def people_in(text: str) -> list[str]:
    """Names that follow a title ("President Donald Trump" -> "Donald Trump")."""
    return [name for name, titled in _name_segments(text) if titled]


# a name with one of these words is an organisation or a place, never "he" or "she"
_NOT_PERSON_WORDS = {
    "Institute", "Office", "University", "College", "School", "Party", "Council",
    "Ministry", "Department", "Company", "Corporation", "Group", "Agency", "Foundation",
    "Bank", "Times", "News", "Post", "Press", "Committee", "Commission", "Court", "Army",
    "Forces", "Union", "Organization", "Organisation", "Association", "Center", "Centre",
    "House", "Senate", "Congress", "Parliament", "Treaty", "States", "Kingdom", "Republic",
    "East", "West", "Jazeera",
}  # fmt: skip


def _is_person(name: str) -> bool:
    return not (set(name.split()) & _NOT_PERSON_WORDS)


def _overlaps(name: str, others: Sequence[str]) -> bool:
    words = set(name.split())
    return any(words & set(other.split()) for other in others)


def subject_phrase(question: str) -> str | None:
    """The first 'the X' noun phrase of a question ("Where were the talks held?" -> the talks)."""
    match = _NOUN_PHRASE_RE.search(question)
    return match.group() if match else None


# "When?", "And why?", "How many times?", "Which day?": a question word, with at most
# two lower-case words after "how many" / "which" / "what"
_BARE_WH_RE = re.compile(
    r"^\s*(?:[Aa]nd\s+|[Bb]ut\s+)?(?:(?i:since|from|to|with|by|until|for)\s+)?"
    r"((?i:when|where|why|who|whom)"
    r"|(?i:how)(?:\s+(?:many|much|long|often))?(?:\s+[a-z]+){0,2}"
    r"|(?i:which|what)\s+(?!about\b)[a-z]+(?:\s+[a-z]+)?)(?:\s+(?i:to|from))?\s*\??\s*$"
)
_LEADING_WH_RE = re.compile(
    r"^(?:when|where|why|who|whom|what|which|how(?:\s+(?:many|much|long|often|far))?)\b",
    re.IGNORECASE,
)
_PREPOSITIONS = {"about", "on", "regarding", "over", "for", "with", "in", "to", "from"}
_NAME_JOINERS = {"al-", "bin", "de", "van", "von", "la", "le", "du"}


def _is_name(text: str) -> bool:
    """Whether the text is only a proper name ("Araghchi", "Abbas Araghchi")."""
    words = text.split()
    return 0 < len(words) <= 4 and all(w[:1].isupper() or w in _NAME_JOINERS for w in words)


def _name_before(pattern: str, text: str) -> bool:
    """Whether a name comes before the first pronoun of the pattern, so the pronoun may
    refer to it ("What did Netanyahu say he wants?"); a name after it does not ("What
    did he tell Al Jazeera?" is about the previous turn's person)."""
    pronoun = re.search(rf"\b(?:{pattern})\b", text, re.IGNORECASE)
    if pronoun is None:
        return False
    return bool(names_in(text[: pronoun.start()]))


def _has(pattern: str, text: str) -> bool:
    return re.search(rf"\b(?:{pattern})\b", text, re.IGNORECASE) is not None


def _replace(pattern: str, replacement: str, text: str) -> str:
    return re.sub(rf"\b(?:{pattern})\b", replacement, text, flags=re.IGNORECASE)


def rewrite_followup(question: str, history: Sequence[Turn]) -> str:
    """A standalone version of `question`, given the earlier turns (latest last)."""
    question = question.strip()
    if not history:
        return question
    previous = history[-1]
    asked_names = names_in(previous.searched)
    answer_text = " ".join(previous.quotes[:2])
    # the person who answers a "who" question is in the best citation; the ones cited
    # beside it may name others ("Who is X?" may also cite a sentence about what Y said)
    best = previous.quotes[0] if previous.quotes else ""
    answer_people = [n for n in people_in(best) if not _overlaps(n, asked_names)]
    answer_names = [n for n in names_in(answer_text) if not _overlaps(n, asked_names)]
    if previous.searched.lower().startswith("who") and answer_people:
        # "Who will Netanyahu meet?" -> the answer's person is who the next turn is about
        person: str | None = answer_people[0]
    else:
        person = (asked_names or answer_names or [""])[0] or None
    if person is not None and not _is_person(person) and _has(_PERSON + "|his", question):
        # "he" is not "Quincy Institute": the latest person named in the conversation
        person = _latest_person(history) or person
    people = list(dict.fromkeys([*asked_names[:1], *([person] if person else [])]))
    subject = subject_phrase(previous.searched)
    lowered = question.lower()
    before = previous.searched.rstrip("?")
    bare = _BARE_WH_RE.match(question)
    lead_wh = _LEADING_WH_RE.match(before)
    if bare and lead_wh:
        # "Where were the talks held?" then "When?" -> "When were the talks held?"
        wh = bare.group(1)
        return f"{wh[0].upper()}{wh[1:].lower()}{before[lead_wh.end() :]}?"
    for lead in ("what about ", "how about ", "and what about ", "and "):
        if lowered.startswith(lead) and not _has(_PERSON + "|" + _GROUP, question):
            rest = question[len(lead) :].strip().rstrip("?").strip()
            if not rest:
                break
            first = rest.split()[0].lower()
            if first in _PREPOSITIONS:
                # "... say about the missile program?" + "And about the talks?"
                cut = before.lower().rfind(f" {first} ")
                return f"{before[:cut] if cut >= 0 else before} {rest}?"
            if _is_name(rest) and asked_names and asked_names[0] in before:
                # "How did Trump describe the talks?" + "What about Araghchi?"
                return before.replace(asked_names[0], rest, 1) + "?"
            if len(rest.split()) <= 4:
                return f"{before} {rest}?"
            question = rest[0].upper() + rest[1:] + "?"
            break
    rewritten = question
    if person and _has(_POSSESSIVE, rewritten) and not _name_before(_POSSESSIVE, rewritten):
        rewritten = re.sub(r"\bhis\b", f"{person}’s", rewritten, flags=re.IGNORECASE)
    if person and _has(_PERSON, rewritten) and not _name_before(_PERSON, rewritten):
        rewritten = _replace(_PERSON, person, rewritten)
    if _has(_GROUP, rewritten):
        if not subject and len(people) == 1 and _has("they|them|their|theirs", rewritten):
            # "they" is more than one: the previous turn's person and the latest other
            # person of the conversation ("Who is Netanyahu meeting?" -> Trump, "When?",
            # "What will they discuss?" -> Netanyahu and Trump)
            other = _latest_person(history, besides=people[0])
            if other:
                people.append(other)
        group = subject or (" and ".join(people[:2]) if len(people) >= 2 else person)
        if _name_before("its", rewritten) and not _has("they|them|their|theirs|it", rewritten):
            group = None  # "What does Iran say about its missile program?": Iran's
        if group:
            rewritten = re.sub(r"\b(?:their|its)\b", f"{group}’s", rewritten, flags=re.I)
            rewritten = _replace(_GROUP, group, rewritten)
    return rewritten


def _latest_person(history: Sequence[Turn], besides: str | None = None) -> str | None:
    """The person most recently named in the conversation (other than `besides`): each
    turn's question, then its answer, latest turn first."""
    for turn in reversed(history):
        for text in (turn.searched, " ".join(turn.quotes[:2])):
            people = [n for n in names_in(text) if _is_person(n)]
            titled = [n for n in people_in(text) if _is_person(n)]
            found = [
                n for n in (*titled, *people) if besides is None or not _overlaps(n, [besides])
            ]
            if found:
                return found[0]
    return None
