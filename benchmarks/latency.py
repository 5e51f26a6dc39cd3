"""`/v1/ask` latency over HTTP at 1, 4 and 16 concurrent clients, beside the floor.

    .venv/bin/python benchmarks/latency.py [--index seeds=index] [--index news10k=.cache/...]
        [--server-env ASSISTANT_PASSAGE_MAX_CHARS=300 ...] [--out latency.json]

For each index: starts `assistant serve --no-corpus-check` on a loopback port (rate limit
off), sends `--requests` questions at each concurrency and reports p50/p95/p99. The floor
is query encoding + the FAISS search alone, in this process, for the same questions.
Writes benchmarks/results/latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving import running_server  # noqa: E402


def _questions(name: str, count: int) -> list[str]:
    if name == "seeds":
        import yaml

        gold = yaml.safe_load((ROOT / "evals" / "gold.yaml").read_text(encoding="utf-8"))
        return [c["question"] for c in gold["cases"] if c.get("question")]
    from benchmarks.halueval_data import build_corpus

    return [c.question for c in build_corpus().report[:count]]


def _pcts(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


async def _load(
    base: str,
    questions: list[str],
    clients: int,
    total: int,
    pipeline: list[float] | None = None,
    reading: list[float] | None = None,
) -> list[float]:
    """Latencies over HTTP; `pipeline` collects the server's own `latency_ms`, `reading`
    its reader's share (`timings_ms.read`)."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for i in counter:
                started = time.perf_counter()
                r = await client.post("/v1/ask", json={"question": questions[i % len(questions)]})
                r.raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
                if pipeline is not None:
                    pipeline.append(r.json()["latency_ms"])
                if reading is not None:
                    reading.append(r.json()["timings_ms"].get("read", 0.0))

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


def _floor(index_dir: Path, questions: list[str], encoder: str) -> dict[str, float]:
    """Query encoding (the server's encoder) + the vector search alone, in this process."""
    from assistant.search.embed import SentenceTransformerEmbedder
    from assistant.search.query_encoder import query_embedder_for
    from assistant.search.store import load_index

    data = load_index(index_dir)
    embedder = query_embedder_for(SentenceTransformerEmbedder(), encoder)
    times = []
    for q in questions * 2:
        started = time.perf_counter()
        vector = embedder.encode([q])
        data.passage_store.search(vector[0], 50)
        times.append((time.perf_counter() - started) * 1000)
    return _pcts(times)


def main() -> None:
    """Measure every index given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", action="append", default=None, help="name=index_dir")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        help="KEY=VALUE for the server, e.g. ASSISTANT_PASSAGE_MAX_CHARS=300 (repeatable)",
    )
    parser.add_argument("--out", default="latency.json", help="file in benchmarks/results/")
    args = parser.parse_args()
    targets = args.index or ["seeds=index"]
    rows = []
    for target in targets:
        name, folder = target.split("=", 1)
        questions = _questions(name, 200)
        env = {"ASSISTANT_RATE_LIMIT": "", "ASSISTANT_INDEX_DIR": folder}
        env.update(item.split("=", 1) for item in args.server_env)
        encoder = env.get("ASSISTANT_QUERY_ENCODER", "onnx")
        floor = _floor(Path(folder), questions, encoder)
        with running_server(env, "--no-corpus-check") as (base, health):
            asyncio.run(_load(base, questions, 4, 20))  # warm-up
            one_client = None
            for clients in (1, 4, 16):
                pipeline: list[float] = []
                reading: list[float] = []
                started = time.perf_counter()
                latencies = asyncio.run(
                    _load(base, questions, clients, args.requests, pipeline, reading)
                )
                seconds = time.perf_counter() - started
                p50 = _pcts(latencies)["p50"]
                one_client = one_client or p50
                row = {
                    "index": name,
                    "passages": health["passages"],
                    "vector_index": health["vector_index"],
                    "query_encoder": encoder,
                    "clients": clients,
                    **_pcts(latencies),
                    "answers_per_s": round(len(latencies) / seconds, 1),
                    "pipeline_p50": _pcts(pipeline)["p50"],
                    "read_p50": _pcts(reading)["p50"],
                    "floor_p50": floor["p50"],
                    "p50_over_floor": round(p50 / floor["p50"], 2),
                    "p50_over_one_client": round(p50 / one_client, 2),
                }
                rows.append(row)
                print(row, flush=True)
    print(
        "\n| index | passages | clients | answers/s | p50 ms | p95 ms | p99 ms "
        "| server-side p50 ms | reader p50 ms | floor p50 ms | p50 / floor | p50 / 1 client |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['index']} | {r['passages']:,} | {r['clients']} | {r['answers_per_s']} | "
            f"{r['p50']} | {r['p95']} | {r['p99']} | {r['pipeline_p50']} | {r['read_p50']} | "
            f"{r['floor_p50']} | {r['p50_over_floor']} | {r['p50_over_one_client']} |"
        )
    out = ROOT / "benchmarks" / "results" / args.out
    out.write_text(
        json.dumps(
            {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "rows": rows}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
