"""int8 ONNX query encoding against fp32: do rankings and answers stay the same?

    .venv/bin/python benchmarks/query_encoder.py

Over the HaluEval report questions and the benchmark index (built by halueval.py), and
over the seed gold questions: top-1 agreement and overlap@10 of the dense ranking, the
share of questions whose final answer (cited spans, or abstention) is identical, and the
single-query encoding time of each. Writes benchmarks/results/query_encoder.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.embed import OnnxInt8QueryEmbedder, SentenceTransformerEmbedder  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.halueval_data import CACHE, build_corpus  # noqa: E402


def _answer_key(bot: Assistant, question: str) -> tuple[object, ...]:
    answer = bot.ask(question)
    return (answer.answered, tuple((c.doc_id, c.start, c.end) for c in answer.citations))


def compare(index_dir: Path, questions: list[str], check_corpus: bool) -> dict[str, float]:
    """Agreement of the two encoders on one index."""
    fp32 = SentenceTransformerEmbedder()
    int8 = OnnxInt8QueryEmbedder()
    settings = Settings(index_dir=index_dir)
    bot_fp32 = Assistant.from_settings(settings, fp32, check_corpus=check_corpus)
    bot_int8 = Assistant.from_settings(
        settings.model_copy(update={"query_encoder": "int8"}), fp32, check_corpus=check_corpus
    )
    store = bot_fp32.data.passage_store
    top1 = overlap = same_answer = 0.0
    times: dict[str, list[float]] = {"fp32": [], "int8": []}
    for q in questions:
        vectors = {}
        for name, encoder in (("fp32", fp32), ("int8", int8)):
            started = time.perf_counter()
            vectors[name] = encoder.encode([q])
            times[name].append((time.perf_counter() - started) * 1000)
        a = [row for row, _ in store.search(vectors["fp32"][0], 10)]
        b = [row for row, _ in store.search(vectors["int8"][0], 10)]
        top1 += a[0] == b[0]
        overlap += len(set(a) & set(b)) / 10
        same_answer += _answer_key(bot_fp32, q) == _answer_key(bot_int8, q)
    n = len(questions)
    return {
        "questions": n,
        "top1_agreement": round(top1 / n, 4),
        "overlap_at_10": round(overlap / n, 4),
        "same_answer": round(same_answer / n, 4),
        "fp32_encode_p50_ms": round(statistics.median(times["fp32"]), 2),
        "int8_encode_p50_ms": round(statistics.median(times["int8"]), 2),
    }


def main() -> None:
    """Run on both corpora and write the table."""
    gold = yaml.safe_load((ROOT / "evals" / "gold.yaml").read_text(encoding="utf-8"))
    seed_questions = [c["question"] for c in gold["cases"] if c.get("question")]
    report = [c.question for c in build_corpus().report]
    rows = {
        "seeds": compare(ROOT / "index", seed_questions, check_corpus=False),
        "halueval_report": compare(CACHE / "halueval-index-1000-1000", report, False),
    }
    print("| corpus | questions | top-1 same | overlap@10 | same answer | fp32 ms | int8 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['questions']} | {r['top1_agreement']} | {r['overlap_at_10']} | "
            f"{r['same_answer']} | {r['fp32_encode_p50_ms']} | {r['int8_encode_p50_ms']} |"
        )
    out = ROOT / "benchmarks" / "results" / "query_encoder.json"
    out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
