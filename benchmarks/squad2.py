"""SQuAD 2.0-style benchmark: the 602 Disfl-QA paragraphs as one corpus, every question
of the validation topics asked through the pipeline (`Assistant.ask`), as a user would.

    .venv/bin/python benchmarks/squad2.py [--half report|tuning|all] [--baseline REV]

Prints and writes benchmarks/results/squad2-<half>.json: answerable questions whose
answer is in one of the first 5 citations from the question's own paragraph, answerable
questions wrongly abstained, unanswerable questions abstained, and the expected
calibration error of the confidence (10 equal-width bins; an answer counts as right
when it cites the answer, an unanswerable question's answer never does). `--baseline
REV` asks the same questions, in the same run, of the pipeline at git revision REV (a
temporary worktree), so the gain over an earlier answer stage is visible.

The validation topics (training/reader_data.py) are never trained on; their first half
(`tuning`) calibrates the confidence, the second (`report`) is what the README reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CACHE = ROOT / ".cache"
TUNING_TOPICS = (3, 11, 19)
REPORT_TOPICS = (7, 15, 23)


def corpus_and_questions(half: str) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """(doc_id, text) per distinct paragraph, and the questions of the half."""
    import gzip

    path = ROOT.parent / "shared" / "data" / "squad2-disfl-train.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    ids: dict[str, str] = {}
    for row in rows:
        ids.setdefault(row["context"], f"p{len(ids):04d}")
    topics = {"tuning": TUNING_TOPICS, "report": REPORT_TOPICS}.get(
        half, TUNING_TOPICS + REPORT_TOPICS
    )
    questions = [
        {
            "question": row["question"],
            "answer": row["answer"],
            "doc": ids[row["context"]],
            "topic": row["topic"],
        }
        for row in rows
        if row["topic"] in topics
    ]
    return [(doc_id, text) for text, doc_id in ids.items()], questions


def _stage(module: str, name: str, staged: bool) -> Any:
    """`assistant.<stage>.<module>.<name>`, or `assistant.<module>.<name>` for a package
    that predates the stage folders."""
    import importlib

    path = module if staged else module.split(".")[-1]
    return getattr(importlib.import_module(f"assistant.{path}"), name)


def run_pipeline(
    package_root: Path,
    half: str,
    index_dir: Path,
    features: bool = False,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Index the corpus with the `assistant` package under package_root and ask."""
    sys.path.insert(0, str(package_root))
    os.environ.setdefault("ASSISTANT_PROMPTS_DIR", str(package_root / "prompts"))
    import assistant
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    # the stage modules by their folder, or flat in an earlier layout (--baseline)
    staged = (package_root / "assistant" / "search").is_dir()
    make_document = _stage("corpus.ingest", "make_document", staged)
    SentenceTransformerEmbedder = _stage("search.embed", "SentenceTransformerEmbedder", staged)  # noqa: N806
    build_index = _stage("search.indexing", "build_index", staged)
    load_index = _stage("search.store", "load_index", staged)

    assert Path(assistant.__file__).resolve().is_relative_to(package_root.resolve())
    docs, questions = corpus_and_questions(half)
    settings = Settings(
        index_dir=index_dir, prompts_dir=package_root / "prompts", **(overrides or {})
    )
    embedder = SentenceTransformerEmbedder(settings.model, settings.embed_batch_size)
    if not (index_dir / "CURRENT").exists():
        started = time.perf_counter()
        build_index([make_document(d, t) for d, t in docs], embedder, settings)
        print(f"indexed {len(docs)} paragraphs in {time.perf_counter() - started:.0f} s")
    bot = Assistant(settings, embedder, load_index(index_dir))
    rows = []
    started = time.perf_counter()
    for q in questions:
        answer = bot.ask(q["question"])
        cited = [c for c in answer.citations[:5] if c.doc_id == q["doc"]]
        hit = q["answer"] is not None and any(q["answer"].lower() in c.quote.lower() for c in cited)
        row = {
            "answerable": q["answer"] is not None,
            "answered": answer.answered,
            "cites_answer": hit,
            "confidence": answer.confidence,
            "topic": q["topic"],
        }
        if features:
            row["features"] = answer.features
            row["question"] = q["question"]
        rows.append(row)
    ms = (time.perf_counter() - started) * 1000 / max(1, len(questions))
    return {"rows": rows, "ms_per_question": round(ms, 1)}


