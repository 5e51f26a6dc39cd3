"""People, places and roles in text: who a sentence names, by name, by a place's other
names (`places.txt`: "Iranian" and "the US" for Iran and the United States) or by the
role the passages give them ("the US president" for "President Donald Trump").

Pure functions of text, used by the composer (sentence scoring, name coverage, the role
holder) and by the abstention rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

from assistant.lexical import stop_words


def without_possessive(word: str) -> str:
    """The word without a possessive ending ("Iran's" -> "Iran")."""
    return word.removesuffix("’s").removesuffix("'s")


def names_person(text: str, name: str, ties: dict[str, set[tuple[str, str]]]) -> bool:
    """Whether the text names a person (any part of the name) or a place, by name, place
    alias or the role the passages tie to them."""
    return any(mentions(text, part) or names_by_role(text, part, ties) for part in name.split())


def mentions(text: str, name: str) -> bool:
    """Whether the text names it: "Iran" is mentioned by "Iranian", "Iran's" by "Iran",
    "American" by "the US" (places.txt)."""
    stem = without_possessive(name)
    if stem in text or (len(stem) > 4 and stem[:-1] in text):
        return True
    return any(_whole_word(alias).search(text) for alias in place_aliases(stem))


@functools.cache
def _place_groups() -> dict[str, tuple[str, ...]]:
    """Each name of places.txt -> the other names of its place."""
    groups: dict[str, tuple[str, ...]] = {}
    for line in Path(__file__).with_name("places.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            members = [m.strip() for m in line.split("|") if m.strip()]
            for member in members:
                groups[member] = tuple(m for m in members if m != member)
    return groups


def place_aliases(word: str) -> tuple[str, ...]:
    """Other names of the place a word names ("American" -> "United States", "US", ...)."""
    return _place_groups().get(without_possessive(word), ())


@functools.cache
def _whole_word(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


# "Who is the foreign minister of Oman?", "What is Oman's foreign minister called?", "the
# Omani foreign minister": a role (one to three lower-case words) held for a place
_ROLE_OF_PLACE_RE = re.compile(
    r"\b(?:the\s+)?(?P<role>[a-z]+(?:\s+[a-z]+){0,2}?)\s+of\s+(?:the\s+)?(?P<place>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)"
)
_PLACE_ROLE_RE = re.compile(
    r"\b(?P<place>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)(?:['’]s)?\s+(?P<role>[a-z]+(?:\s+[a-z]+){0,2})\b"
)
_ROLE_HEADS = frozenset(
    [
        "president",
        "minister",
        "secretary",
        "chancellor",
        "king",
        "queen",
        "leader",
        "chief",
        "head",
        "governor",
        "mayor",
        "ambassador",
        "envoy",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "premier",
        "general",
        "commander",
        "director",
        "chairman",
        "chair",
        "ceo",
        "founder",
        "owner",
        "coach",
        "captain",
        "editor",
    ]
)


def role_and_place(question: str) -> tuple[str, str] | None:
    """("foreign minister", "Oman") for "What is the name of Oman's foreign minister?" or
    "Who is the foreign minister of Oman?"; None when the question asks for no role of a
    place that `places.txt` knows."""
    stops = stop_words()
    for pattern in (_ROLE_OF_PLACE_RE, _PLACE_ROLE_RE):
        for match in pattern.finditer(question):
            words = match.group("role").split()
            heads = [i for i, w in enumerate(words) if w in _ROLE_HEADS]
            if not heads:
                continue
            # "the foreign minister of" -> up to the last head; "foreign minister called"
            # -> up to the first; leading stop words ("is president of") left out
            end = heads[-1] if pattern is _ROLE_OF_PLACE_RE else heads[0]
            kept = words[: end + 1]
            while kept and kept[0] in stops:
                kept = kept[1:]
            phrase = without_possessive(match.group("place"))
            for place in (phrase, phrase.split()[-1]):
                if kept and place_aliases(place):
                    return " ".join(kept), place
    return None


def same_place(a: str, b: str) -> bool:
    return a == b or a in place_aliases(b)


def role_places(role: str, text: str) -> list[str | None]:
    """The place qualifying each mention of the role in the text: "Iranian" for
    "Iranian Foreign Minister Abbas Araghchi", "France" for "the president of France",
    None for a mention with no place ("the foreign minister said")."""
    return list(_role_places(role, text))


@functools.lru_cache(maxsize=65_536)
def _role_places(role: str, text: str) -> tuple[str | None, ...]:
    """`role_places`, cached: the same sentences are read for question after question."""
    out: list[str | None] = []
    for match in re.finditer(rf"\b{re.escape(role)}\b", text, re.IGNORECASE):
        before = re.search(r"([\w.’'-]+)\s*$", text[: match.start()])
        after = re.match(r"\s+of\s+(?:the\s+)?([\w.’'-]+)", text[match.end() :])
        words = [without_possessive(m.group(1)) for m in (before, after) if m]
        out.append(next((w for w in words if place_aliases(w)), None))
    return tuple(out)


# "Israeli Prime Minister Benjamin Netanyahu", "President Donald Trump": a title (one or
# two capitalised words ending in a role head) and the name after it
_TITLED_RE = re.compile(
    r"\b(?P<title>(?:(?:Prime|Foreign|Defence|Defense|Vice|Interior|Finance)\s+)?"
    r"(?:President|Minister|Secretary|Chancellor|King|Queen|Governor|Senator|Ambassador|"
    r"Envoy|Mayor))\s+(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2})"
)


def titled_people(texts: Sequence[str]) -> dict[str, set[tuple[str, str]]]:
    """Each person the texts name with a title, by every part of the name -> (role, place)
    when the texts tie the title to one place: "Israeli Prime Minister Benjamin Netanyahu"
    -> ("prime minister", "Israeli"); "President Donald Trump, with the US president
    confirming ..." -> ("president", "US"). A person tied to two places is left out."""
    ties: dict[str, set[tuple[str, str]]] = {}
    for text in texts:
        for part, role, place in _titles_in(text):
            ties.setdefault(part, set()).add((role, place))
    # "Iranian Foreign Minister Abbas Araghchi" and "Iranian Minister Araghchi": two roles
    # of one place; a name tied to two places is someone else's too
    return {
        name: found
        for name, found in ties.items()
        if all(same_place(p, next(iter(found))[1]) for _, p in found)
    }


@functools.lru_cache(maxsize=65_536)
def _titles_in(text: str) -> tuple[tuple[str, str, str], ...]:
    """(name part, role, place) for each titled person of one text tied to one place."""
    out = []
    for match in _TITLED_RE.finditer(text):
        role = match.group("title").lower()
        before = re.search(r"([\w.’'-]+)\s*$", text[: match.start()])
        qualifier = without_possessive(before.group(1)) if before else ""
        if place_aliases(qualifier):
            places = {qualifier}
        else:  # the same role qualified elsewhere in the sentence: "the US president"
            places = {q for q in _role_places(role, text) if q}
        if len(places) == 1:
            place = places.pop()
            for part in match.group("name").split():
                out.append((without_possessive(part), role, place))
    return tuple(out)


def names_by_role(text: str, name: str, ties: dict[str, set[tuple[str, str]]]) -> bool:
    """Whether the text speaks of the person by their role ("the US president said ..."
    for Trump, when the passages call him "President Donald Trump" beside "the US
    president")."""
    found = ties.get(without_possessive(name), set())
    return any(
        q is not None and same_place(q, place)
        for role, place in found
        for q in _role_places(role, text)
    )
