"""Compose: pick the few sentences that answer, cite them exactly, or abstain.

Sentences of the retrieved passages are scored against the question with
    score = cosine(question, sentence) + overlap_weight * idf_overlap + cue_weight * cue
where idf_overlap is the share of the question's IDF mass found in the sentence
and cue is 1 when the sentence holds what the question word asks for (who ->
a name, when -> a date, how many -> a number, where -> a place). The best
sentence, plus any close runner-up that covers new question terms, forms the
answer; a sentence that opens with a pronoun brings its antecedent sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np

from assistant.confidence import ConfidenceModel
from assistant.conflicts import find_conflicts
from assistant.converse import names_in, subject_phrase
from assistant.dates import resolve_relative_dates
from assistant.embed import Vectors
from assistant.errors import AssistantError
from assistant.lexical import base_frequency, specificity, tokenize, weighted_overlap, zipf
from assistant.people import (
    mentions,
    names_by_role,
    names_person,
    place_aliases,
    role_and_place,
    role_places,
    same_place,
    titled_people,
    without_possessive,
)
from assistant.records import Answer, Citation, Conflict, Document, Hit, Sentence
from assistant.store import IndexData
from assistant.synonyms import ANTONYM, default_wordnet


class CitationMismatchError(AssistantError):
    """A quote does not equal the source at its offsets (a bug; nothing is returned)."""

    http_status = 500


@dataclass(frozen=True, slots=True)
class ComposeConfig:
    """Knobs of answer composition."""

    max_sentences: int = 3
    min_confidence: float = 0.5
    overlap_weight: float = 0.5
    cue_weight: float = 0.1
    runner_up_margin: float = 0.12
    # chosen on the HaluEval tuning split with late-chunked sentence vectors (README)
    adjacent_margin: float = 0.5
    part_min_cosine: float = 0.3
    bridge_margin: float = 0.35
    # an answer that only restates the question goes on to a sentence of the same
    # document that says something new (chosen on the HaluEval tuning split, README)
    restate_novelty: float = 0.4
    restate_margin: float = 1.0
    # the sentence after the answer's run joins when it holds at least this share of the
    # question's IDF weight that the run's document does not (HaluEval tuning, README)
    next_new_terms: float = 0.2
    # a sentence beside the answer's run joins when it ranks this high after the best one
    # and is this close to the question (0 = off; HaluEval tuning, `add_beside`)
    beside_rank: int = 2
    beside_min_cosine: float = 0.5
    conflict_pool: int = 4  # top-ranked sentences checked against the answer
    closest_count: int = 3
    # a question word no retrieved passage uses is matched, in part, by its WordNet
    # relatives that the passages use ("rockets" by "missile"; `related_words`)
    synonyms: bool = True


_OPTIONAL_TEMPLATES = {
    "spelling_note.txt": "(Read $corrections: the spelling the corpus uses.)",
    "unmatched_note.txt": "(No passage mentions $names: this answer rests on the rest of "
    "the question.)",
}


@dataclass(frozen=True, slots=True)
class Templates:
    """The answer and abstain templates from prompts/."""

    answer: Template
    abstain: Template
    date_note: Template
    conflict: Template
    spelling_note: Template
    unmatched_note: Template

    @classmethod
    def load(cls, prompts_dir: Path) -> Templates:
        """Read the templates from the prompts folder. Those added after the first release
        (`spelling_note.txt`, `unmatched_note.txt`) fall back to the shipped wording when a
        folder lacks them, so a customised prompts folder keeps working after an upgrade."""
        from assistant.errors import InvalidInputError

        def read(name: str) -> Template:
            path = prompts_dir / name
            if name in _OPTIONAL_TEMPLATES and not path.exists():
                return Template(_OPTIONAL_TEMPLATES[name])
            return Template(path.read_text(encoding="utf-8").strip())

        try:
            return cls(
                answer=read("answer.txt"),
                abstain=read("abstain.txt"),
                date_note=read("date_note.txt"),
                conflict=read("conflict.txt"),
                spelling_note=read("spelling_note.txt"),
                unmatched_note=read("unmatched_note.txt"),
            )
        except FileNotFoundError as exc:
            raise InvalidInputError(
                f"prompt template missing: {exc.filename}; set ASSISTANT_PROMPTS_DIR to the "
                "repository's prompts/ folder"
            ) from exc


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A candidate sentence with its score parts."""

    sentence: Sentence
    score: float
    cosine: float
    overlap: float
    cue: float
    passage_id: int


# a sentence that refers back: it opens with a pronoun, possibly after a short phrase and
# a comma ("Previously, he was head coach of ...", "In 2005, it moved ...")
_PRONOUN_START = re.compile(
    r"^[“\"']?(?:[\w’'-]+(?:\s+[\w’'-]+){0,3},\s+)?"
    r"(he|she|they|it|this|that|these|those|his|her|their|its|him|them)\b",
    re.IGNORECASE,
)
# a sentence that says who speaks: "..., Pezeshkian said in a post to X", "Parsi told"
_SPEECH_WORDS = (
    "said says say told tells added adds wrote writes stated states insisted warned noted "
    "argued claimed"
)
_SPEECH_VERBS = _SPEECH_WORDS.split()


def _verbs_re(words: Sequence[str], flags: int = 0) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{'|'.join(words)}|according\s+to)\b", flags)


_ATTRIBUTION = _verbs_re([*_SPEECH_VERBS, "asked", "explained"])
_MAX_ANTECEDENTS = 2  # "He ..." after "They ..." after the sentence that names them
_NAME_RE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")
_DATE_RE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
    r"april|may|june|july|august|september|october|november|december|yesterday|today|"
    r"tomorrow|week|weekend|month|year|\d{4})\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundred|"
    r"thousand|million|billion|first|second|third|fourth|fifth|sixth|seventh|eighth|"
    r"ninth|tenth|dozens?|several)\b",
    re.IGNORECASE,
)
_MONTHS_DAYS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
)
# "in Oman", "at the White House"; not "from September 1990" or "on Friday"
_PLACE_RE = re.compile(rf"\b(in|at|to|from|near)\s+(the\s+)?(?!(?:{_MONTHS_DAYS})\b)[A-Z][a-z]+")
# dates and years, which hold numbers but do not answer "how many"
_DATE_NUMBER_RE = re.compile(
    rf"\b\d{{1,2}}\s+(?:{_MONTHS_DAYS})\b|\b(?:{_MONTHS_DAYS})\s+\d{{1,2}}\b|\b1\d{{3}}\b|\b20\d{{2}}\b"
)


# Words that frame what is asked rather than name what it is about: "On what date...",
# "...take place?", "What is the name of...". They are left out of lexical matching.
_FRAME_RE = re.compile(
    r"\b(?:(?:on|in|at)\s+)?(?:what|which)\s+(?:date|day|weekday|year|month|time|kind of|type of|"
    r"sort of)\b(?:\s+of\s+the\s+week\b)?"
    r"|\b(?:take|took|taking|takes)\s+place\b|\bthe name of\b|\bwhat is the name\b"
    # "What is the US president's name?"; "What happened on Friday?" (not "What happened
    # to oil prices?", which asks about the prices)
    r"|(?<=['’]s)\s+(?:full\s+)?name\b|\b(?:happen|happens|happened|occur|occurs|occurred)\b"
    r"(?=\s+(?:on|during|last|this|earlier|in\s+\d{4})\b)"
    # the document itself ("when was the article published?", "what does this story say")
    r"|\b(?:the|this|that)\s+(?:article|story|report|piece|document|text|source|post)\b"
    # what the text does rather than what it is about: "Which groups are mentioned?",
    # "Who are the rivals mentioned in the talks?", "according to the article"
    r"|\b(?:is|are|was|were|being|been|be|get|gets|got)\s+(?:(?:also|specifically|explicitly)\s+)?"
    r"(?:mentioned|cited|referenced|referred\s+to|listed|quoted|named\s+as)\b"
    # how many things the answer holds: "What two groups ...", "Which three countries ..."
    r"|(?:(?<=\bwhat)|(?<=\bwhich))\s+(?:two|three|four|five|six)\b"
    r"|\b(?:mentioned|cited|referenced|listed)\s+(?:in|by)\b|\baccording\s+to\b"
    # a light verb ending a passive question: "When was the announcement made?"
    r"|\b(?:made|done)(?=\s*[?.!]*\s*$)"
    # the time of the text, not a thing to find in it: "Who is the current US president?"
    # (the noun, "the current in the strait", is kept)
    r"|\bcurrent(?=\s+[a-z])(?!\s+(?:in|of|on|at|from|to|through|and|or|is|was|that)\b)"
    r"|\bcurrently\b",
    re.IGNORECASE,
)


def question_tokens(question: str) -> list[str]:
    """Stemmed content tokens of a question, its framing words left out."""
    return tokenize([_FRAME_RE.sub(" ", question)])[0]


def answer_type(question: str) -> str | None:
    """What the question asks for: 'person', 'date', 'number', 'place' or None."""
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b", q):
        return "number"
    if re.search(
        r"\bwhen\b|\bwhat (date|day|weekday|year|month|time)\b|\bwhich weekday\b"
        r"|\bon what (date|day)\b",
        q,
    ):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return "person"
    if re.search(r"\bwhere\b|\bwhat (country|city|place|region)\b", q):
        return "place"
    return None


def answer_type_cue(kind: str | None, sentence: str, question: str) -> float:
    """1.0 when the sentence contains the kind of thing the question asks for."""
    if kind == "number":
        return float(bool(_NUMBER_RE.search(_DATE_NUMBER_RE.sub(" ", sentence))))
    if kind == "date":
        return float(bool(_DATE_RE.search(sentence)))
    if kind == "person":
        names = {m.group() for m in _NAME_RE.finditer(sentence)}
        return float(any(name not in question for name in names))
    if kind == "place":
        return float(bool(_PLACE_RE.search(sentence)))
    return 0.0


_COMPOUND_RE = re.compile(
    r"\s*,?\s+and\s+(?=(?:what|how|who|whom|whose|when|where|why|which|did|does|do|is|are|"
    r"was|were|about|on|in|for|with|whether)\b)",
    re.IGNORECASE,
)
_LEADING_PRONOUN_RE = re.compile(
    r"^(\w+\s+(?:did|does|do|is|was|has|had|will|would)\s+)(he|she|they|it)\b", re.IGNORECASE
)
_PREPOSITIONS = ("about", "on", "in", "for", "with")


