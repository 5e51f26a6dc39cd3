"""Misspelt questions over the seed corpus: the gold set with one typo a question, with and
without the spelling stage (`ASSISTANT_SPELLING`).

    .venv/bin/python benchmarks/typos.py      # writes benchmarks/results/typos-seed.json

Each single-turn gold question gets its most specific word misspelt the way
`benchmarks/halueval.py --typos` does it (two neighbouring inner letters swapped:
"Netanyahu" -> "Netanyhau"). An answerable case is right when every fact is inside the
cited quotes; an unanswerable one when the assistant abstains. The HaluEval figures come
from `benchmarks/halueval.py --split report --typos`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.corpus.ingest import load_corpus  # noqa: E402
from assistant.evals.evaluate import load_gold  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from assistant.search.embed import SentenceTransformerEmbedder  # noqa: E402
from assistant.search.indexing import build_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.halueval import with_typo  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    """Run both settings over the misspelt gold questions; print and write the table."""
    gold = load_gold(ROOT / "evals" / "gold.yaml")
    cases = [c for c in gold.cases if len(c.questions) == 1]
    embedder = SentenceTransformerEmbedder()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(
            index_dir=Path(tmp), corpus_dir=ROOT / "seeds", prompts_dir=ROOT / "prompts"
        )
        build_index(load_corpus(base.corpus_dir), embedder, base)
        for label, typos, spelling in (
            ("as asked", False, True),
            ("one typo, spelling stage off", True, False),
            ("one typo, spelling stage on (shipped)", True, True),
        ):
            bot = Assistant.from_settings(base.model_copy(update={"spelling": spelling}), embedder)
            right = answerable = abstained = unanswerable = corrected = 0
            started = time.perf_counter()
            for case in cases:
                question = case.questions[0]
                if typos:
                    question = with_typo(question, zlib.crc32(case.id.encode()))
                answer = bot.ask(question)
                corrected += bool(answer.corrections)
                quotes = " ".join(c.quote for c in answer.citations).lower()
                if case.kind == "answerable":
                    answerable += 1
                    right += answer.answered and all(f.lower() in quotes for f in case.facts)
                else:
                    unanswerable += 1
                    abstained += not answer.answered
            rows.append(
                {
                    "questions": label,
                    "answerable right": f"{right}/{answerable}",
                    "unanswerable abstained": f"{abstained}/{unanswerable}",
                    "questions with a correction": corrected,
                    "ms / question": round((time.perf_counter() - started) * 1000 / len(cases), 1),
                }
            )
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n" + "|---" * len(keys) + "|")
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "typos-seed.json"
    out.write_text(json.dumps({"cases": len(cases), "rows": rows}, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
