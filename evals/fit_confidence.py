"""Refit the confidence model (assistant/confidence.json) on the HaluEval tuning split.

    .venv/bin/python benchmarks/halueval.py --split tuning --features .cache/features-tuning.jsonl
    .venv/bin/python evals/fit_confidence.py .cache/features-tuning.jsonl

Label: 1 when the question's gold passage is in the index (answerable), 0 when it
was removed (the right output is "the corpus does not say"). Yes/no questions are
left out (their answer is not a span). Logistic regression (scikit-learn, L2,
balanced classes) over the features of `assistant.confidence.FEATURES`, on the
rows of the shipped hybrid mode. Prints the coverage/abstention table per threshold
and writes it to benchmarks/results/confidence-fit.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.confidence import (  # noqa: E402
    FEATURES,
    ConfidenceModel,
    load_confidence_model,
)


def seed_rows(path: Path) -> list[dict[str, object]]:
    """Feature rows for the seed tuning questions, from the real pipeline over seeds/."""
    import tempfile

    from assistant.embed import SentenceTransformerEmbedder
    from assistant.evaluate import load_gold
    from assistant.indexing import build_index
    from assistant.ingest import load_corpus
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    cases = load_gold(path).cases
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            index_dir=Path(tmp), prompts_dir=ROOT / "prompts", corpus_dir=ROOT / "seeds"
        )
        embedder = SentenceTransformerEmbedder()
        build_index(load_corpus(settings.corpus_dir), embedder, settings)
        bot = Assistant.from_settings(settings, embedder)
        rows: list[dict[str, object]] = []
        for case in cases:
            answer = bot.ask(case.questions[-1])
            rows.append({"answerable": case.kind == "answerable", **answer.features})
    return rows


def main() -> None:
    """Fit, report, write."""
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features", type=Path)
    parser.add_argument("--mode", default="hybrid (shipped")
    parser.add_argument("--out", type=Path, default=ROOT / "assistant" / "confidence.json")
    parser.add_argument(
        "--seed-tuning",
        type=Path,
        default=ROOT / "evals" / "seed_tuning.yaml",
        help="tuning questions about seeds/ (not the gold set); weighted equal to HaluEval",
    )
    parser.add_argument(
        "--use",
        default=",".join(f for f in FEATURES if f != "missing_name_frac"),
        help="features to fit (the others get weight 0); missing_name_frac multiplies the "
        "probability instead",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="no refit: tabulate the shipped model (--out) on these features and keep it",
    )
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.features.read_text().splitlines() if line]
    rows = [r for r in rows if r["mode"].startswith(args.mode) and not r["yes_no"]]
    used = [f for f in args.use.split(",") if f]
    unknown = set(used) - set(FEATURES)
    if unknown:
        parser.error(f"unknown features: {sorted(unknown)}")
    halueval = len(rows)
    if args.keep:
        model = load_confidence_model(args.out)
        y = np.array([1 if r["answerable"] else 0 for r in rows])
        _table(model, rows, y, args.out, write_model=False)
        return
    if args.seed_tuning:
        rows += seed_rows(args.seed_tuning)
    x = np.array([[r[f] for f in used] for r in rows], dtype=np.float64)
    y = np.array([1 if r["answerable"] else 0 for r in rows])
    # each source and, within it, each class weighs the same in total
    weights = np.ones(len(rows))
    for source in (slice(0, halueval), slice(halueval, len(rows))):
        part = y[source]
        for label in (0, 1):
            count = int((part == label).sum())
            if count:
                weights[source][part == label] = 0.25 * len(rows) / count
    clf = LogisticRegression(C=1.0, max_iter=1000).fit(x, y, sample_weight=weights)
    model = ConfidenceModel(
        bias=round(float(clf.intercept_[0]), 4),
        weights={f: round(float(w), 4) for f, w in zip(used, clf.coef_[0], strict=True)},
        source=f"logistic regression on {halueval} HaluEval tuning questions and "
        f"{len(rows) - halueval} seed tuning questions ({int(y.sum())} answerable, "
        f"{int(len(y) - y.sum())} not); evals/fit_confidence.py",
    )
    _table(model, rows[:halueval], y[:halueval], args.out, write_model=True)


def _table(
    model: ConfidenceModel,
    rows: list[dict[str, object]],
    y: np.ndarray,
    out: Path,
    *,
    write_model: bool,
) -> None:
    """Print and write the coverage/accuracy table (HaluEval tuning rows); the model too."""
    probs = np.array([model.predict({f: r[f] for f in FEATURES}) for r in rows])
    right = np.array([bool(r["answer_in_citations"]) for r in rows])
    table = []
    print(
        "| threshold | answerable answered | answer in excerpt (of answered) | removed abstained |"
    )
    print("|---|---|---|---|")
    for threshold in (0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8):
        answered = probs >= threshold
        on_answerable = answered[y == 1]
        row = {
            "threshold": threshold,
            "answerable_answered": round(float(on_answerable.mean()), 4),
            "accuracy_of_answered": round(float(right[(y == 1) & answered].mean()), 4)
            if ((y == 1) & answered).any()
            else 0.0,
            "removed_abstained": round(float((~answered[y == 0]).mean()), 4),
        }
        table.append(row)
        print(
            f"| {threshold} | {row['answerable_answered']} | {row['accuracy_of_answered']} "
            f"| {row['removed_abstained']} |"
        )
    if write_model:
        out.write_text(model.to_json() + "\n", encoding="utf-8")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "confidence-fit.json").write_text(
        json.dumps({"model": json.loads(model.to_json()), "table": table}, indent=2) + "\n"
    )
    print(f"written {out}" if write_model else f"kept {out}")


if __name__ == "__main__":
    main()
