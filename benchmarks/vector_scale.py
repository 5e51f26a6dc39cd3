"""Vector store at scale: exact (flat) vs HNSW, as the store builds them.

    .venv/bin/python benchmarks/vector_scale.py [--sizes 100000,1000000] [--queries 200]

Vectors are 384-d, clustered (2,000 Gaussian clusters on the unit sphere, then
normalised): i.i.d. random vectors make recall tests meaningless. Queries are
perturbed copies of stored vectors. For each size: build time, index memory, single-query
latency p50/p95 (one query at a time), recall@10 of HNSW against the exact scan.
Writes benchmarks/results/vector_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.search.vectors import build_faiss_index

ROOT = Path(__file__).resolve().parents[1]


def clustered(n: int, dim: int = 384, clusters: int = 2000, seed: int = 0) -> np.ndarray:
    """Unit vectors around random centres, like embeddings of topical text."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        block = centres[rng.integers(0, clusters, m)] + 0.6 * rng.standard_normal((m, dim)).astype(
            np.float32
        )
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _latency(index: object, queries: np.ndarray) -> tuple[float, float, np.ndarray]:
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        _, rows = index.search(q.reshape(1, -1), 10)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
        found.append(rows[0])
    return float(np.percentile(times, 50)), float(np.percentile(times, 95)), np.array(found)


def main() -> None:
    """Measure and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--ef", default="", help="more HNSW efSearch values to measure, e.g. 192,384"
    )
    args = parser.parse_args()
    extra_ef = [int(x) for x in args.ef.split(",") if x]
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        vectors = clustered(n)
        rng = np.random.default_rng(1)
        picks = rng.integers(0, n, args.queries)
        queries = vectors[picks] + 0.05 * rng.standard_normal((args.queries, 384)).astype(
            np.float32
        )
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        results = {}
        for kind, threshold in (("flat", n + 1), ("hnsw", 0)):
            started = time.perf_counter()
            index = build_faiss_index(vectors, hnsw_min_vectors=threshold)
            build = time.perf_counter() - started
            p50, p95, found = _latency(index, queries)
            results[kind] = (build, p50, p95, found)
            import faiss

            size_mb = len(faiss.serialize_index(index)) / 1e6
            rows.append(
                {
                    "vectors": n,
                    "index": kind,
                    "build_s": round(build, 1),
                    "size_mb": round(size_mb, 1),
                    "p50_ms": round(p50, 3),
                    "p95_ms": round(p95, 3),
                }
            )
            if kind == "hnsw":
                for ef in extra_ef:
                    index.hnsw.efSearch = ef  # type: ignore[attr-defined]
                    p50, p95, found = _latency(index, queries)
                    results[f"hnsw-ef{ef}"] = (0.0, p50, p95, found)
                    rows.append(
                        {**rows[-1], "index": f"hnsw efSearch {ef}", "build_s": 0.0}
                        | {"p50_ms": round(p50, 3), "p95_ms": round(p95, 3)}
                    )
            del index
        truth = results["flat"][3]
        for row, result in zip(rows[-len(results) :], results.values(), strict=True):
            row["recall@10"] = round(
                float(
                    np.mean(
                        [len(set(t) & set(a)) / 10 for t, a in zip(truth, result[3], strict=True)]
                    )
                ),
                4,
            )
            print(row, flush=True)
    print("\n| vectors | index | build s | size MB | p50 ms | p95 ms | recall@10 |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['vectors']:,} | {r['index']} | {r['build_s']} | {r['size_mb']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['recall@10']} |"
        )
    out = ROOT / "benchmarks" / "results" / "vector_scale.json"
    out.write_text(
        json.dumps(
            {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "rows": rows}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