def split_compound(question: str) -> list[str]:
    """The parts of a compound question ("What did X say about A and what did he warn?"),
    each made standalone: a leading pronoun takes the first part's first name, and a part
    that is only a prepositional phrase borrows the first part's verb. One part: [].
    """
    parts = [p.strip(" ?,") for p in _COMPOUND_RE.split(question) if p.strip(" ?,")]
    if len(parts) < 2:
        return []
    first = parts[0]
    name = _NAME_RE.search(first) or re.search(r"(?<!^)\b[A-Z][a-z]+\b", first)
    subject = subject_phrase(first)
    out = [first + "?"]
    for part in parts[1:]:
        if name:
            part = _LEADING_PRONOUN_RE.sub(lambda m: m.group(1) + name.group(), part)
        head = part.split(" ", 1)[0].lower()
        if head in _PREPOSITIONS and f" {head} " in first:
            part = first[: first.rindex(f" {head} ")] + " " + part
        # "... and how did Trump describe them?": "them" is the first part's "the talks"
        if subject and _OBJECT_PRONOUN_RE.search(part) and not names_in(subject):
            part = _OBJECT_PRONOUN_RE.sub(subject, part)
        out.append(part + "?")
    return out


_OBJECT_PRONOUN_RE = re.compile(r"(?<=\w\s)(?:them|it)(?=\s*$)")


def score_sentences(
    question: str,
    query_vector: Vectors,
    hits: Sequence[Hit],
    data: IndexData,
    config: ComposeConfig,
    related: Related | None = None,
) -> list[ScoredSentence]:
    """Every sentence of the hits, scored against the question, best first.

    `related` (from `related_words`) credits a question word no passage uses where a
    sentence holds one of its WordNet relatives.
    """
    q_tokens = question_tokens(question)
    kind = answer_type(question)
    seen: set[int] = set()
    candidates: list[tuple[Sentence, int]] = []
    for hit in hits:
        for sid in hit.passage.sentence_ids:
            if sid not in seen:
                seen.add(sid)
                candidates.append((data.sentences[sid], hit.passage.passage_id))
    if not candidates:
        return []
    ids = [s.sentence_id for s, _ in candidates]
    cosines = data.sentence_store.get(ids) @ query_vector.reshape(-1)
    s_tokens = tokenize([s.text for s, _ in candidates])
    s_tokens = with_role_names(question, [s.text for s, _ in candidates], s_tokens)
    scored = []
    for (sentence, pid), cosine, tokens in zip(candidates, cosines, s_tokens, strict=True):
        credit = related_credit(tokens, related) if related else None
        overlap = weighted_overlap(q_tokens, tokens, data.lexical.idf, credit)
        cue = answer_type_cue(kind, sentence.text, question)
        score = float(cosine) + config.overlap_weight * overlap + config.cue_weight * cue
        scored.append(ScoredSentence(sentence, score, float(cosine), overlap, cue, pid))
    scored.sort(key=lambda s: -s.score)
    return scored


Related = dict[str, dict[frozenset[str], float]]
# a question word this common (Zipf scale; "happen" 5.2) is not replaced by relatives, and
# a relative may be at most this much commoner than the word (base forms: "rocket" 4.3 ->
# "missile" 4.1 yes; "mediate" 3.1 -> "negotiate" 4.0 no)
COMMON_ZIPF = 5.0
RELATIVE_ZIPF_MARGIN = 0.5


# a question answered yes or no: it opens with an auxiliary verb
_YES_NO_RE = re.compile(
    r"^(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|shall|may"
    r"|might|must)\b",
    re.IGNORECASE,
)


def related_words(question: str, hits: Sequence[Hit], data: IndexData) -> Related:
    """Question tokens that no retrieved passage uses -> the token sets of their WordNet
    relatives that the retrieved passages use, each with how much it counts ("rockets"
    -> {missile}: 0.5, a narrower word; `assistant.synonyms`). Names (capitalised words,
    numbers) are left out: they are matched by name; so are common words ("happen") and
    relatives much commoner than the word they would stand for (see the constants)."""
    terms = question_terms(_FRAME_RE.sub(" ", question))
    absent = [t for t in terms if not t.is_name and t.word.isalpha()]
    present = {tok for hit in hits for tok in tokenize([hit.passage.text])[0]}
    absent = [t for t in absent if not any(k in present for k in t.tokens)]
    if not absent or not hits:
        return {}
    yes_no = bool(_YES_NO_RE.match(question.strip()))
    out: Related = {}
    for term in absent:
        frequency = base_frequency(term.word)
        if frequency >= COMMON_ZIPF:
            continue  # "happen", "say": too many senses to stand for
        # a much commoner word is a vaguer one: "mediate" -> "negotiate"
        alternatives = held_relatives(term.word, present, frequency + RELATIVE_ZIPF_MARGIN)
        if yes_no:  # "Are the talks direct?" is answered by "indirect talks"
            for opposite in default_wordnet().antonyms(term.word):
                tokens = frozenset(tokenize([opposite])[0])
                if tokens and tokens <= present:
                    alternatives[tokens] = ANTONYM
        if alternatives:
            for token in term.tokens:
                out[token] = alternatives
    return out


def held_relatives(
    word: str, held: set[str], most_common: float | None = None
) -> dict[frozenset[str], float]:
    """The token sets of the word's WordNet relatives that `held` holds, each with how
    much it counts; relatives commoner than `most_common` (Zipf) are left out."""
    out: dict[frozenset[str], float] = {}
    for relative, credit in sorted(default_wordnet().related(word).items()):
        if most_common is not None and zipf(relative) > most_common:
            continue
        tokens = frozenset(tokenize([relative])[0])
        if tokens and tokens <= held:
            out[tokens] = max(out.get(tokens, 0.0), credit)
    return out


def related_credit(tokens: Iterable[str], related: Related) -> dict[str, float]:
    """Absent question token -> the most one of its relatives among `tokens` counts."""
    held = set(tokens)
    credit = {}
    for q, alternatives in related.items():
        best = max((c for alt, c in alternatives.items() if alt <= held), default=0.0)
        if best:
            credit[q] = best
    return credit


def with_role_names(
    question: str, texts: Sequence[str], tokens: Sequence[list[str]]
) -> list[list[str]]:
    """Each text's tokens, plus the tokens of a person the question names when the text
    speaks of them by the role the texts give them ("The US president said ..." for
    Trump, beside "President Donald Trump, with the US president confirming ...")."""
    ties = titled_people(texts)
    people = [t for t in question_terms(question) if t.is_name and t.word in ties]
    if not people:
        return list(tokens)
    return [
        toks + [tok for t in people for tok in t.tokens if names_by_role(text, t.word, ties)]
        for text, toks in zip(texts, tokens, strict=True)
    ]


def select_sentences(
    question: str, scored: Sequence[ScoredSentence], config: ComposeConfig
) -> list[ScoredSentence]:
    """The best sentence plus close runners-up that cover question terms it lacks.

    A runner-up must score within `runner_up_margin` of the best sentence, or within
    `adjacent_margin` when it is the neighbour of a chosen sentence (answers that
    continue into the next sentence read as one passage); either way it must add a
    question term not yet covered, unless it is nearly as good as the best.
    """
    if not scored:
        return []
    best = scored[0]
    chosen = [best]
    q_tokens = set(question_tokens(question))
    covered = q_tokens & set(tokenize([best.sentence.text])[0])
    for candidate in scored[1:]:
        if len(chosen) >= config.max_sentences:
            break
        gap = best.score - candidate.score
        if gap > max(config.runner_up_margin, config.adjacent_margin):
            break
        adjacent = any(
            c.sentence.doc_id == candidate.sentence.doc_id
            and abs(c.sentence.sentence_id - candidate.sentence.sentence_id) == 1
            for c in chosen
        )
        if gap > (config.adjacent_margin if adjacent else config.runner_up_margin):
            continue
        new_terms = (q_tokens & set(tokenize([candidate.sentence.text])[0])) - covered
        if new_terms or gap <= config.runner_up_margin / 3:
            chosen.append(candidate)
            covered |= new_terms
    return chosen


def cover_parts(
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    parts: Sequence[str],
    part_vectors: Sequence[Vectors],
    data: IndexData,
    config: ComposeConfig,
) -> list[ScoredSentence]:
    """Add, for each part of a compound question, its best sentence when it is missing."""
    out = list(chosen)
    if not parts or not scored:
        return out
    ids = [s.sentence.sentence_id for s in scored]
    vectors = data.sentence_store.get(ids)
    texts = [s.sentence.text for s in scored]
    plain = tokenize(texts)
    for part, part_vector in zip(parts, part_vectors, strict=True):
        if len(out) >= config.max_sentences:
            break
        s_tokens = with_role_names(part, texts, plain)
        p_tokens = question_tokens(part)
        cosines = vectors @ part_vector.reshape(-1)
        part_scores = [
            float(c) + config.overlap_weight * weighted_overlap(p_tokens, t, data.lexical.idf)
            for c, t in zip(cosines, s_tokens, strict=True)
        ]
        # a part about a person is answered by a sentence about them ("how did Trump
        # describe the talks?" is not answered by Pezeshkian describing them), when any is
        names = {tok for t in question_terms(part) if t.is_name for tok in t.tokens}
        naming = [i for i, t in enumerate(s_tokens) if names and names <= set(t)]
        if naming:
            part_scores = [x if i in naming else -1.0 for i, x in enumerate(part_scores)]
        best = int(np.argmax(part_scores))
        if float(cosines[best]) >= config.part_min_cosine and scored[best] not in out:
            out.append(scored[best])
    return out


_WHOLE = 0.999


def add_bridge(
    question: str,
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    config: ComposeConfig,
) -> list[ScoredSentence]:
    """Multi-hop answers: when the best sentence names something the question does not
    (a bridge: "...by Bad Meets Evil, a duo..."), add the best sentence about it
    ("Bad Meets Evil was formed in 1997"), if it scores within `bridge_margin`."""
    out = list(chosen)
    if not chosen or len(out) >= config.max_sentences:
        return out
    best = chosen[0]
    if best.overlap >= _WHOLE and best.cue > 0:
        return out  # it holds every question word and the kind of answer asked for
    bridges = _bridge_names(question, best.sentence.text)
    if not bridges:
        return out
    for candidate in scored:
        if candidate in out or candidate.score < best.score - config.bridge_margin:
            continue
        if any(name in candidate.sentence.text for name in bridges):
            out.append(candidate)
            break
    return out


def novelty(question_stems: set[str], sentence: str) -> float:
    """Share of the sentence's content words that the question does not use."""
    tokens = tokenize([sentence])[0]
    return sum(t not in question_stems for t in tokens) / len(tokens) if tokens else 0.0


