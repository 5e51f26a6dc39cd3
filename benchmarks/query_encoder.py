"""Query encoders against the torch fp32 model: do rankings and answers stay the same?

    .venv/bin/python benchmarks/query_encoder.py

Compares `ASSISTANT_QUERY_ENCODER=onnx` (the default: the fp32 weights run by ONNX
Runtime) and `int8` (the packaged int8 ONNX MiniLM) with `fp32` (torch through
sentence-transformers), over the HaluEval report questions and the benchmark index (built
by halueval.py), and over the seed gold questions: top-1 agreement and overlap@10 of the
dense ranking, the share of questions whose final answer (cited spans, or abstention) is
identical, the largest vector difference, and the single-query encoding time of each.
Writes benchmarks/results/query_encoder.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.pipeline import Assistant  # noqa: E402
from assistant.search.embed import SentenceTransformerEmbedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.halueval_data import CACHE, build_corpus  # noqa: E402

ENCODERS = ("onnx", "int8")


def _answer_key(bot: Assistant, question: str) -> tuple[object, ...]:
    answer = bot.ask(question)
    return (answer.answered, tuple((c.doc_id, c.start, c.end) for c in answer.citations))


def compare(index_dir: Path, questions: list[str]) -> dict[str, dict[str, float]]:
    """Agreement of each encoder with torch fp32 on one index."""
    fp32 = SentenceTransformerEmbedder()
    settings = Settings(index_dir=index_dir)
    bots = {
        name: Assistant.from_settings(
            settings.model_copy(update={"query_encoder": name}), fp32, check_corpus=False
        )
        for name in ("fp32", *ENCODERS)
    }
    store = bots["fp32"].data.passage_store
    rows: dict[str, dict[str, float]] = {}
    for name in ENCODERS:
        encoders = {"fp32": fp32, name: bots[name].query_embedder}
        top1 = overlap = same_answer = gap = 0.0
        times: dict[str, list[float]] = {"fp32": [], name: []}
        for q in questions:
            vectors = {}
            for label, encoder in encoders.items():
                started = time.perf_counter()
                vectors[label] = encoder.encode([q])
                times[label].append((time.perf_counter() - started) * 1000)
            gap = max(gap, float(np.abs(vectors["fp32"] - vectors[name]).max()))
            a = [row for row, _ in store.search(vectors["fp32"][0], 10)]
            b = [row for row, _ in store.search(vectors[name][0], 10)]
            top1 += a[0] == b[0]
            overlap += len(set(a) & set(b)) / 10
            same_answer += _answer_key(bots["fp32"], q) == _answer_key(bots[name], q)
        n = len(questions)
        rows[name] = {
            "questions": n,
            "top1_agreement": round(top1 / n, 4),
            "overlap_at_10": round(overlap / n, 4),
            "same_answer": round(same_answer / n, 4),
            "max_vector_gap": float(f"{gap:.2g}"),
            "fp32_encode_p50_ms": round(statistics.median(times["fp32"]), 2),
            "encode_p50_ms": round(statistics.median(times[name]), 2),
        }
    return rows


def main() -> None:
    """Run on both corpora and write the table."""
    gold = yaml.safe_load((ROOT / "evals" / "gold.yaml").read_text(encoding="utf-8"))
    seed_questions = [c["question"] for c in gold["cases"] if c.get("question")]
    report = [c.question for c in build_corpus().report]
    results = {
        "seeds": compare(ROOT / "index", seed_questions),
        "halueval_report": compare(CACHE / "halueval-index-1000-1000-late", report),
    }
    print(
        "| corpus | encoder | questions | top-1 same | overlap@10 | same answer "
        "| max vector gap | torch fp32 ms | encoder ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for corpus, rows in results.items():
        for name, r in rows.items():
            print(
                f"| {corpus} | {name} | {r['questions']} | {r['top1_agreement']} | "
                f"{r['overlap_at_10']} | {r['same_answer']} | {r['max_vector_gap']} | "
                f"{r['fp32_encode_p50_ms']} | {r['encode_p50_ms']} |"
            )
    out = ROOT / "benchmarks" / "results" / "query_encoder.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
