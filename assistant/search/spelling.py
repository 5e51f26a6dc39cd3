"""Spelling stage: a question word the corpus never uses, read as the corpus's spelling.

"Who is Netanyahoo meeting?" over a corpus that says "Netanyahu": the word occurs in no
passage, so BM25 cannot match it and the confidence treats it as a name the corpus lacks.
When a rare word (not a common English word: wordfreq Zipf below `_MAX_ZIPF`) is within
a small edit distance of a word the corpus does use (optimal string alignment, so a
swapped pair of letters counts once; the same first letter), the question is searched
with the corpus's word instead and the answer says so. Common words are never changed:
"uranium" over a corpus without it stays missing, and the assistant abstains.

An acronym of three to six capitals that no passage uses ("NPT") is searched as the
phrase it stands for in one of the passages closest to the question's other words
("Non-Proliferation Treaty": its capitalised words' initials, hyphenated parts counted).

Pure: the vocabulary comes from the lexical index (stemmed tokens and their document
frequencies), the surface form of a correction from a passage that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz.distance import OSA

from assistant.records import Correction, Passage
from assistant.search.lexical import LexicalIndex, tokenize

_WORD_RE = re.compile(r"[^\W\d_][\w’'-]*[^\W_]|[^\W\d_]{2}")
_POSSESSIVE_RE = re.compile(r"(?:['’]s|['’])$")
_MAX_ZIPF = 2.5  # "Netanyahoo" 0, "Churchhill" 0; "uranium" 3.9, "naval" 3.7
_MIN_LENGTH = 4
_MAX_CANDIDATES = 5  # nearest candidates tried against the question's context
_MAX_UNKNOWN = 6  # rare unknown words looked up per question (bounds a 2,000-character one)


def max_distance(token: str) -> int:
    """Edits allowed for a token of this length: 1 up to 6 letters, 2 from 7."""
    return 1 if len(token) < 7 else 2


@lru_cache(maxsize=10_000)
def _is_common(word: str) -> bool:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en")) >= _MAX_ZIPF


class Vocabulary:
    """The corpus's stemmed tokens, grouped by first letter and length for fuzzy lookup."""

    def __init__(self, document_frequency: Mapping[str, int]) -> None:
        self._df = document_frequency
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for token in document_frequency:
            if token[:1].isalpha():
                self._buckets.setdefault((token[0], len(token)), []).append(token)

    def __contains__(self, token: object) -> bool:
        return token in self._df

    def near(self, token: str) -> list[str]:
        """Corpus tokens within `max_distance` edits of `token`, nearest first (the more
        frequent first on a tie)."""
        limit = max_distance(token)
        found: list[tuple[int, int, str]] = []
        for length in range(len(token) - limit, len(token) + limit + 1):
            for candidate in self._buckets.get((token[0], length), ()):
                distance = OSA.distance(token, candidate, score_cutoff=limit)
                if distance <= limit:
                    found.append((distance, -self._df[candidate], candidate))
        return [candidate for _, _, candidate in sorted(found)]


_ACRONYM_RE = re.compile(r"[A-Z]{3,6}")  # two letters stand for too many things


def correct_spelling(
    question: str,
    vocabulary: Vocabulary,
    choose: Callable[[list[str], list[str]], str | None],
    expand: Callable[[str, list[str]], str | None] | None = None,
) -> tuple[str, list[Correction]]:
    """The question with each rare word that no passage uses replaced by a near word that
    passages do use, and the corrections made. `choose(candidates, context)` picks the
    written form of one of the candidate tokens given the question's other tokens, or
    None to leave the word as typed. `expand(acronym, context)` gives the phrase an
    acronym no passage uses stands for ("NPT" -> "Non-Proliferation Treaty"), or None."""
    corrections: list[Correction] = []
    pieces: list[str] = []
    last = 0
    context = [t for t in tokenize([question])[0] if t in vocabulary]
    looked_up = 0
    for match in _WORD_RE.finditer(question):
        if looked_up >= _MAX_UNKNOWN:
            break
        typed = match.group()
        word = _POSSESSIVE_RE.sub("", typed)
        tokens = tokenize([word])[0]
        if expand is not None and _ACRONYM_RE.fullmatch(word) and tokens:
            if tokens[0] in vocabulary:
                continue
            looked_up += 1
            phrase = expand(word, context)
            if phrase:
                pieces.append(question[last : match.start()] + phrase + typed[len(word) :])
                last = match.end()
                corrections.append(Correction(word, phrase))
            continue
        if (
            len(tokens) != 1
            or len(tokens[0]) < _MIN_LENGTH
            or tokens[0] in vocabulary
            or _is_common(word.lower())
        ):
            continue
        looked_up += 1
        candidates = vocabulary.near(tokens[0])
        written = choose(candidates, context) if candidates else None
        if not written:
            continue
        if word.islower() and written[1:].islower():  # "Published" at a line's start
            written = written.lower()
        pieces.append(question[last : match.start()] + written + typed[len(word) :])
        last = match.end()
        corrections.append(Correction(word, written))
    pieces.append(question[last:])
    return "".join(pieces), corrections