def add_beyond_restatement(
    question: str,
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    config: ComposeConfig,
) -> list[ScoredSentence]:
    """When no chosen sentence says anything the question does not (each has less than
    `restate_novelty` of its content words outside the question: "The album was released
    on July 7, 2017 by Slaughter Gang and Epic Records." for "Who created the album
    released on July 7, 2017 by Slaughter Gang and Epic Records?"), the answer is not
    there yet: add the best sentence of the same document, within `restate_margin`, that
    says something new. The restating sentence stays as the link between the two."""
    out = list(chosen)
    if not chosen or config.restate_novelty <= 0:
        return out
    q = set(tokenize([question])[0])
    if any(novelty(q, c.sentence.text) >= config.restate_novelty for c in chosen):
        return out
    best = chosen[0]
    for candidate in scored:
        if candidate in out:
            continue
        if candidate.score < best.score - config.restate_margin:
            break
        if (
            candidate.sentence.doc_id == best.sentence.doc_id
            and novelty(q, candidate.sentence.text) >= config.restate_novelty
        ):
            out.append(candidate)
            break
    return out


def _bridge_names(question: str, sentence: str) -> list[str]:
    """Names the sentence introduces that the question does not mention."""
    return [n for n in names_in(sentence) if n not in question and len(n) > 2]


def add_continuation(
    question: str, chosen: Sequence[ScoredSentence], scored: Sequence[ScoredSentence]
) -> list[ScoredSentence]:
    """The sentence after the best one, when the answer likely goes on there: it names
    something the best sentence introduced and the question does not ("...theme song for
    the film "Eragon"." -> "Eragon is ... directed by Stefen Fangmeier"), it opens with a
    pronoun that refers back ("It was released in 1976") or with a definite description of
    something the best sentence named ("The episodes revolve around Mac and Bloo" after
    "... producing episodes of ..."), or it holds the expected kind of answer (a person for
    "who", a date for "when") that the best sentence lacks. The two read as one excerpt.
    `scored` may hold the sentence after the retrieved passages (`sentence_outside`).
    (On the HaluEval tuning split: answer in the cited excerpt 0.702 -> 0.764; the
    definite description 0.844 -> 0.846; the sentence outside 0.864 -> 0.865.)"""
    out = list(chosen)
    if not chosen:
        return out
    best = chosen[0].sentence
    following = _sentence_after(chosen[0], scored)
    if following is None or following in out:
        return out
    bridges = _bridge_names(question, best.text)
    text = following.sentence.text
    if (
        any(name in text for name in bridges)
        or _PRONOUN_START.match(text)
        or (chosen[0].cue == 0 and following.cue > 0)
        or _refers_back_by_noun(text, best.text)
    ):
        out.append(following)
    return out


def add_missing_words(
    question: str,
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    idf: Callable[[str], float],
    config: ComposeConfig,
) -> list[ScoredSentence]:
    """The sentence after the run of chosen sentences that holds the best one, when it
    holds question words that the run's document lacks, at least `config.next_new_terms`
    of the question's IDF weight: "The Cyclones play their home games at Jack Trice
    Stadium" after "He played college football at Iowa State." for "... plays their home
    games at what stadium?". (HaluEval tuning split: answer in the cited excerpt 0.865 ->
    0.869; a share of 0.1 to 0.3 gives the same; going on by a second or third sentence
    adds nothing.)"""
    out = list(chosen)
    end = run_end(chosen)
    following = None if end is None else _sentence_after(end, scored)
    if following is None or following in out:
        return out
    best = chosen[0].sentence
    asked = set(question_tokens(question))
    held = tokenize([item.sentence.text for item in out if item.sentence.doc_id == best.doc_id])
    gained = asked.difference(*held) & set(tokenize([following.sentence.text])[0])
    if weighted_overlap(list(asked), list(gained), idf) >= config.next_new_terms:
        out.append(following)
    return out


_DIGITS_RE = re.compile(r"\d[\d,.]*")


def add_beside(
    question: str,
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    config: ComposeConfig,
) -> list[ScoredSentence]:
    """The sentence just before or just after the run of chosen sentences that holds the
    best one, when it is among the `config.beside_rank` best-scored sentences after the
    best one, its cosine is at least `config.beside_min_cosine`, and it adds something
    (`_adds_to`). A multi-hop answer often sits beside the sentence that matches the
    question best: "Logan Wade Lerman ... known for playing the title role in ... 'Percy
    Jackson' films." ranks first, "The film is set mostly in Ohio ..." two sentences on
    ranks second for "In what state is the 2016 film the actor who played the title role
    in Percy Jackson set?". (HaluEval tuning split: answer in the cited excerpt 0.901 ->
    0.913, 2.05 -> 2.09 sentences an answer; the rank and the cosine chosen there.) Not
    when the best sentence holds every question word and the kind of answer asked for:
    "Who described the talks as a step forward?" would get a second person beside
    Pezeshkian (HaluEval unchanged)."""
    out = list(chosen)
    if not chosen or config.beside_rank <= 0:
        return out
    if chosen[0].overlap >= _WHOLE and chosen[0].cue > 0:
        return out  # the best holds every question word and the kind of answer asked for
    asked = set(question_tokens(question))
    held = set().union(*tokenize([c.sentence.text for c in chosen]))
    best = chosen[0].sentence
    run = {c.sentence.sentence_id for c in chosen if c.sentence.doc_id == best.doc_id}
    first = last = best.sentence_id
    while first - 1 in run:
        first -= 1
    while last + 1 in run:
        last += 1
    for item in scored[: config.beside_rank + 1]:
        if (
            item not in out
            and item.sentence.doc_id == best.doc_id
            and item.sentence.sentence_id in (first - 1, last + 1)
            and item.cosine >= config.beside_min_cosine
            and _adds_to(item.sentence.text, question, asked, held, chosen)
        ):
            out.append(item)
    return out


def _adds_to(
    text: str,
    question: str,
    asked: set[str],
    held: set[str],
    chosen: Sequence[ScoredSentence],
) -> bool:
    """The text holds a question word no chosen sentence holds, or a name or number that
    neither the question nor the chosen sentences mention."""
    if (asked - held) & set(tokenize([text])[0]):
        return True
    said = question + " " + " ".join(c.sentence.text for c in chosen)
    return any(name not in said for name in names_in(text)) or any(
        number not in said for number in _DIGITS_RE.findall(text)
    )


def run_end(chosen: Sequence[ScoredSentence]) -> ScoredSentence | None:
    """The last of the chosen sentences that follow the best one without a gap."""
    if not chosen:
        return None
    best = chosen[0].sentence
    run = {c.sentence.sentence_id: c for c in chosen if c.sentence.doc_id == best.doc_id}
    last = best.sentence_id
    while last + 1 in run:
        last += 1
    return run[last]


def _sentence_after(
    item: ScoredSentence, scored: Sequence[ScoredSentence]
) -> ScoredSentence | None:
    return next(
        (
            s
            for s in scored
            if s.sentence.doc_id == item.sentence.doc_id
            and s.sentence.sentence_id == item.sentence.sentence_id + 1
        ),
        None,
    )


def sentence_outside(
    question: str,
    query_vector: Vectors,
    item: ScoredSentence | None,
    scored: Sequence[ScoredSentence],
    data: IndexData,
    config: ComposeConfig,
) -> list[ScoredSentence]:
    """The sentence after `item` when it lies outside the retrieved passages (in the next
    passage of the same document), scored like the others, so that the answer can go on
    into it; [] otherwise."""
    if item is None:
        return []
    sid, pid = item.sentence.sentence_id + 1, item.passage_id + 1
    if any(s.sentence.sentence_id == sid for s in scored) or not (
        sid < len(data.sentences) and pid < len(data.passages)
    ):
        return []
    sentence = data.sentences[sid]
    if sentence.doc_id != item.sentence.doc_id or sid not in data.passages[pid].sentence_ids:
        return []
    cosine = float((data.sentence_store.get([sid]) @ query_vector.reshape(-1))[0])
    overlap = weighted_overlap(
        question_tokens(question), tokenize([sentence.text])[0], data.lexical.idf
    )
    cue = answer_type_cue(answer_type(question), sentence.text, question)
    score = cosine + config.overlap_weight * overlap + config.cue_weight * cue
    return [ScoredSentence(sentence, score, cosine, overlap, cue, pid)]


_DEFINITE_START = re.compile(r"^[“\"']?(?:The|This|These|That|Those)\s+([a-z][\w-]*)")


def _refers_back_by_noun(text: str, previous: str) -> bool:
    """The sentence opens with a definite description of something the previous sentence
    named ("The episodes revolve around Mac and Bloo" after "... producing select
    episodes of ..."), so it goes on about it."""
    match = _DEFINITE_START.match(text)
    if match is None:
        return False
    head = tokenize([match.group(1)])[0]
    return bool(head) and head[0] in set(tokenize([previous])[0])