def figures(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The benchmark's figures over answer rows."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    bins: list[list[tuple[float, float]]] = [[] for _ in range(10)]
    for r in rows:
        right = float(r["answerable"] and r["cites_answer"])
        bins[min(9, int(r["confidence"] * 10))].append((r["confidence"], right))
    ece = sum(
        len(b) / len(rows) * abs(sum(c for c, _ in b) / len(b) - sum(y for _, y in b) / len(b))
        for b in bins
        if b
    )
    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answer_in_first_5_citations": round(
            sum(r["answered"] and r["cites_answer"] for r in answerable) / len(answerable), 4
        ),
        "answerable_wrongly_abstained": round(
            sum(not r["answered"] for r in answerable) / len(answerable), 4
        ),
        "unanswerable_abstained": round(
            sum(not r["answered"] for r in unanswerable) / len(unanswerable), 4
        ),
        "calibration_error": round(ece, 4),
    }


def _baseline(rev: str, half: str) -> dict[str, Any]:
    """The same run over the package at git revision `rev`, in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
            check=True,
            capture_output=True,
        )
        try:
            out = Path(tmp) / "out.json"
            index_dir = CACHE / f"squad2-index-{rev}"
            code = (
                "import json,sys;from pathlib import Path;"
                f"sys.path.insert(0,{str(ROOT)!r});"
                "from benchmarks.squad2 import run_pipeline;"
                f"r=run_pipeline(Path({str(tree)!r}),{half!r},Path({str(index_dir)!r}));"
                f"Path({str(out)!r}).write_text(json.dumps(r))"
            )
            subprocess.run([sys.executable, "-c", code], check=True)
            result: dict[str, Any] = json.loads(out.read_text())
            return result
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
            )


def main() -> None:
    """Run the benchmark and write its results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--half", choices=["tuning", "report", "all"], default="report")
    parser.add_argument("--baseline", help="git revision of an earlier pipeline to compare")
    parser.add_argument("--features", action="store_true", help="keep features per question")
    parser.add_argument(
        "--ablate",
        action="store_true",
        help="also run with each generic stage that remains beside the reader switched off "
        "(the spelling stage) and with the reader reading 3 passages instead of 5",
    )
    args = parser.parse_args()
    result: dict[str, Any] = {
        "half": args.half,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
    }
    shipped = run_pipeline(ROOT, args.half, CACHE / "squad2-index", features=args.features)
    result["shipped"] = {**figures(shipped["rows"]), "ms_per_question": shipped["ms_per_question"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"squad2-{args.half}.json").write_text(json.dumps(result, indent=2) + "\n")
    if args.ablate:
        for label, overrides in (
            ("spelling off", {"spelling": False}),
            ("reader reads 2 passages", {"read_passages": 2}),
            ("reader reads 5 passages", {"read_passages": 5}),
            ("reader reads 8 passages", {"read_passages": 8}),
        ):
            run = run_pipeline(ROOT, args.half, CACHE / "squad2-index", overrides=overrides)
            result[label] = {**figures(run["rows"]), "ms_per_question": run["ms_per_question"]}
            (RESULTS / f"squad2-{args.half}.json").write_text(json.dumps(result, indent=2) + "\n")
    if args.baseline:
        base = _baseline(args.baseline, args.half)
        result[f"baseline {args.baseline}"] = {
            **figures(base["rows"]),
            "ms_per_question": base["ms_per_question"],
        }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"squad2-{args.half}.json").write_text(json.dumps(result, indent=2) + "\n")
    if args.features:
        (CACHE / f"squad2-{args.half}-rows.json").write_text(json.dumps(shipped["rows"]))


if __name__ == "__main__":
    main()
