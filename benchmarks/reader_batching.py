"""Does batching passages into one reader call save work on this CPU?

    .venv/bin/python benchmarks/reader_batching.py

The shipped reader runs each (question, passage) pair as its own unpadded call on one
thread. Batching across requests would pay only if one call over B padded pairs costs
less than B single calls. This reads the seed passages against the gold questions both
ways, one thread, and prints and writes benchmarks/results/reader_batching.json: ms per
pair one by one, ms per pair batched (length-sorted, padded), and the ratio.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.answer.reader import OnnxReader  # noqa: E402
from assistant.corpus.chunk import chunk_documents  # noqa: E402
from assistant.corpus.ingest import load_corpus  # noqa: E402
from assistant.settings import Settings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "reader_batching.json"


def pairs(tokenizer: Any) -> list[Any]:
    """Encodings of every gold question against every seed passage."""
    settings = Settings()
    chunked = chunk_documents(
        load_corpus(ROOT / "seeds"), settings.passage_max_chars, settings.passage_overlap_sentences
    )
    passages = [p.text for p in chunked.passages]
    gold = yaml.safe_load((ROOT / "evals" / "gold.yaml").read_text(encoding="utf-8"))
    questions = [c["question"] for c in gold["cases"] if "question" in c][:8]
    return [e for q in questions for e in tokenizer.encode_batch([(q, p) for p in passages])]


def main() -> None:
    """Time both ways at several batch sizes; print and write the figures."""
    reader = OnnxReader(workers=1)
    session = reader._session  # one intra-op thread, as the shipped reader runs
    encodings = pairs(reader._tokenizer)

    def run(batch: list[Any]) -> None:
        width = max(len(e.ids) for e in batch)
        ids = np.zeros((len(batch), width), np.int64)
        mask, types = np.zeros_like(ids), np.zeros_like(ids)
        for k, e in enumerate(batch):
            ids[k, : len(e.ids)], mask[k, : len(e.ids)] = e.ids, 1
            types[k, : len(e.ids)] = e.type_ids
        session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})

    for e in encodings[:3]:
        run([e])  # warm up
    rows = []
    for size in (1, 2, 4, 8, 16):
        groups = [
            sorted(encodings[i : i + size], key=lambda e: len(e.ids))
            for i in range(0, len(encodings) - size + 1, size)
        ][:6]
        single, batched = [], []
        for _ in range(3):
            for group in groups:
                started = time.perf_counter()
                for e in group:
                    run([e])
                single.append((time.perf_counter() - started) / size)
                started = time.perf_counter()
                run(group)
                batched.append((time.perf_counter() - started) / size)
        row = {
            "batch": size,
            "ms_per_pair_one_by_one": round(1000 * float(np.median(single)), 2),
            "ms_per_pair_batched": round(1000 * float(np.median(batched)), 2),
        }
        row["batched_over_one_by_one"] = round(
            row["ms_per_pair_batched"] / row["ms_per_pair_one_by_one"], 3
        )
        rows.append(row)
        print(row, flush=True)
    tokens = [len(e.ids) for e in encodings]
    result = {
        "machine": f"{platform.machine()}, {platform.python_version()}, one thread",
        "pairs": len(encodings),
        "tokens_per_pair_median": int(np.median(tokens)),
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