def _distinct(chosen: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The chosen sentences without repeats of the same text (a paragraph that occurs in
    two documents is cited once)."""
    seen: set[str] = set()
    out = []
    for item in chosen:
        key = " ".join(item.sentence.text.split()).lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def detect_conflicts(
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    data: IndexData,
    config: ComposeConfig,
) -> tuple[list[ScoredSentence], list[tuple[int, int, str]]]:
    """Chosen sentences that disagree with each other or with a top-ranked sentence.

    Returns the chosen sentences plus any top-ranked sentence that contradicts one of
    them (so the reader sees both sides), and the conflicting pairs by sentence id.
    """
    pool = list(chosen) + [s for s in scored[: config.conflict_pool] if s not in chosen]
    if len(pool) < 2:
        return list(chosen), []
    ids = [s.sentence.sentence_id for s in pool]
    vectors = data.sentence_store.get(ids)
    cosines = (vectors @ vectors.T).tolist()
    out = list(chosen)
    pairs: list[tuple[int, int, str]] = []
    for finding in find_conflicts([s.sentence.text for s in pool], cosines):
        first, second = pool[finding.i], pool[finding.j]
        if first not in out and second not in out:
            continue  # neither side is part of the answer
        for side in (first, second):
            if side not in out:
                out.append(side)
        pairs.append((first.sentence.sentence_id, second.sentence.sentence_id, finding.note))
    return out, pairs


def _with_antecedents(
    chosen: Sequence[ScoredSentence], data: IndexData
) -> list[tuple[list[Sentence], ScoredSentence]]:
    """Each chosen sentence with the previous ones while they open with a pronoun (at
    most `_MAX_ANTECEDENTS`), so the excerpt names whom "he" or "it" means."""
    out = []
    for item in chosen:
        group = [item.sentence]
        while len(group) <= _MAX_ANTECEDENTS:
            sid = group[0].sentence_id
            previous = data.sentences[sid - 1] if sid > 0 else None
            if previous is None or previous.doc_id != item.sentence.doc_id:
                break
            if not (
                _PRONOUN_START.match(group[0].text)
                or (_unattributed_quote(group[0].text) and _ATTRIBUTION.search(previous.text))
            ):
                break
            group.insert(0, previous)
        out.append((group, item))
    return out


def _unattributed_quote(text: str) -> bool:
    """A sentence that is all quotation, with no one saying it ("“The Iranian people have
    always responded to respect with respect ...”" after "..., Pezeshkian said.")."""
    stripped = text.strip()
    return (
        stripped[:1] in '“"'
        and stripped[-1:] in '”"'
        and stripped.count("“") + stripped.count('"') <= 2
        and not _ATTRIBUTION.search(stripped)
    )


def build_citations(chosen: Sequence[ScoredSentence], data: IndexData) -> list[Citation]:
    """Merge adjacent sentences into spans, order them as in the documents, number them."""
    spans: dict[str, list[tuple[int, int, float, int]]] = {}
    for group, item in _with_antecedents(chosen, data):
        doc_id = item.sentence.doc_id
        spans.setdefault(doc_id, []).append(
            (group[0].sentence_id, group[-1].sentence_id, item.score, item.passage_id)
        )
    citations: list[Citation] = []
    doc_order = list(spans)  # documents in order of their best sentence
    for doc_id in doc_order:
        merged: list[tuple[int, int, float, int]] = []
        for first, last, score, pid in sorted(spans[doc_id]):
            if merged and first <= merged[-1][1] + 1:
                m_first, m_last, m_score, m_pid = merged[-1]
                merged[-1] = (m_first, max(m_last, last), max(m_score, score), m_pid)
            else:
                merged.append((first, last, score, pid))
        document = data.documents[doc_id]
        for first, last, score, pid in merged:
            start = data.sentences[first].start
            end = data.sentences[last].end
            citations.append(
                Citation(
                    n=len(citations) + 1,
                    doc_id=doc_id,
                    title=document.title,
                    passage_id=pid,
                    start=start,
                    end=end,
                    quote=document.text[start:end],
                    score=round(float(score), 4),
                    dates=tuple(
                        resolve_relative_dates(document.text[start:end], document.published)
                    ),
                )
            )
    return citations


def closest_passages(hits: Sequence[Hit], data: IndexData, count: int) -> list[Citation]:
    """The top passages as citations, for an abstention to show what was found."""
    out: list[Citation] = []
    for hit in hits[:count]:
        p = hit.passage
        document = data.documents[p.doc_id]
        out.append(
            Citation(
                n=len(out) + 1,
                doc_id=p.doc_id,
                title=document.title,
                passage_id=p.passage_id,
                start=p.start,
                end=p.end,
                quote=document.text[p.start : p.end],
                score=round(hit.dense_score, 4),
            )
        )
    return out


def verify_citations(citations: Sequence[Citation], documents: dict[str, Document]) -> None:
    """Raise when any quote differs from its document at its offsets."""
    for c in citations:
        document = documents.get(c.doc_id)
        if document is None or document.text[c.start : c.end] != c.quote:
            raise CitationMismatchError(
                f"citation [{c.n}] does not match {c.doc_id}[{c.start}:{c.end}]; "
                "the index may be corrupt: run `assistant index --force`"
            )


@dataclass(frozen=True, slots=True)
class QuestionTerm:
    """A content word of a question: its stems, its specificity, whether it names something."""

    word: str
    tokens: list[str]
    specificity: float
    is_name: bool


def question_terms(question: str) -> list[QuestionTerm]:
    """Content words of a question, with stop words left out."""
    terms = []
    for i, match in enumerate(re.finditer(r"[\w’'-]+", question)):
        word = match.group().strip("’'-")
        tokens = tokenize([word])[0] if word else []
        if not tokens:
            continue
        is_name = (word[:1].isupper() and i > 0) or any(ch.isdigit() for ch in word)
        terms.append(QuestionTerm(word, tokens, specificity(word, i == 0), is_name))
    return terms


def answer_features(
    question: str,
    hits: Sequence[Hit],
    scored: Sequence[ScoredSentence],
    chosen: Sequence[ScoredSentence],
    data: IndexData,
    related: Related | None = None,
) -> tuple[dict[str, float], list[str]]:
    """Features for the confidence model, and the question words no passage mentions.

    missing_name_frac: share of the question's names (capitalised words, numbers) that
    occur in no passage ("capital of Australia" -> 1.0 on a news corpus);
    missing_word_frac: the same for the other content words, weighted by how specific
    each word is in general English (paraphrases lose little here);
    name_coverage: share of the question's names that the chosen sentences mention
    ("Oman's foreign minister" answered with Iran's foreign minister -> 0.5);
    top_name_coverage: the same for the best sentence alone (a runner-up sentence about
    Oman does not make Iran's minister an answer about Oman's);
    doc_overlap, doc_name_coverage: the overlap and the name share of the best-ranked
    document's retrieved passages together: a question whose answer the corpus holds
    is usually covered by one document, while the pieces of an unanswerable one are
    scattered over several (HaluEval tuning: 0.78 against 0.27 overlap).
    known_overlap, doc_known_overlap: best_overlap and doc_overlap counting only the
    question words that some passage uses (how well the corpus answers the rest of a
    question that names something it never mentions);
    known_matched: how many of those words the chosen sentences hold (the confidence
    model's name gate, `assistant.confidence`).
    Overlap and coverage read the chosen sentences with the antecedents they are cited
    with (`_with_antecedents`).
    """
    q_tokens = question_tokens(question)
    idf = data.lexical.idf
    terms = question_terms(_FRAME_RE.sub(" ", question))
    missing = _missing_terms(terms, data)
    names = [t for t in terms if t.is_name]
    words = [t for t in terms if not t.is_name]
    word_weight = sum(t.specificity for t in words)
    union_tokens: set[str] = set()
    top_doc_tokens: set[str] = set()  # the best-ranked document's retrieved passages
    top_doc_texts: list[str] = []
    related = related or {}
    for hit in hits:
        tokens = tokenize([hit.passage.text])[0]
        union_tokens.update(tokens)
        if hit.passage.doc_id == hits[0].passage.doc_id:
            top_doc_tokens.update(tokens)
            top_doc_texts.append(hit.passage.text)
    # the text that will be cited: a sentence that opens with "He ..." brings the sentence
    # that names him, so "Where did Trump send warships?" is covered by "He ... sending
    # warships" after the sentence about Trump
    groups = [" ".join(s.text for s in group) for group, _ in _with_antecedents(chosen, data)]
    ties = titled_people([s.sentence.text for s in scored] or groups)
    known = [t for t in q_tokens if data.lexical.document_frequency(t) > 0]
    best_text = " ".join(groups)
    best_tokens = tokenize([best_text])[0]
    best_credit = related_credit(best_tokens, related)
    top_text = groups[0] if groups else ""
    features = {
        "top_sentence_cos": max((s.cosine for s in scored), default=0.0),
        "top_passage_cos": max((h.dense_score for h in hits), default=0.0),
        "best_overlap": weighted_overlap(q_tokens, best_tokens, idf, best_credit),
        "union_overlap": weighted_overlap(
            q_tokens, list(union_tokens), idf, related_credit(union_tokens, related)
        ),
        "doc_overlap": weighted_overlap(
            q_tokens, list(top_doc_tokens), idf, related_credit(top_doc_tokens, related)
        ),
        # the same two, of the question words that some passage uses: how well the
        # corpus answers the rest of a question that names something it never mentions
        "known_overlap": weighted_overlap(known, best_tokens, idf),
        "doc_known_overlap": weighted_overlap(known, list(top_doc_tokens), idf),
        "known_matched": float(len(set(known) & set(best_tokens))),
        "missing_name_frac": (sum(t.is_name for t in missing) / len(names) if names else 0.0),
        "missing_word_frac": (
            sum(t.specificity for t in missing if not t.is_name) / word_weight
            if word_weight
            else 0.0
        ),
        "answer_type_cue": max((c.cue for c in chosen), default=0.0),
        "name_coverage": _name_share(best_text, names, ties),
        "top_name_coverage": _name_share(top_text, names, ties),
        "doc_name_coverage": _name_share(" ".join(top_doc_texts), names, ties),
    }
    ranked = sorted(missing, key=lambda t: (not t.is_name, -t.specificity))
    missing_words = list(dict.fromkeys(without_possessive(t.word) for t in ranked))
    return features, missing_words


def _missing_terms(terms: Sequence[QuestionTerm], data: IndexData) -> list[QuestionTerm]:
    """The terms no passage uses (a place counts when one of its aliases is used)."""
    return [
        t
        for t in terms
        if all(data.lexical.document_frequency(tok) == 0 for tok in t.tokens)
        and not any(_in_corpus(alias, data) for alias in place_aliases(t.word))
    ]


def unmatched_names(question: str, data: IndexData) -> list[str]:
    """The question's names (capitalised words, numbers) that no passage mentions."""
    terms = question_terms(_FRAME_RE.sub(" ", question))
    missing = _missing_terms(terms, data)
    return list(dict.fromkeys(without_possessive(t.word) for t in missing if t.is_name))


def _name_share(
    text: str, names: Sequence[QuestionTerm], ties: dict[str, set[tuple[str, str]]]
) -> float:
    """Share of the question's names that the text mentions, by name or by the role the
    passages tie to the name (1.0 without names)."""
    if not names:
        return 1.0
    return sum(names_person(text, t.word, ties) for t in names) / len(names)


def _in_corpus(phrase: str, data: IndexData) -> bool:
    """Every word of the phrase occurs in some passage (stop-word-only phrases: no)."""
    tokens = tokenize([phrase])[0]
    return bool(tokens) and all(data.lexical.document_frequency(t) > 0 for t in tokens)


def _conflicts_between(
    citations: Sequence[Citation], pairs: Sequence[tuple[int, int, str]], data: IndexData
) -> list[Conflict]:
    """Map conflicting sentence ids to the numbers of the citations that hold them."""

    def number(sentence_id: int) -> int | None:
        s = data.sentences[sentence_id]
        for c in citations:
            if c.doc_id == s.doc_id and c.start <= s.start and s.end <= c.end:
                return c.n
        return None

    out = []
    for a, b, note in pairs:
        na, nb = number(a), number(b)
        if na is not None and nb is not None and na != nb:
            out.append(Conflict(min(na, nb), max(na, nb), note))
    return out


_WHO_HOLDS_RE = re.compile(
    r"^\s*(?:who|whom)\s+(?:is|was|are|were)\s+|^\s*what\s+(?:is|was)\s+the\s+names?\s+of\s+",
    re.IGNORECASE,
)


def role_holder(question: str, scored: Sequence[ScoredSentence]) -> ScoredSentence | None:
    """For a question that asks who holds a place's role ("Who is the president of
    Iran?"), the best sentence that names a holder (`place_role_holder`). None when no
    such holder is named or the question asks for more than the holder."""
    focus = _WHO_HOLDS_RE.match(question)
    asked = role_and_place(question)
    if asked is None or focus is None:
        return None
    role, place = asked
    # only a question that asks for the holder and nothing else ("Who is Iran's
    # president?", not "...head coached by this American coach born in what year?")
    rest = question[focus.end() :].strip(" ?")
    if len(rest.split()) > len(role.split()) + len(place.split()) + 2:
        return None
    found = place_role_holder(question, scored)
    return found[0] if found else None


def place_role_holder(
    question: str, scored: Sequence[ScoredSentence]
) -> tuple[ScoredSentence, str] | None:
    """For a question about a place's role ("Iran's president", "the president of
    Iran"), the best sentence that names a holder of the role ("President Masoud
    Pezeshkian ...") whom the passages do not tie to another place, and the holder's
    name as the title gives it. A holder is tied to another place by a title qualified
    with it ("Iranian Foreign Minister Abbas Araghchi" for Oman's), or by sharing a
    sentence with the role qualified by it ("President Donald Trump, with the US
    president confirming ..."). None when no such holder is named."""
    asked = role_and_place(question)
    if asked is None:
        return None
    role, place = asked
    title = re.compile(
        rf"\b{re.escape(role)}\s+(?-i:([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){{0,2}}))", re.I
    )
    holders: list[tuple[ScoredSentence, str]] = []
    for item in scored:
        for match in title.finditer(item.sentence.text):
            before = re.search(r"([\w.’'-]+)\s*$", item.sentence.text[: match.start()])
            qualifier = without_possessive(before.group(1)) if before else ""
            if place_aliases(qualifier) and not same_place(qualifier, place):
                continue
            holders.append((item, match.group(1)))

    def tied_elsewhere(name: str) -> bool:
        surname = name.split()[-1]
        return any(
            surname in s.sentence.text
            and any(q and not same_place(q, place) for q in role_places(role, s.sentence.text))
            for s in scored
        )

    return next(((item, name) for item, name in holders if not tied_elsewhere(name)), None)


def holder_named(question: str, scored: Sequence[ScoredSentence], data: IndexData) -> str | None:
    """The question with the place's role it refers to replaced by the holder the
    passages name (`place_role_holder`): "What did Iran's president say about the
    talks?" -> "What did Masoud Pezeshkian say about the talks?", so that sentences about
    him are scored as about the person asked for. Only a definite reference ("Iran's
    president", "the Iranian president", "the president of Iran"; not "what American
    minister") to a holder whose passage mentions the place: a corpus that names only
    Iran's president says nothing of Egypt's. None when the question names no such role,
    asks who holds it (`role_holder` answers that), or already names the holder."""
    asked = role_and_place(question)
    if asked is None or _WHO_HOLDS_RE.match(question):
        return None
    found = place_role_holder(question, scored)
    if found is None:
        return None
    item, name = found
    if any(part in question for part in name.split()):
        return None
    if not mentions(data.passages[item.passage_id].text, asked[1]):
        return None
    role, place = (re.escape(x) for x in asked)
    phrase = re.compile(
        rf"\b(?:{place}['’]s\s+{role}|the\s+{place}\s+{role}"
        rf"|the\s+{role}\s+of\s+(?:the\s+)?{place})\b",
        re.IGNORECASE,
    )
    renamed, count = phrase.subn(name, question, count=1)
    return renamed if count else None


# What a question asks the value of: "How much sanctions relief ...", "What level of
# uranium enrichment ...", "What is Iran's uranium stockpile?", "What is the GDP of X?"
_AUX = r"(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should|might|may)"
_HOW_MUCH_RE = re.compile(rf"^how\s+much\s+(?P<focus>.+?)\s+{_AUX}\b", re.IGNORECASE)
_MEASURE_OF_RE = re.compile(
    r"^(?:what|which)\s+(?:level|amount|percentage|proportion|share|quantity|degree|rate|"
    rf"volume|size)\s+of\s+(?P<focus>.+?)\s+{_AUX}\b",
    re.IGNORECASE,
)
_HAPPENED_TO_RE = re.compile(
    r"^what\s+(?:has\s+|have\s+|had\s+)?happened\s+to\s+(?:the\s+)?(?P<focus>.+?)"
    r"(?:\s+(?:after|before|during|since|in|on|at|when|following|as)\b.*)?$",
    re.IGNORECASE,
)
_WHAT_IS_RE = re.compile(r"^what\s+(?:is|are|was|were)\s+(?:the\s+|an?\s+)?(?P<focus>.+)$", re.I)
_POSSESSOR_RE = re.compile(r"^(?:[A-Z][\w.’'-]*\s+)*[A-Z][\w.-]*[’']s?\s+(?P<focus>.+)$")
_OF_RE = re.compile(
    r"^(?P<head>.+?)\s+(?:of|for|in|on|at|from|about|between|with|to|by|during|after|before)"
    r"\s+(?:the\s+)?(?P<rest>.+)$"
)
_STRANDED_WORDS = "of for in on at from about between with to by during after before into over"
_STRANDED = frozenset(_STRANDED_WORDS.split())
# nouns that name a slot the answer fills ("the date of", "Parsi's job", "the role of
# Oman"): the passages give the value, rarely the word
_SLOT_WORDS = """name names date day time year month role job title position kind type sort form
    nationality profession occupation career birthdate birthday birthplace age genre
    religion ethnicity origin location place address purpose reason cause meaning
    significance status relationship connection difference similarity goal aim stance view
    views opinion response reaction outcome result effect impact consequence consequences
    topic subject focus point issue main part number amount level share percentage
    capital strategy plan plans approach policy tactic tactics demand demands message
    argument concern concerns criticism warning threat attitude assessment description
    explanation rationale motive motivation intention expectation expectations hope fear
    request proposal offer condition conditions priority priorities background context
    situation news update summary"""
_SLOT_NOUNS = frozenset(_SLOT_WORDS.split())
_MEASURE_WORDS = "level amount number share percentage proportion quantity degree rate volume size"
_MEASURE_NOUNS = frozenset(_MEASURE_WORDS.split())


_NAME_OF_RE = re.compile(r"^\s*what\s+(is|was|are|were)\s+the\s+names?\s+of\s+", re.IGNORECASE)


def _unframed(question: str) -> str:
    """The question without its framing words, spaces collapsed, end punctuation off.
    "What is the name of X" reads as "What is X"."""
    question = _NAME_OF_RE.sub(r"What \1 ", question)
    return re.sub(r"\s+", " ", _FRAME_RE.sub(" ", question)).strip().rstrip("?.! ")


def _owned(focus: str) -> str:
    """A phrase without the name that owns it: "Iran's uranium stockpile" -> "uranium
    stockpile"."""
    owned = _POSSESSOR_RE.match(focus)
    return owned.group("focus") if owned else focus


def absent_focus(question: str, data: IndexData) -> str | None:
    """The thing whose value the question asks for, when no passage mentions it ("How
    much sanctions relief has Washington offered?" over a corpus without "sanctions" or
    "relief"). The answer cannot be in the corpus then, however close the passages are to
    the rest of the question. Only value questions ("how much X", "what level of X",
    "what is [Y's] X [of Y]"); "which X" and "what X did" ask for an instance of X,
    which passages name without the word ("Which news outlet" -> "Al Jazeera")."""
    q = _unframed(question)
    focus: str | None = None
    for pattern in (_HOW_MUCH_RE, _MEASURE_OF_RE, _HAPPENED_TO_RE):
        match = pattern.match(q)
        if match:
            focus = match.group("focus")
            break
    else:
        match = _WHAT_IS_RE.match(q)
        if match:
            focus = match.group("focus")
            focus = _owned(focus)
            of = _OF_RE.match(focus)
            if of:
                head = of.group("head")
                last = head.split()[-1].lower()
                if last in _MEASURE_NOUNS:  # "the level of X": X's value is asked for
                    inner = _OF_RE.match(of.group("rest"))
                    focus = inner.group("head") if inner else of.group("rest")
                elif last in _SLOT_NOUNS:  # "Trump's view on X": X is only the topic
                    return None
                else:
                    focus = head
    if not focus:
        return None
    last = focus.split()[-1].lower()
    if last in _STRANDED or re.search(r"[^e]ed$|^(?:known|seen|done|given|taken|held)$", last):
        # "What is the treaty cited for", "What is Netanyahu's office called": a verb
        # phrase, not a thing
        return None
    words = [w for w in re.findall(r"[\w’'-]+", focus) if not w[:1].isupper()]
    if not words or len(words) > 4 or any(w.lower() in _SLOT_NOUNS for w in words):
        return None
    # the head noun names the thing ("uranium stockpile", "oil prices"); the words before
    # it only narrow it down, so a corpus that says "nuclear" or "oil" still lacks it
    absent = [w for w in words if _absent(w, data)]
    if not absent or words[-1] not in absent:
        return None
    return " ".join(absent)


_WHO_IS_RE = re.compile(
    r"^who\s+(?:is|was|are|were|will\s+be)\s+(?:the\s+|an?\s+)?(?P<focus>.+)$", re.I
)
# words that say which holder of a role is meant without naming a kind of role
_WHICH_HOLDER_WORDS = """current former new present previous then incumbent sitting acting
    outgoing incoming late top main senior chief leading first last next real actual official"""
_WHICH_HOLDER = frozenset(_WHICH_HOLDER_WORDS.split())


def absent_role(
    question: str, data: IndexData, scored: Sequence[ScoredSentence] = ()
) -> str | None:
    """The words that make the role a "who is the X" question asks about a role no
    passage mentions: "Who is the Israeli defense minister?" over a corpus that names
    ministers but never "defense". A word before the role's head noun counts, except
    words that only say which holder is meant ("current", "former"). The head itself
    counts only when no passage uses it and none of the retrieved sentences (`scored`)
    holds a WordNet relative of it: it may be a broader word for a role the passages
    name otherwise ("Who is Israel's leader?" -> "Prime Minister Benjamin Netanyahu",
    "leader" -> "head"), but "Who is Netanyahu's wife?" has nothing to stand for it."""
    q = _unframed(question)
    match = _WHO_IS_RE.match(q)
    if match is None:
        return None
    focus = match.group("focus")
    focus = _owned(focus)
    of = _OF_RE.match(focus)
    if of:
        focus = of.group("head")
    words = re.findall(r"[\w’'-]+", focus)
    if not words or words[-1][:1].isupper() or len(words) > 5:
        return None
    modifiers = [w for w in words[:-1] if not w[:1].isupper() and w.lower() not in _WHICH_HOLDER]
    absent = [w for w in modifiers if _absent(w, data)]
    if absent:
        return " ".join(absent)
    head: str = words[-1]
    if scored and head.lower() not in _SLOT_NOUNS and _absent(head, data):
        held = set(tokenize([" ".join(s.sentence.text for s in scored)])[0])
        # any relative, however common, keeps the question answered here
        if not held_relatives(head, held):
            return head
    return None


# a role held for a place, anywhere in a question: "Israel's defense minister", "the
# Israeli defense minister"; the words between the place and the title say which role
_ROLE_TITLES = (
    "minister ministers president leader secretary spokesman spokeswoman spokesperson "
    "ambassador envoy general commander chief director adviser advisor negotiator mediator"
)
_PLACE_ROLE_RE = re.compile(
    r"(?:\b[A-Z][\w-]*[’']s\s+|\bthe\s+[A-Z][\w-]*\s+)(?P<words>(?:[a-z][\w-]*\s+){1,3})"
    rf"(?:{'|'.join(_ROLE_TITLES.split())})\b"
)


def absent_place_role(question: str, data: IndexData) -> str | None:
    """The words that make a place's role ("What did Israel's defense minister say?")
    a role no passage mentions: a corpus that names ministers but never "defense" says
    nothing of Israel's defense minister. Words that only say which holder is meant
    ("current", "former") never count; "who is the X" questions are `absent_role`'s."""
    match = _PLACE_ROLE_RE.search(_unframed(question))
    if match is None:
        return None
    words = [w for w in match.group("words").split() if w.lower() not in _WHICH_HOLDER]
    absent = [w for w in words if _absent(w, data)]
    return " ".join(absent) or None


def _absent(word: str, data: IndexData) -> bool:
    tokens = tokenize([word])[0]
    return bool(tokens) and all(data.lexical.document_frequency(t) == 0 for t in tokens)


# "What did Trump say about Hamas?", "How did Parsi describe Trump?": what a person said
# about a topic
_SAID_ABOUT_RE = re.compile(
    r"^(?:what|how)\s+(?:did|does|do|has|have|had)\s+(?P<speaker>.+?)\s+(?:(?:say|think|tell|"
    r"claim|warn|write|mean|feel|believe|report|announce|state|note)\s+(?:\w+\s+)?about"
    r"|(?:react|respond|reply)\s+to)\s+(?P<topic>.+?)[?.!]*$",
    re.IGNORECASE,
)
# "What did Araghchi tell Al Jazeera?", "What did Trump say to reporters?": what a person
# told someone
_TOLD_RE = re.compile(
    r"^(?:what|how\s+much)\s+(?:did|does|do|has|have|had)\s+(?P<speaker>.+?)\s+"
    r"(?:tell|say\s+to|write\s+to|explain\s+to)\s+(?P<topic>.+?)[?.!]*$",
    re.IGNORECASE,
)
# a sentence in which someone speaks or takes a stand
_STANCE_WORDS = (
    "described believes believed thinks wants wanted urged urge considered called expressed "
    "confirmed confirming"
)
_STANCE_RE = _verbs_re([*_SPEECH_VERBS, *_STANCE_WORDS.split()], re.IGNORECASE)


def speaker_mismatch(
    question: str, chosen: Sequence[ScoredSentence], scored: Sequence[ScoredSentence],
    data: IndexData,
) -> str | None:  # fmt: skip
    """For "What did <person> say about <topic>?" (or "tell <someone>"), a reason to
    abstain when no chosen sentence (read with its antecedents) has that person speaking,
    by name or by the role the passages give them, and names the topic (or whom they
    told): "What did Trump say about Hamas?" over sentences where Trump speaks and others
    that mention Hamas is not answered, nor "What did Araghchi tell Al Jazeera?" with
    "..., Parsi told Al Jazeera"."""
    match = _SAID_ABOUT_RE.match(question.strip())
    told = match is None
    if told:
        match = _TOLD_RE.match(question.strip())
    if match is None or not chosen:
        return None
    speaker = match.group("speaker")
    people = [n for n in names_in(question) if n in speaker and not place_aliases(n)]
    topic = set(question_tokens(match.group("topic")))
    if not people or not topic:
        return None
    ties = titled_people([s.sentence.text for s in scored])
    topic_names = set(names_in(match.group("topic")))

    def names_speaker(text: str) -> bool:
        return any(names_person(text, name, ties) for name in people)

    def speaks_in(text: str) -> bool:
        # named before a verb of speaking or stance, or just after it ("..., said Trump");
        # not a name the speaker talks about ("Netanyahu believes Iran should end support
        # for ... Hezbollah" is not Hezbollah speaking)
        for verb in _STANCE_RE.finditer(text):
            after = " ".join(text[verb.end() :].split()[:3])
            if names_speaker(text[: verb.start()]) or names_speaker(after):
                return True
        return False

    for group, _ in _with_antecedents(chosen, data):
        for at, sentence in enumerate(group):
            text = sentence.text
            # a quotation with no one saying it is said by the speaker of the sentence
            # before ("“... words of force cannot be tolerated.”" after "..., Pezeshkian said")
            spoken = _STANCE_RE.search(text) or (at > 0 and _unattributed_quote(text))
            if not (spoken and topic & set(tokenize([text])[0])):
                continue
            # the speaker is named here, or earlier in the group when this sentence names
            # no one else ("He said ..." after "Trump ..."; not "..., Parsi told Al Jazeera"
            # after a sentence about Araghchi)
            others = [
                n
                for n in names_in(text)
                if n not in topic_names and not place_aliases(n) and not names_speaker(n)
            ]
            earlier = " ".join(s.text for s in group[:at])
            if speaks_in(text) or (not others and earlier and names_speaker(earlier)):
                return None
    relation = "speaking to" if told else "about"
    return (
        f"the passages do not quote {people[0]} {relation} {match.group('topic').strip()}; "
        "the closest sentences mention them apart"
    )


_COUNT_RE = re.compile(
    r"^(?:\w+\s+){0,3}?(?:how\s+(?:many|much|old)|what\s+(?:number|percentage|proportion)"
    r"|at\s+what\s+age)\b",
    re.IGNORECASE,
)


_AGE_RE = re.compile(r"\b\d{1,3}\b|\b(?:aged?|years? old|born)\b", re.IGNORECASE)


def _cited_text(chosen: Sequence[ScoredSentence], data: IndexData) -> str:
    """The chosen sentences as they would be cited, with their antecedents."""
    return " ".join(s.text for group, _ in _with_antecedents(chosen, data) for s in group)


def lacks_number(question: str, chosen: Sequence[ScoredSentence], data: IndexData) -> bool:
    """A count or amount question ("How many warships did the US send?", "How old is
    Netanyahu?") whose chosen sentences, read with their antecedents, hold no number: the
    passages talk about the thing but do not say how many."""
    match = _COUNT_RE.match(question.strip())
    if not match:
        return False
    text = _cited_text(chosen, data)
    if re.search(r"\bold\b|\bage\b", match.group(), re.IGNORECASE):
        # an age is a count of years, not "the seventh meeting" or "last year"
        return _AGE_RE.search(text) is None
    return _NUMBER_RE.search(text) is None


_DURATION_QUESTION_RE = re.compile(r"^(?:\w+\s+){0,3}?how\s+long\b", re.IGNORECASE)
# a length of time or of something: "for three days", "two weeks", "since 2005", "from
# 1936 to 1938", "for weeks", "6,650 km"
_DURATION_RE = re.compile(
    r"\b(?:\d[\d,.]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"dozens?|hundreds?|thousands?|several|few|many|couple\s+of)\s+(?:more\s+|full\s+)?"
    r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centur(?:y|ies)"
    r"|km|kilomet(?:re|er)s?|miles?|met(?:re|er)s?|feet|foot|ft|inches?|yards?)\b"
    r"|\bfor\s+(?:seconds|minutes|hours|days|weeks|months|years|decades|centuries)\b"
    r"|\bsince\s+(?:\d{4}|last\s+\w+|early|late)\b|\bfrom\s+\d{4}\s+(?:to|until)\s+\d{4}\b"
    r"|\b\d[\d,.]*\s*(?:km|mi|m|ft|cm|mm)\b",
    re.IGNORECASE,
)


def lacks_duration(question: str, chosen: Sequence[ScoredSentence], data: IndexData) -> bool:
    """A "how long" question ("How long did the talks in Oman last?") whose chosen
    sentences, read with their antecedents, give no length of time (or of anything):
    "the final round of talks, which ended in Oman on Friday" does not say how long."""
    if not _DURATION_QUESTION_RE.match(question.strip()):
        return False
    return not _given_with(question, chosen, data, _DURATION_RE)


_CLOCK_QUESTION_RE = re.compile(
    r"^(?:\w+\s+){0,3}?what\s+time\b(?!\s+(?:period|frame|zone|span|of\s+(?:the\s+)?year))",
    re.IGNORECASE,
)
_CLOCK_RE = re.compile(
    r"\b\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\b\.?|o[’']clock)|\b\d{1,2}:\d{2}\b"
    r"|\b(?:noon|midday|midnight|dawn|dusk|sunrise|sunset|morning|afternoon|evening|night)\b",
    re.IGNORECASE,
)


def lacks_clock_time(question: str, chosen: Sequence[ScoredSentence], data: IndexData) -> bool:
    """A "what time" question ("What time did the meeting start?") whose chosen
    sentences, read with their antecedents, give no time of day."""
    if not _CLOCK_QUESTION_RE.match(question.strip()):
        return False
    text = _cited_text(chosen, data)
    return _CLOCK_RE.search(text) is None


# a point in time: a weekday, a month, a year, a decade or century, "last week"
_WHEN_RE = re.compile(
    rf"{_DATE_RE.pattern}|\b(?:decades?|century|centuries|\d{{2,4}}s|\d+(?:st|nd|rd|th)|\d{{3}}"
    r"|AD|BC|BCE|CE)\b"
    r"|\b(?:ago|recently|tonight|spring|summer|autumn|winter)\b",
    re.IGNORECASE,
)


_WHEN_QUESTION_RE = re.compile(
    r"^(?:\w+\s+){0,3}?(?:when\b|(?:in\s+|on\s+)?(?:what|which)\s+(?:date|day|weekday|year|"
    r"month|decade|century)\b)",
    re.IGNORECASE,
)


def lacks_date(question: str, chosen: Sequence[ScoredSentence], data: IndexData) -> bool:
    """A "when" question ("When was the Quincy Institute founded?") whose chosen
    sentences, read with their antecedents, give no point in time: a sentence about the
    institute that says nothing of when does not answer it. Times of day and lengths of
    time have their own rules."""
    if not _WHEN_QUESTION_RE.match(question.strip()):
        return False
    return not _given_with(question, chosen, data, _WHEN_RE)


def _given_with(
    question: str, chosen: Sequence[ScoredSentence], data: IndexData, value: re.Pattern[str]
) -> bool:
    """Whether a chosen sentence, read with its antecedents, holds the value asked for,
    together with the words of what the question asks about that the cited sentences use
    (content words, not names: "rivals" in "How long have the US and Iran been
    rivals?"), so the value is about it: "threatened for weeks" beside a sentence about
    "the rivals" does not say how long they have been rivals. When the cited sentences
    use none of those words (a paraphrase, or dates in parentheses for "died"), the value
    alone counts."""
    names = {tok for t in question_terms(question) if t.is_name for tok in t.tokens}
    framing = {"long", "time", "date", "day", "year", "month", "decad", "centuri"}
    groups = [" ".join(s.text for s in group) for group, _ in _with_antecedents(chosen, data)]
    tokens = [set(tokenize([text])[0]) for text in groups]
    words = (set(question_tokens(question)) - names - framing) & set().union(*tokens)
    return any(
        value.search(text) and (not words or words & held)
        for text, held in zip(groups, tokens, strict=True)
    )


# "Where in Oman ...?", "Which city in Oman ...?", "In what part of Iran ...?": a place
# inside a named one
_FINER_PLACE_RE = re.compile(
    r"\b(?i:where|(?:which|what)\s+(?:city|town|village|port|region|province|district|part|"
    r"area|neighbou?rhood|venue|building|hotel|palace))\s+(?:\w+\s+){0,1}?(?:in|of)\s+"
    r"(?:the\s+)?(?P<place>[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)"
)


_PLACE_NAME_RE = re.compile(
    r"\b(?:in|at|to|from|near)\s+(?:the\s+)?(?:(?:city|town|village|port|region|province|"
    r"district|state|county)\s+of\s+)?(?P<place>[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)"
)


def lacks_finer_place(
    question: str, chosen: Sequence[ScoredSentence], data: IndexData
) -> str | None:
    """For "Where in Oman were the talks held?" or "Which city in Oman hosted them?", the
    place named when the chosen sentences (with their antecedents) name no place but it:
    "talks held in Oman" does not say where in Oman."""
    match = _FINER_PLACE_RE.search(question)
    if match is None or not chosen:
        return None
    place = match.group("place")
    for found in _PLACE_NAME_RE.finditer(_cited_text(chosen, data)):
        if not same_place(found.group("place"), place):
            return None
    return place


# "Did Trump meet Pezeshkian?", "Was Netanyahu in Oman?": a yes/no question about two
# named things; comparisons ("Are both ...", "... or ...") read their names apart
_YES_NO_PAIR_RE = re.compile(
    r"^(?i:did|does|do|has|have|had|is|was|were|are|will|would|can|could)\s+[A-Z]"
)
_COMPARISON_RE = re.compile(
    r"\b(?:both|either|neither|or|and|same|than|also|more|less)\b", re.IGNORECASE
)


def named_apart(
    question: str, chosen: Sequence[ScoredSentence], scored: Sequence[ScoredSentence],
    data: IndexData,
) -> str | None:  # fmt: skip
    """For a yes/no question about two names ("Did Trump meet Pezeshkian?"), a reason to
    abstain when no chosen sentence (read with its antecedents) names both, by name,
    place alias or role: sentences that name them apart do not say whether they met."""
    text = question.strip()
    if not chosen or not _YES_NO_PAIR_RE.match(text) or _COMPARISON_RE.search(text):
        return None
    names = names_in(text)
    if len(names) != 2:
        return None
    ties = titled_people([s.sentence.text for s in scored])
    for group, _ in _with_antecedents(chosen, data):
        joined = " ".join(s.text for s in group)
        if all(names_person(joined, name, ties) for name in names):
            return None
    return f"no passage close to the question names {names[0]} and {names[1]} together"


_EVENTS = (
    "meeting meetings summit visit trip call conversation speech session conference "
    "interview hearing vote election debate ceremony"
)
_EVENT = rf"(?P<event>{'|'.join(_EVENTS.split())})"
_OWNER = r"(?:the|his|her|their|its|this|that|[A-Z][\w.-]*[’']s?)"
# a question that takes the event as over: "What was the outcome of the meeting?", "What
# did Netanyahu say in his meeting with Trump?", "How did the summit go?"
_HELD_EVENT_RES = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"\b(?:outcomes?|results?|conclusions?|upshot)\s+of\s+{_OWNER}\s+(?:\w+\s+){{0,2}}?{_EVENT}\b",
        rf"^(?:\w+\s+){{0,6}}?(?:did|was|were|had)\b.*?\b(?:at|in|during|after)\s+{_OWNER}\s+"
        rf"(?:\w+\s+){{0,2}}?{_EVENT}\b",
        # "What did Netanyahu say after meeting Trump?"
        rf"^(?:\w+\s+){{0,6}}?(?:did|was|were|had)\b.*?\b(?:after|following)\s+{_EVENT}\b",
        rf"^how\s+did\s+{_OWNER}\s+(?:\w+\s+){{0,2}}?{_EVENT}\s+(?:go|end|turn\s+out)\b",
    )
)
# a sentence that speaks of the event as still to come
_AHEAD_RE = re.compile(
    r"\b(?:will|would|shall|planned|plans?|planning|expected|expects?|upcoming|scheduled|"
    r"set\s+to|going\s+to|ahead\s+of|next)\b",
    re.IGNORECASE,
)


