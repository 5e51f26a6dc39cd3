"""Conflicts: flag sentences that make opposite claims about the same thing.

No NLI model ships offline, so the detector is lexical and deliberately strict. Two
sentences conflict when they
1. are about the same thing: at least `min_shared` content tokens in common (beyond the
   opposing words), and a bi-encoder cosine of at least `min_cosine`;
2. use opposing predicates: one holds a word of an antonym pair (antonyms.txt), the
   other holds its opposite, neither holds both, and in each sentence the opposing word
   stands within `window` words of a shared word ("limit its ballistic missiles" /
   "develop ballistic missiles"); or the same predicate is negated in exactly one of
   them ("will attend" / "will not attend").
Its precision is measured on evals/conflicts.yaml (tests/test_conflicts.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.search.lexical import tokenize

_NEGATION_RE = re.compile(
    r"\b(?:not|never|no longer|n[o’']t|won[’']t|cannot|can[’']t|didn[’']t|doesn[’']t|isn[’']t|"
    r"wasn[’']t|aren[’']t|weren[’']t)\s+(?:be\s+|have\s+|been\s+)?(\w+)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ConflictFinding:
    """Sentence i and sentence j (indices into the input) disagree; `note` says how."""

    i: int
    j: int
    note: str
    words: tuple[str, str]


@lru_cache(maxsize=1)
def antonym_pairs() -> dict[str, set[str]]:
    """Stemmed word -> stemmed opposites, read from antonyms.txt beside this module."""
    opposites: dict[str, set[str]] = {}
    for line in Path(__file__).with_name("antonyms.txt").read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) != 2:
            continue
        a, b = (tokenize([w], cache=False)[0] or [w] for w in words)
        opposites.setdefault(a[0], set()).add(b[0])
        opposites.setdefault(b[0], set()).add(a[0])
    return opposites


def _surface(text: str, stem: str) -> str:
    """The first word of the text whose stem is `stem` (the stem itself if none)."""
    words: list[str] = re.findall(r"[\w-]+", text)
    for word in words:
        if tokenize([word])[0] == [stem]:
            return word
    return stem


def _in_order(text: str, stems: set[str]) -> list[str]:
    """The words of the text whose stems are in `stems`, in order, each once."""
    out: list[str] = []
    for word in re.findall(r"[\w-]+", text):
        token = tokenize([word])[0]
        if token and token[0] in stems and word not in out:
            out.append(word)
            stems = stems - {token[0]}
    return out


def _positions(text: str) -> dict[str, list[int]]:
    """Stem -> word positions in the text (every word counts towards distance)."""
    out: dict[str, list[int]] = {}
    for position, word in enumerate(re.findall(r"[\w-]+", text)):
        for stem in tokenize([word])[0]:
            out.setdefault(stem, []).append(position)
    return out


def _near(positions: dict[str, list[int]], word: str, others: set[str], window: int) -> set[str]:
    """The stems of `others` that occur within `window` words of `word`."""
    spots = positions.get(word, [])
    return {
        o for o in others if any(abs(p - q) <= window for p in spots for q in positions.get(o, []))
    }


def _negated(text: str) -> set[str]:
    return {stem for m in _NEGATION_RE.finditer(text) for stem in tokenize([m.group(1)])[0]}


def find_conflicts(
    sentences: Sequence[str],
    cosines: Sequence[Sequence[float]],
    min_shared: int = 2,
    min_cosine: float = 0.3,
    window: int = 4,
) -> list[ConflictFinding]:
    """Pairs of sentences that disagree. `cosines[i][j]` is their bi-encoder similarity."""
    opposites = antonym_pairs()
    tokens = [set(tokenize([s])[0]) for s in sentences]
    negated = [_negated(s) for s in sentences]
    positions = [_positions(s) for s in sentences]
    findings: list[ConflictFinding] = []
    for i in range(len(sentences)):
        for j in range(i + 1, len(sentences)):
            if cosines[i][j] < min_cosine:
                continue
            a, b = tokens[i], tokens[j]
            clash = _opposing(a, b, opposites)
            if clash is None:
                shared_negation = (negated[i] ^ negated[j]) & a & b
                if not shared_negation:
                    continue
                word = sorted(shared_negation)[0]
                shared = (a & b) - {word}
                if len(shared) < min_shared:
                    continue
                w = _surface(sentences[i] if word in negated[j] else sentences[j], word)
                note = f"one source says “{w}”, the other says it is not so"
                findings.append(ConflictFinding(i, j, note, (w, f"not {w}")))
                continue
            x, y = clash
            shared = (a & b) - {x, y}
            # the opposing words must bear on the same thing: a shared word near each
            near = _near(positions[i], x, shared, window) & _near(positions[j], y, shared, window)
            if len(shared) < min_shared or not near:
                continue
            wx, wy = _surface(sentences[i], x), _surface(sentences[j], y)
            topic = " ".join(_in_order(sentences[i], shared)[:3])
            note = f"“{wx}” versus “{wy}” ({topic})"
            findings.append(ConflictFinding(i, j, note, (wx, wy)))
    return findings


def _opposing(a: set[str], b: set[str], opposites: dict[str, set[str]]) -> tuple[str, str] | None:
    for x in sorted(a - b):
        for y in sorted(opposites.get(x, set()) & (b - a)):
            return x, y
    return None
