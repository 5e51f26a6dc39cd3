"""Read: a trained extractive reader scores answer spans in passages, and "no answer".

The model (`assistant/models/reader/`, trained by `training/train_reader.py`, see its
MODEL_CARD.md) is the packaged all-MiniLM-L6-v2 fine-tuned SQuAD 2.0 style: start and
end logits over the passage's tokens, [CLS] standing for "no answer", and an answerable
logit on [CLS]. It runs as int8 ONNX through onnxruntime; the tokenizer is the packaged
MiniLM's `tokenizer.json`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.errors import ModelUnavailableError
from assistant.search.query_encoder import cpu_session

MODEL_DIR = Path(__file__).with_name("models") / "reader"
MAX_TOKENS = 256  # question + passage, as trained
MAX_ANSWER_TOKENS = 30


@dataclass(frozen=True, slots=True)
class Reading:
    """The reader's view of one passage: its best span and the scores around it.

    `start`/`end` are character offsets into the passage text; `span_score` is the
    span's start + end logit, `null_score` the same for [CLS] ("no answer"), and
    `answerable` the answerable head's logit."""

    start: int
    end: int
    span_score: float
    null_score: float
    answerable: float

    @property
    def margin(self) -> float:
        """How far the best span beats "no answer" (the SQuAD 2.0 decision score)."""
        return self.span_score - self.null_score


class Reader(Protocol):
    """Anything that reads passages for a question."""

    name: str

    def read(
        self, question: str, passages: Sequence[str], spans: int = 1
    ) -> list[tuple[Reading, ...]]:
        """Per passage, in order, its best `spans` non-overlapping spans, best first."""
        ...


class OnnxReader:
    """The shipped reader: int8 ONNX on the CPU.

    Each passage is one single-threaded model call, run in a pool of `workers` threads
    shared by all requests: on two cores that beats one padded batch on two intra-op
    threads (small int8 matrix products parallelise poorly inside one call; seeds, 16
    concurrent askers in one process: 22 answers/s against 18.5), and concurrent requests
    queue for the cores instead of oversubscribing them."""

    def __init__(self, model_dir: Path = MODEL_DIR, workers: int | None = None) -> None:
        model = model_dir / "reader.int8.onnx"
        tokenizer = model_dir / "tokenizer.json"
        if not model.is_file() or not tokenizer.is_file():
            raise ModelUnavailableError(
                f"the reader model is missing from {model_dir} (reader.int8.onnx, "
                "tokenizer.json): reinstall the package, or train it with "
                "`python -m training.train_reader`"
            )
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
        self._tokenizer.no_padding()
        self.workers = workers or max(1, min(8, _usable_cores()))
        self._session: Any = cpu_session(model, threads=1)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="reader")
        digest = hashlib.sha256(model.read_bytes()).hexdigest()[:12]
        self.name = f"reader-minilm-int8-{digest}"

    def read(
        self, question: str, passages: Sequence[str], spans: int = 1
    ) -> list[tuple[Reading, ...]]:
        """Score every passage against the question; per passage its best `spans`
        non-overlapping spans, best first."""
        encodings = self._tokenizer.encode_batch([(question, p) for p in passages])
        futures = [self._pool.submit(self._read_one, e, spans) for e in encodings]
        return [f.result() for f in futures]

    def _read_one(self, enc: Any, spans: int) -> tuple[Reading, ...]:
        """One model call over one question + passage pair, unpadded, so its scores do
        not depend on what else is read with it (int8 activations are quantised per
        call)."""
        ids = np.array([enc.ids], dtype=np.int64)
        types = np.array([enc.type_ids], dtype=np.int64)
        context = np.array([s == 1 for s in enc.sequence_ids])
        start, end, answerable = self._session.run(
            None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": types}
        )
        null = float(start[0, 0] + end[0, 0])
        return tuple(
            Reading(
                start=int(enc.offsets[i][0]),
                end=int(enc.offsets[j][1]),
                span_score=score,
                null_score=null,
                answerable=float(answerable[0]),
            )
            for i, j, score in best_spans(start[0], end[0], context, spans)
        )


def _usable_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def best_spans(
    start: np.ndarray, end: np.ndarray, context: np.ndarray, count: int = 1
) -> list[tuple[int, int, float]]:
    """The `count` best token pairs i <= j < i + MAX_ANSWER_TOKENS inside the passage by
    start[i] + end[j], each overlapping none before it (at least one is returned)."""
    s = np.where(context, start, -np.inf)
    e = np.where(context, end, -np.inf)
    scores = s[:, None] + e[None, :]
    n = len(s)
    rows, cols = np.indices((n, n))
    scores[(cols < rows) | (cols >= rows + MAX_ANSWER_TOKENS)] = -np.inf
    out: list[tuple[int, int, float]] = []
    while len(out) < count:
        i, j = divmod(int(np.argmax(scores)), n)
        if out and not np.isfinite(scores[i, j]):
            break
        out.append((i, j, float(scores[i, j])))
        scores[(rows <= j) & (cols >= i)] = -np.inf  # no span overlapping this one
    return out


class LexicalReader:
    """A deterministic stand-in for tests: the best span is the passage's last word that
    the question shares, scored by the share of question words the passage holds (no
    model, same interface)."""

    name = "lexical-reader"

    def read(
        self, question: str, passages: Sequence[str], spans: int = 1
    ) -> list[tuple[Reading, ...]]:
        """One reading per passage (`spans` is ignored: one span each)."""
        words = {w.lower().strip("?.,") for w in question.split() if len(w) > 3}
        out: list[tuple[Reading, ...]] = []
        for text in passages:
            tokens = [(m, m.group().lower()) for m in _WORD.finditer(text)]
            shared = [m for m, w in tokens if w in words]
            share = len({m.group().lower() for m in shared}) / max(1, len(words))
            if shared:
                begin, finish = shared[-1].start(), shared[-1].end()
            else:
                begin, finish = 0, min(len(text), 1)
            out.append((Reading(begin, finish, 10 * share, 5.0, 10 * share - 5),))
        return out


_WORD = re.compile(r"[\w’'-]+")


def load_reader(model_dir: Path | None = None) -> OnnxReader:
    """The reader in `model_dir` (the shipped one when None), loaded once per process."""
    return _load_cached((model_dir or MODEL_DIR).resolve())


@lru_cache(maxsize=2)
def _load_cached(model_dir: Path) -> OnnxReader:
    return OnnxReader(model_dir)