def event_ahead(question: str, scored: Sequence[ScoredSentence]) -> str | None:
    """For a question that takes an event as over ("What was the outcome of Netanyahu's
    meeting with Trump?"), the event when every sentence near the question that mentions
    it speaks of it as still to come ("The planned meeting will be the seventh ..."): the
    passages cannot say what happened at it. None otherwise."""
    match = next(filter(None, (r.search(question.strip()) for r in _HELD_EVENT_RES)), None)
    if match is None:
        return None
    event = match.group("event").lower()
    mentions = [
        s.sentence.text
        for s in scored
        if re.search(rf"\b{event}\b", s.sentence.text, re.IGNORECASE)
    ]
    if not mentions or not all(_AHEAD_RE.search(text) for text in mentions):
        return None
    return event


def role_mismatch(question: str, chosen: Sequence[ScoredSentence]) -> str | None:
    """Why the chosen sentences do not answer a question about a place's role: every
    mention of the role in them belongs to another place ("Oman's foreign minister"
    answered with "Iranian Foreign Minister Abbas Araghchi"). None when they may answer."""
    asked = role_and_place(question)
    if asked is None:
        return None
    role, place = asked
    mentions = [q for c in chosen for q in role_places(role, c.sentence.text)]
    if not mentions or any(q is None or same_place(q, place) for q in mentions):
        return None
    others = " and ".join(dict.fromkeys(q for q in mentions if q))
    return f"the passages name only the {others} {role}, not the {role} of {place}"


