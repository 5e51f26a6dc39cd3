"""Lexical stage: BM25 over passages (bm25s, Lucene variant) and IDF-weighted term overlap.

Tokens are lower-cased, English stop words removed, British spellings read as American
("organisations" -> "organizations", breame's list) and Snowball-stemmed (PyStemmer),
the same for passages, queries and sentences.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# scikit-learn's English stop words (Glasgow list) less the words that carry content in
# questions and news text, plus question words and auxiliaries.
_KEEP = {
    "call",
    "describe",
    "fire",
    "find",
    "move",
    "system",
    "bill",
    "interest",
    "amount",
    "detail",
    "found",
    "made",
    "show",
    "give",
    "take",
    "put",
    "see",
    "full",
    "front",
    "back",
    "top",
    "bottom",
    "side",
    "part",
    "name",
    "empty",
    "fill",
    "become",
    "became",
    "last",
    "first",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "forty",
    "fifty",
    "sixty",
    "hundred",
    "never",
    "against",
}
_EXTRA = {"does", "did", "doing", "say", "says", "said", "tell", "according", "s"}


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The stop-word list used everywhere text is tokenized."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset((set(ENGLISH_STOP_WORDS) - _KEEP) | _EXTRA)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


# bm25s' default token pattern: words of two or more characters
_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")


# The tokenizer's version, saved beside each BM25 index: 2 reads British spellings as
# American, 3 irregular verb forms as their base ("wrote" -> "write"). An index saved by
# another version is rebuilt from its passages on load.
TOKENS_VERSION = 3


@lru_cache(maxsize=1)
def _american() -> dict[str, str]:
    """British spelling -> American ("defence" -> "defense", "travelling" -> "traveling")."""
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    return dict(BRITISH_ENGLISH_SPELLINGS)


# verbs whose forms are left apart: light verbs match everything once merged ("went" with
# "a long way to go"), and a few forms read as other words ("born" -> "bear", "left")
_LIGHT_VERBS = frozenset(
    [
        "go",
        "make",
        "take",
        "come",
        "get",
        "give",
        "put",
        "set",
        "let",
        "keep",
        "know",
        "think",
        "mean",
        "find",
        "leave",
        "bear",
        "lie",
    ]
)


@lru_cache(maxsize=1)
def _irregular() -> dict[str, str]:
    """Irregular verb forms -> their base ("wrote", "written" -> "write"; "won" -> "win";
    "held" -> "hold"), which stemming leaves apart, from LemmInflect's dictionary (the NIH
    SPECIALIST Lexicon). Left out: forms with two readings ("found": find or found;
    "saw"), "-ing" and "-s" forms (regular, or adjectives: "upcoming"), forms the stemmer
    already joins to their base, and light verbs."""
    from lemminflect import Lemmatizer

    stem = _stemmer().stemWord
    table: dict[str, dict[str, tuple[str, ...]]] = Lemmatizer()._getLemmaDict()
    out = {}
    for form, readings in table.items():
        lemmas = readings.get("VERB", ())
        if (
            len(lemmas) == 1
            and form.isalpha()
            and form.islower()
            and not form.endswith(("ing", "s"))
            and lemmas[0] not in _LIGHT_VERBS
            and stem(lemmas[0]) != stem(form)
        ):
            out[form] = lemmas[0]
    return out


def _tokens_uncached(text: str) -> tuple[str, ...]:
    stops = stop_words()
    american = _american()
    irregular = _irregular()
    words = [american.get(w, w) for w in _TOKEN_RE.findall(text.lower()) if w not in stops]
    words = [irregular.get(w, w) for w in words]
    words = [w for w in words if w not in stops]  # "told" -> "tell", a stop word
    return tuple(_stemmer().stemWords(words))


@lru_cache(maxsize=100_000)
def _tokens_cached(text: str) -> tuple[str, ...]:
    return _tokens_uncached(text)


def _quiet_bm25s() -> None:
    # bm25s sets its logger to DEBUG on import, which put "Building index from tokens"
    # in the middle of `assistant index`'s progress bars
    logging.getLogger("bm25s").setLevel(logging.WARNING)


def tokenize(texts: Sequence[str], *, cache: bool = True) -> list[list[str]]:
    """Stemmed content tokens of each text (lower-cased, stop words removed).

    Query-time callers tokenize the same passages and sentences again and again, so
    results are cached per text; indexing passes cache=False.
    """
    fn = _tokens_cached if cache else _tokens_uncached
    return [list(fn(text)) for text in texts]


class LexicalIndex:
    """BM25 over passages, addressed by row (row i = the i-th passage indexed)."""

    def __init__(self, retriever: Any, n_docs: int) -> None:
        self._retriever = retriever
        self.n_docs = n_docs
        vocab: dict[str, int] = retriever.vocab_dict
        indptr = np.asarray(retriever.scores["indptr"])
        # CSC matrix, one column per token: nonzeros in a column = passages holding the token
        doc_freq = np.diff(indptr)
        self._df = {token: int(doc_freq[i]) for token, i in vocab.items() if i < len(doc_freq)}

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index passage texts with BM25 (k1=1.5, b=0.75, Lucene IDF)."""
        import bm25s

        _quiet_bm25s()

        retriever = bm25s.BM25(method="lucene")
        corpus_tokens = tokenize(texts, cache=False)
        # bm25s rejects an empty vocabulary; a placeholder token keeps tiny corpora valid
        if not any(corpus_tokens):
            corpus_tokens = [["\x00"] for _ in corpus_tokens]
        retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        """Write the BM25 matrices to `folder`, and the tokenizer version they were made with."""
        self._retriever.save(str(folder), show_progress=False)
        (folder / "tokens.json").write_text(json.dumps({"version": TOKENS_VERSION}) + "\n")

    @classmethod
    def load(
        cls, folder: Path, n_docs: int, texts: Callable[[], Sequence[str]] | None = None
    ) -> LexicalIndex:
        """Read an index written by `save`. One saved by an older tokenizer is rebuilt in
        memory from `texts()` (the passages), so its tokens match the questions'."""
        import bm25s

        _quiet_bm25s()

        version = saved_tokens_version(folder)
        if version != TOKENS_VERSION and texts is not None:
            passages = texts()
            logging.getLogger(__name__).warning(
                "the BM25 index in %s was made by tokenizer version %s (now %s); rebuilt in "
                "memory from its %d passages: run `assistant index` to save it",
                folder,
                version,
                TOKENS_VERSION,
                len(passages),
            )
            return cls.build(passages)
        retriever = bm25s.BM25.load(str(folder), show_progress=False, mmap=False)
        return cls(retriever, n_docs)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every passage for the query (zeros when no query term is known)."""
        tokens = [t for t in tokenize([query])[0] if t in self._df]
        if not tokens:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency (BM25's, never negative)."""
        df = self._df.get(token, 0)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def document_frequency(self, token: str) -> int:
        """How many passages contain the stemmed token."""
        return self._df.get(token, 0)

    @property
    def document_frequencies(self) -> Mapping[str, int]:
        """Every stemmed token of the corpus -> how many passages contain it."""
        return self._df

    def token_scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every passage for already stemmed tokens (unknown ones ignored)."""
        known = [t for t in tokens if t in self._df]
        if not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)


def saved_tokens_version(folder: Path) -> int:
    """The tokenizer version a BM25 index folder was saved with (1: before versions)."""
    path = folder / "tokens.json"
    return int(json.loads(path.read_text())["version"]) if path.exists() else 1


def weighted_overlap(
    query_tokens: Sequence[str],
    text_tokens: Sequence[str],
    idf: Callable[[str], float],
    partial: Mapping[str, float] | None = None,
) -> float:
    """Share of the query's IDF mass whose terms occur in the text (0..1); a term the
    text lacks counts for `partial[term]` of its weight (a related word stands in)."""
    unique = set(query_tokens)
    total = sum(idf(t) for t in unique)
    if total <= 0:
        return 0.0
    present = set(text_tokens)
    partial = partial or {}
    return sum(idf(t) * (1.0 if t in present else partial.get(t, 0.0)) for t in unique) / total


@lru_cache(maxsize=50_000)
def zipf(word: str) -> float:
    """How common a word is in general English: wordfreq's Zipf scale (0 unknown .. ~7)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def base_frequency(word: str) -> float:
    """The Zipf frequency of the word's base form(s), the commonest one ("mediated" ->
    "mediate" 3.1; LemmInflect's dictionary), or of the word when it has none."""
    from lemminflect import getAllLemmas

    forms = {f for lemmas in getAllLemmas(word.lower()).values() for f in lemmas}
    return max((zipf(f) for f in forms), default=zipf(word.lower()))


@lru_cache(maxsize=50_000)
def specificity(word: str, first_in_sentence: bool = False) -> float:
    """How specific a word is in general English (0.1..1), from wordfreq's Zipf scale.

    A capitalised word inside a question is taken as a name (1.0); otherwise
    (6 - zipf) / 3 clipped to [0.1, 1]: "make" (6.1) -> 0.1, "weather" (4.9) -> 0.37,
    "uranium" (3.9) -> 0.72, an unknown word -> 1.
    """
    if word[:1].isupper() and not first_in_sentence:
        return 1.0
    return min(1.0, max(0.1, (6.0 - zipf(word)) / 3.0))


def without_possessive(word: str) -> str:
    """The word without a possessive ending ("Iran's" -> "Iran")."""
    return word.removesuffix("’s").removesuffix("'s")
