"""Load run on loopback: N concurrent clients against /v1/ask for a fixed time.

    .venv/bin/python benchmarks/load.py [--clients 50] [--seconds 60]

Starts `assistant serve` over the seeds index on a free loopback port (rate limit off),
then runs the clients (httpx, asyncio) for the given time, each asking questions in turn.
Prints and writes benchmarks/results/load.json: requests, errors, throughput, p50/p95/p99.
Bounded in count and time; it only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.serving import running_server

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "Where were the talks held?",
    "Who is Iran's foreign minister?",
    "What does Araghchi call the missile program?",
    "How did Pezeshkian describe the talks?",
    "What is the capital of Australia?",
    "What did Trump say about the final round of talks?",
    "Who is Trita Parsi?",
    "What did Trump threaten to do?",
]


async def _client(
    base: str, deadline: float, latencies: list[float], errors: list[str], offset: int
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        i = offset
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                r = await client.post("/v1/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                if r.status_code != 200:
                    errors.append(f"HTTP {r.status_code}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            latencies.append((time.perf_counter() - started) * 1000)
            i += 1


async def _run(base: str, clients: int, seconds: float) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(_client(base, deadline, latencies, errors, k) for k in range(clients)))
    return latencies, errors, time.monotonic() - started


def main() -> None:
    """Start the server, load it, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    env = {"ASSISTANT_RATE_LIMIT": "", "ASSISTANT_LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    with running_server(env) as (base, _):
        latencies, errors, elapsed = asyncio.run(_run(base, args.clients, args.seconds))
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    result = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    print("| clients | seconds | requests | errors | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {result['clients']} | {result['seconds']} | {result['requests']} | "
        f"{result['errors']} | {result['throughput_rps']} | {result['p50_ms']} | "
        f"{result['p95_ms']} | {result['p99_ms']} |"
    )
    out = ROOT / "benchmarks" / "results" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