def cannot_answer(
    question: str,
    chosen: Sequence[ScoredSentence],
    scored: Sequence[ScoredSentence],
    data: IndexData,
    features: dict[str, float],
) -> str | None:
    """The reason of the first rule that says the chosen sentences cannot answer, however
    confident the model is: a role held for another place, a person not quoted on the
    topic, two names of a yes/no question never named together, a count with no number,
    a time of day or a length of time with none given, an event asked about as over that
    the passages speak of as still to come, a "when" with no point in time, a place
    inside a named one with no place there, a value or a role no passage mentions. None
    when none applies."""
    reason = (
        role_mismatch(question, chosen)
        or speaker_mismatch(question, chosen, scored, data)
        or named_apart(question, chosen, scored, data)
    )
    if reason:
        return reason
    for lacks, asked, given in _VALUE_RULES:
        if chosen and lacks(question, chosen, data):
            return _no_value(asked, given, features)
    ahead = event_ahead(question, scored)
    if ahead:
        return (
            f"the passages speak of the {ahead} as still to come, not of what happened at it; "
            f"{_closest(features)}"
        )
    if chosen and lacks_date(question, chosen, data):
        return _no_value("when", "gives a date", features)
    finer = lacks_finer_place(question, chosen, data)
    if finer:
        return (
            f"the question asks where in {finer} and the passages close to it name no place "
            f"there; {_closest(features)}"
        )
    absent = (
        absent_focus(question, data)
        or absent_role(question, data, scored)
        or absent_place_role(question, data)
    )
    if absent:
        return (
            f"no passage mentions “{absent}”, which the question asks about; {_closest(features)}"
        )
    return None