def written_form(token: str, text: str) -> str | None:
    """The first word of the text whose stemmed token is `token`, as written there."""
    for match in _WORD_RE.finditer(text):
        word = _POSSESSIVE_RE.sub("", match.group())
        if tokenize([word])[0] == [token]:
            return word
    return None


class SpellingCorrector:
    """`correct_spelling` over one index. A candidate must fit the question: some passage
    holding it also holds at least `min_context` of the IDF weight of the question's other
    words ("Pezeshkin ... talks" -> "Pezeshkian", whose passages speak of talks; "Edwyn
    Collins" is not read as "Edwin" unless an Edwin passage mentions Collins and bands)."""

    def __init__(
        self, lexical: LexicalIndex, passages: Sequence[Passage], min_context: float = 0.5
    ) -> None:
        self.lexical = lexical
        self._passages = passages
        self._vocabulary = Vocabulary(lexical.document_frequencies)
        self.min_context = min_context

    def _choose(self, candidates: list[str], context: list[str]) -> str | None:
        others = list(dict.fromkeys(context))
        total = sum(self.lexical.idf(t) for t in others)
        context_scores = self.lexical.token_scores(others) if others else None
        for candidate in candidates[:_MAX_CANDIDATES]:
            holding = self.lexical.token_scores([candidate]) > 0
            if not holding.any():
                continue
            if context_scores is None:
                row = int(holding.argmax())
            else:
                row = int(np.where(holding, context_scores, -1.0).argmax())
                text_tokens = set(tokenize([self._passages[row].text])[0])
                share = sum(self.lexical.idf(t) for t in others if t in text_tokens) / total
                if share < self.min_context:
                    continue
            return written_form(candidate, self._passages[row].text)
        return None

    def _expand(self, acronym: str, context: list[str]) -> str | None:
        """The phrase of a passage close to the question's other words whose capitalised
        words' initials spell the acronym ("Non-Proliferation Treaty" for "NPT")."""
        others = list(dict.fromkeys(context))
        if not others:
            return None
        scores = self.lexical.token_scores(others)
        top = np.argsort(-scores, kind="stable")[:_ACRONYM_PASSAGES]
        for row in top:
            if scores[row] <= 0:
                break
            phrase = acronym_phrase(acronym, self._passages[int(row)].text)
            if phrase:
                return phrase
        return None

    def __call__(self, question: str) -> tuple[str, list[Correction]]:
        return correct_spelling(question, self._vocabulary, self._choose, self._expand)


_ACRONYM_PASSAGES = 20  # passages closest to the question searched for an acronym's phrase
_CAPITALISED_RUN_RE = re.compile(
    r"\b[A-Z][\w’'-]*(?:\s+(?:(?:of|for|and|on|the|de)\s+)*[A-Z][\w’'-]*)+"
)


def acronym_phrase(acronym: str, text: str) -> str | None:
    """The first run of capitalised words in the text whose initials (each hyphenated
    part counts, "of"/"for"/"and" do not) spell the acronym: "Non-Proliferation Treaty"
    for "NPT", "Prime Minister’s Office" for "PMO"; a shorter run inside a longer one
    counts too; a run through an all-capital word does not."""
    wanted = acronym.upper()
    for match in _CAPITALISED_RUN_RE.finditer(text):
        words = match.group().split()
        for first in range(len(words)):
            initials = ""
            for end in range(first, len(words)):
                word = words[end]
                if word.isupper():  # another acronym ("NCAA Division"): not an expansion
                    break
                if not word[:1].isupper():
                    continue
                initials += "".join(part[:1] for part in word.split("-") if part[:1].isupper())
                if initials == wanted and words[first][:1].isupper():
                    return _POSSESSIVE_RE.sub("", " ".join(words[first : end + 1]))
                if not wanted.startswith(initials):
                    break
    return None