# value rules read in this order: what the question asks for, what no passage gives
_VALUE_RULES = (
    (lacks_number, "for a number", "gives one"),
    (lacks_clock_time, "for a time of day", "gives one"),
    (lacks_duration, "how long", "gives a length of time"),
)


def _no_value(asked: str, given: str, features: dict[str, float]) -> str:
    """The reason of a value rule: "the question asks how long and no passage close to
    it gives a length of time; the closest passage scored 0.53"."""
    return f"the question asks {asked} and no passage close to it {given}; {_closest(features)}"


def _closest(features: dict[str, float]) -> str:
    return f"the closest passage scored {features['top_passage_cos']:.2f}"


def abstain_reason(features: dict[str, float], missing_words: Sequence[str]) -> str:
    """A one-line reason for abstaining, naming what the corpus lacks."""
    closest = _closest(features)
    if missing_words:
        quoted = ", ".join(f"“{w}”" for w in missing_words[:4])
        return f"no passage mentions {quoted}; {closest}"
    return f"{closest} and no sentence states what was asked"


# "Summarize the article", "What is this story about?", "Give me the key points": a
# request for what a document says overall, not for one fact in it
_OVERVIEW_RE = re.compile(
    r"\b(?:summar(?:y|ies|i[sz]e[sd]?|i[sz]ing)|overview|tl;?\s?dr|gist|synopsis|recap"
    r"|main (?:points?|ideas?|topics?|story|message|takeaways?)"
    r"|key (?:points?|facts|takeaways?|messages?))\b"
    r"|\bwhat(?:['’]s| is| are| was| were)\s+(?:the |this |these |that |those |it |they )?"
    r"(?:\w+\s+){0,2}(?:mainly |mostly |all |really )?about\b",
    re.IGNORECASE,
)
# words of such a request that say nothing about *which* content is wanted
_OVERVIEW_WORDS = frozenset(
    tokenize(
        [
            "summary summaries summarize summarise summarized summarised summarizing overview "
            "tldr tl dr gist synopsis recap main key points point ideas idea topics topic story "
            "stories message messages takeaways takeaway facts article articles report reports "
            "document documents text texts piece pieces news corpus source sources give tell "
            "write provide short brief quick quickly please mainly mostly really briefly "
            "explain describe sentence sentences words few paragraph"
        ]
    )[0]
)
_DATE_LINE_RE = re.compile(r"^(?:published|updated|posted|last updated)\b", re.IGNORECASE)


_TITLE_RE = re.compile(r"\b(?:title|headline|heading)s?\b|\b(?:called|named|titled)\b", re.I)
_TITLE_WORDS = frozenset(
    tokenize(["title titles titled headline headlines heading called named"])[0]
)


def is_title_request(question: str) -> bool:
    """Whether the question asks for the document's title ("What is the title of the
    article?", "What's the headline?") and nothing more specific."""
    if not _TITLE_RE.search(question):
        return False
    allowed = _OVERVIEW_WORDS | _TITLE_WORDS
    return not [t for t in question_tokens(question) if t not in allowed]


_DATE_REQUEST_RE = re.compile(r"\b(?:date[ds]?|published|publication|posted|written)\b", re.I)
_WHO_RE = re.compile(r"\bwho(?:m|se)?\b", re.IGNORECASE)
_DATE_REQUEST_WORDS = frozenset(
    tokenize(["date dated dates published publish publication posted post written write when"])[0]
)


def is_date_request(question: str) -> bool:
    """Whether the question asks when the document itself was published ("What is the
    date of the article?", "When was this story published?") and nothing more specific."""
    if not _DATE_REQUEST_RE.search(question) or _WHO_RE.search(question):
        return False  # "... and who wrote it?" asks for an author too
    allowed = _OVERVIEW_WORDS | _DATE_REQUEST_WORDS
    return not [t for t in question_tokens(question) if t not in allowed]


def date_line_answer(
    question: str, hits: Sequence[Hit], data: IndexData, templates: Templates
) -> Answer | None:
    """The date lines ("Published February 9, 2026") of the best-matching documents (up
    to three), cited; None when none of them has one (the question is then answered the
    usual way)."""
    chosen = []
    for doc_id in list(dict.fromkeys(h.passage.doc_id for h in hits))[:3]:
        pid = _first_passage(doc_id, hits, data)
        line = next(
            (sid for sid in data.passages[pid].sentence_ids
             if _DATE_LINE_RE.match(data.sentences[sid].text)),
            None,
        )  # fmt: skip
        if line is not None:
            chosen.append(ScoredSentence(data.sentences[line], 1.0, 1.0, 0.0, 0.0, pid))
    if not chosen:
        return None
    return _about_the_documents(question, chosen, data, templates, "date_line")


def is_overview_request(question: str) -> bool:
    """Whether the question asks what the document(s) say overall ("Summarize the
    article", "What is this story about?") and names nothing more specific ("Summarize
    what Parsi said" is a question about Parsi, answered the usual way)."""
    if not _OVERVIEW_RE.search(question):
        return False
    return not [t for t in question_tokens(question) if t not in _OVERVIEW_WORDS]


def _first_passage(doc_id: str, hits: Sequence[Hit], data: IndexData) -> int:
    """The id of a document's first passage, walking back from one of its retrieved ones."""
    pid = next(h.passage.passage_id for h in hits if h.passage.doc_id == doc_id)
    while pid > 0 and data.passages[pid - 1].doc_id == doc_id:
        pid -= 1
    return pid


def lead_sentences(
    doc_id: str, hits: Sequence[Hit], data: IndexData, count: int
) -> list[tuple[int, int]]:
    """(sentence id, passage id) of the first `count` sentences of a document (its
    headline and lead), date lines ("Published February 9, 2026") left out; found by
    walking back from one of its retrieved passages to its first passage."""
    pid = _first_passage(doc_id, hits, data)
    out: list[tuple[int, int]] = []
    seen: set[int] = set()
    while len(out) < count and pid < len(data.passages) and data.passages[pid].doc_id == doc_id:
        for sid in data.passages[pid].sentence_ids:
            if sid in seen or len(out) >= count:
                continue
            seen.add(sid)
            if not _DATE_LINE_RE.match(data.sentences[sid].text):
                out.append((sid, pid))
        pid += 1
    return out


def overview_answer(
    question: str,
    hits: Sequence[Hit],
    data: IndexData,
    templates: Templates,
    config: ComposeConfig,
    *,
    title_only: bool = False,
) -> Answer:
    """What the best-matching documents are about: each one's headline and lead, cited.
    One document: its first `max_sentences` sentences; several: the first two of each of
    the top three; `title_only`: the first sentence of each (its headline). Confidence
    1.0: the answer is the documents' own summary of themselves, whatever the question's
    wording."""
    doc_ids = list(dict.fromkeys(h.passage.doc_id for h in hits))[:3]
    per_doc = 1 if title_only else config.max_sentences if len(doc_ids) == 1 else 2
    chosen = [
        ScoredSentence(data.sentences[sid], 1.0, 1.0, 0.0, 0.0, pid)
        for doc_id in doc_ids
        for sid, pid in lead_sentences(doc_id, hits, data, per_doc)
    ]
    return _about_the_documents(question, chosen, data, templates, "overview")


def _about_the_documents(
    question: str,
    chosen: Sequence[ScoredSentence],
    data: IndexData,
    templates: Templates,
    kind: str,
) -> Answer:
    """An answer about the documents themselves (their lead, title or date line), cited;
    confidence 1.0 whatever the question's wording."""
    citations = build_citations(chosen, data)
    verify_citations(citations, data.documents)
    body = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(
        question=question,
        answered=True,
        text=templates.answer.safe_substitute(body=body),
        confidence=1.0,
        citations=tuple(citations),
        features={kind: 1.0},
    )


def compose_answer(
    question: str,
    query_vector: Vectors,
    hits: Sequence[Hit],
    data: IndexData,
    model: ConfidenceModel,
    templates: Templates,
    config: ComposeConfig,
    parts: Sequence[str] = (),
    part_vectors: Sequence[Vectors] = (),
) -> Answer:
    """An answer of exact citations, or an abstention with the closest passages.

    `parts` are the standalone parts of a compound question (see `split_compound`)
    with their vectors; each part's best sentence joins the answer.
    """
    if hits and is_title_request(question):
        return overview_answer(question, hits, data, templates, config, title_only=True)
    if hits and is_overview_request(question):
        return overview_answer(question, hits, data, templates, config)
    if hits and is_date_request(question):
        dated = date_line_answer(question, hits, data, templates)
        if dated is not None:
            return dated
    related = related_words(question, hits, data) if config.synonyms else {}
    scored = score_sentences(question, query_vector, hits, data, config, related)
    asked = question
    renamed = holder_named(question, scored, data)
    if renamed is not None:  # the rest reads the question as naming the holder
        question = renamed
        scored = score_sentences(question, query_vector, hits, data, config, related)
    chosen = select_sentences(question, scored, config)
    chosen = cover_parts(chosen, scored, parts, part_vectors, data, config)
    chosen = add_bridge(question, chosen, scored, config)
    best = chosen[0] if chosen else None
    around = [*scored, *sentence_outside(question, query_vector, best, scored, data, config)]
    chosen = add_continuation(question, chosen, around)
    end = run_end(chosen)
    around = [*scored, *sentence_outside(question, query_vector, end, scored, data, config)]
    chosen = add_missing_words(question, chosen, around, data.lexical.idf, config)
    chosen = add_beyond_restatement(question, chosen, scored, config)
    chosen = add_beside(question, chosen, scored, config)
    chosen = _distinct(chosen)
    holder = role_holder(question, scored)
    if holder is not None:
        chosen = [holder]  # the sentence that names the holder answers "who"
    features, missing = answer_features(question, hits, scored, chosen, data, related)
    if holder is not None:
        # the holder was tied to the asked place by the passages, not by naming it
        features["name_coverage"] = features["top_name_coverage"] = 1.0
    chosen, conflict_pairs = detect_conflicts(chosen, scored, data, config)
    confidence = round(model.predict(features), 4)
    mismatch = cannot_answer(asked, chosen, scored, data, features)
    if mismatch:
        confidence = min(confidence, round(config.min_confidence / 2, 4))
    if not chosen or confidence < config.min_confidence:
        closest = closest_passages(hits, data, config.closest_count)
        verify_citations(closest, data.documents)
        reason = mismatch or abstain_reason(features, missing)
        return Answer(
            question=asked,
            answered=False,
            text=templates.abstain.safe_substitute(reason=reason),
            confidence=confidence,
            closest=tuple(closest),
            reason=reason,
            features=features,
        )
    citations = build_citations(chosen, data)
    verify_citations(citations, data.documents)
    conflicts = _conflicts_between(citations, conflict_pairs, data)
    body = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    if conflicts:
        body += " " + templates.conflict.safe_substitute(
            notes="; ".join(f"[{c.a}] and [{c.b}]: {c.note}" for c in conflicts)
        )
    unmatched = unmatched_names(question, data) if features["missing_name_frac"] else []
    if unmatched:
        body += " " + templates.unmatched_note.safe_substitute(
            names=", ".join(f"“{name}”" for name in unmatched)
        )
    resolved = {(d.text.lower(), d.label): d for c in citations for d in c.dates}
    if answer_type(question) == "date" and resolved:
        body += " " + templates.date_note.safe_substitute(
            dates="; ".join(f"“{d.text}” = {d.label}" for d in resolved.values()),
            published=next(iter(resolved.values())).derived_from.split()[-1],
        )
    return Answer(
        question=asked,
        answered=True,
        text=templates.answer.safe_substitute(body=body),
        confidence=confidence,
        citations=tuple(citations),
        conflicts=tuple(conflicts),
        features=features,
    )
