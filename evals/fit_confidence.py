"""Refit the confidence model (assistant/confidence.json) on the HaluEval tuning split.

    .venv/bin/python benchmarks/halueval.py --split tuning --features .cache/features-tuning.jsonl
    .venv/bin/python evals/fit_confidence.py .cache/features-tuning.jsonl

Label: 1 when the question's gold passage is in the index (answerable), 0 when it
was removed (the right output is "the corpus does not say"). Yes/no questions are
left out (their answer is not a span). Logistic regression (L2, balanced classes, the
strength chosen by 5-fold ROC AUC) over the features of `assistant.confidence.FEATURES`,
each weight held to the sign the feature must push (similarity, overlap and coverage
up, missing words down; scipy's bounded L-BFGS), on the rows of the shipped hybrid mode,
with the seed tuning questions weighing `--seed-weight`.

The name gate (see `assistant.confidence`): a question naming something no passage
mentions gets confidence 0 unless its cited sentences hold at least K of its other
words. K is chosen here: among the gates whose fitted model, at its threshold (below), keeps
every unanswerable seed tuning question that names something absent abstaining, the
strictest one that cites the answer for nearly as many answerable tuning questions as
the best (within `GATE_TOLERANCE`). Rows the gate closes
are left out of the fit (their confidence is 0 whatever the weights).

Prints the coverage/abstention table per threshold and writes it to
benchmarks/results/confidence-fit.json.
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features", type=Path)
    parser.add_argument("--mode", default="hybrid (shipped")
    parser.add_argument("--out", type=Path, default=ROOT / "assistant" / "confidence.json")
    parser.add_argument(
        "--seed-tuning",
        type=lambda value: Path(value) if value else None,
        default=ROOT / "evals" / "seed_tuning.yaml",
        help="tuning questions about seeds/ (not the gold set); '' for none",
    )
    parser.add_argument(
        "--seed-weight",
        type=float,
        default=0.1,
        help="the seed tuning questions' share of the total weight (HaluEval has the rest)",
    )
    parser.add_argument(
        "--use",
        default=",".join(FEATURES),
        help="features to fit (the others get weight 0; the name gate's inputs, "
        f"{', '.join(_GATE_INPUTS)}, are never weighted)",
    )
    parser.add_argument(
        "--gates",
        type=lambda value: [int(v) for v in value.split(",")],
        default=[2, 3, 4, 5, 6, 7, 8],
        help="name gates (K) to try",
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
    used = [f for f in used if f not in _GATE_INPUTS]
    y = np.array([1 if r["answerable"] else 0 for r in rows])
    x = np.array([[r[f] for f in used] for r in rows], dtype=np.float64)
    weights = _balanced(y, halueval, args.seed_weight)
    fits: list[tuple[float, int, ConfidenceModel]] = []  # the gates that hold
    for gate in args.gates:
        keep = np.array([_gate_open(r, gate) for r in rows])
        c, auc = _choose_c(x[keep], y[keep], weights[keep], used)
        bias, coef = _fit(x[keep], y[keep], weights[keep], c, used)
        model = ConfidenceModel(
            bias=round(bias, 4),
            weights={f: round(float(w), 4) for f, w in zip(used, coef, strict=True)},
            name_gate_matched=gate,
            source=f"logistic regression (C={c}, signs held) on {halueval} HaluEval tuning "
            f"questions and {len(rows) - halueval} seed tuning questions weighing "
            f"{args.seed_weight:g} ({int(y.sum())} answerable, {int(len(y) - y.sum())} not); "
            f"name gate {gate}; evals/fit_confidence.py",
        )
        table, threshold = _rows_table(model, rows[:halueval], y[:halueval])
        probs = np.array([model.predict(r) for r in rows[halueval:]])  # type: ignore[arg-type]
        seed_absent = [
            i
            for i, r in enumerate(rows[halueval:])
            if not r["answerable"] and r["missing_name_frac"]
        ]
        held = threshold is not None and all(probs[i] < threshold for i in seed_absent)
        row = next((t for t in table if t["threshold"] == threshold), None)
        cited = row["answerable_answered"] * row["accuracy_of_answered"] if row else 0.0
        print(
            f"gate {gate}: C = {c} (5-fold ROC AUC {auc:.4f}); threshold {threshold}: "
            f"answer cited {cited:.4f}; seed questions naming the absent all abstain: {held}"
        )
        if held:
            fits.append((cited, gate, model))
    if not fits:
        raise SystemExit("no name gate keeps the seed questions about absent names abstaining")
    # the strictest gate within GATE_TOLERANCE of the best: a few tuning questions more
    # are not worth answering more questions about names the corpus lacks
    top = max(cited for cited, _, _ in fits)
    _, gate, model = max((f for f in fits if f[0] >= top - GATE_TOLERANCE), key=lambda f: f[1])
    print(f"chosen name gate: {gate}")
    _table(model, rows[:halueval], y[:halueval], args.out, write_model=True)


_GATE_INPUTS = ("missing_name_frac", "known_matched")
# the sign each weight is held to (0: free); a feature not listed is free
_SIGNS = {
    "top_sentence_cos": 1,
    "top_passage_cos": 1,
    "best_overlap": 1,
    "union_overlap": 1,
    "missing_word_frac": -1,
    "name_coverage": 1,
    "top_name_coverage": 1,
    "doc_overlap": 1,
    "doc_name_coverage": 1,
    "known_overlap": 1,
    "doc_known_overlap": 1,
}


def _gate_open(row: dict[str, object], gate: int) -> bool:
    return not row["missing_name_frac"] or float(row["known_matched"]) >= gate  # type: ignore[arg-type]


def _balanced(y: np.ndarray, halueval: int, seed_weight: float) -> np.ndarray:
    """Within each source each class weighs the same; the seed source weighs
    `seed_weight` of the total."""
    weights = np.ones(len(y))
    shares = (1.0 - seed_weight, seed_weight) if len(y) > halueval else (1.0, 0.0)
    sources = (slice(0, halueval), slice(halueval, len(y)))
    for source, share in zip(sources, shares, strict=True):
        part = y[source]
        for label in (0, 1):
            count = int((part == label).sum())
            if count:
                weights[source][part == label] = share * 0.5 * len(y) / count
    return weights


def _fit(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, c: float, used: list[str]
) -> tuple[float, np.ndarray]:
    """Weighted L2 logistic regression (sklearn's objective, 1/C on the weights, the bias
    free), each weight held to its sign in `_SIGNS`."""
    from scipy.optimize import minimize

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + x @ theta[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        # log-loss in a stable form: log(1 + e^z) - y z
        value = float((weights * (np.logaddexp(0.0, z) - y * z)).sum())
        value += 0.5 / c * float(theta[1:] @ theta[1:])
        g = weights * (p - y)
        grad = np.concatenate([[g.sum()], x.T @ g + theta[1:] / c])
        return value, grad

    bounds = [(None, None)] + [
        (0.0, None)
        if _SIGNS.get(f, 0) > 0
        else (None, 0.0)
        if _SIGNS.get(f, 0) < 0
        else (None, None)
        for f in used
    ]
    result = minimize(loss, np.zeros(len(used) + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return float(result.x[0]), result.x[1:]


def _choose_c(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, used: list[str]
) -> tuple[float, float]:
    """The regularisation strength with the best mean ROC AUC over 5 stratified folds."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(x, y))
    best = (0.0, -1.0)
    for c in (0.3, 1.0, 3.0, 10.0, 30.0):
        aucs = []
        for train, test in folds:
            bias, coef = _fit(x[train], y[train], weights[train], c, used)
            aucs.append(roc_auc_score(y[test], bias + x[test] @ coef))
        if float(np.mean(aucs)) > best[1]:
            best = (c, float(np.mean(aucs)))
    return best


# The target is 0.80 on the report split, which abstains less than tuning at the same
# threshold: by 0.054 (session 7), 0.043, 0.037 and 0.029 (session 10). The margin is 1.5
# times the largest of those drops (it was 0.10 until session 10).
MIN_REMOVED_ABSTAINED = 0.88
GATE_TOLERANCE = 0.005  # about 4 of the tuning split's 755 answerable span questions
_THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8)


def _rows_table(
    model: ConfidenceModel, rows: list[dict[str, object]], y: np.ndarray
) -> tuple[list[dict[str, float]], float | None]:
    """The coverage/accuracy rows per threshold, and the default threshold: the lowest
    whose removed-passage abstention on tuning is at least `MIN_REMOVED_ABSTAINED`."""
    probs = np.array([model.predict({f: r[f] for f in FEATURES}) for r in rows])  # type: ignore[misc]
    # what each question's answer would be at threshold 0 (rows harvested with
    # `halueval.py --features`); a question a rule abstains on is never answered
    right = np.array([bool(r.get("in_citations_at_0", r["answer_in_citations"])) for r in rows])
    possible = np.array([bool(r.get("answered_at_0", True)) for r in rows])
    table = []
    for threshold in _THRESHOLDS:
        answered = (probs >= threshold) & possible
        table.append(
            {
                "threshold": threshold,
                "answerable_answered": round(float(answered[y == 1].mean()), 4),
                "accuracy_of_answered": round(float(right[(y == 1) & answered].mean()), 4)
                if ((y == 1) & answered).any()
                else 0.0,
                "removed_abstained": round(float((~answered[y == 0]).mean()), 4),
            }
        )
    chosen = next(
        (r["threshold"] for r in table if r["removed_abstained"] >= MIN_REMOVED_ABSTAINED), None
    )
    return table, chosen


def _table(
    model: ConfidenceModel,
    rows: list[dict[str, object]],
    y: np.ndarray,
    out: Path,
    *,
    write_model: bool,
) -> None:
    """Print and write the coverage/accuracy table (HaluEval tuning rows); the model too."""
    table, chosen = _rows_table(model, rows, y)
    print(
        "| threshold | answerable answered | answer in excerpt (of answered) | removed abstained |"
    )
    print("|---|---|---|---|")
    for row in table:
        print(
            f"| {row['threshold']} | {row['answerable_answered']} | "
            f"{row['accuracy_of_answered']} | {row['removed_abstained']} |"
        )
    print(
        f"threshold with removed-passage abstention >= {MIN_REMOVED_ABSTAINED} on these "
        f"rows: {chosen}"
    )
    if write_model:
        out.write_text(model.to_json() + "\n", encoding="utf-8")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "confidence-fit.json").write_text(
        json.dumps(
            {"model": json.loads(model.to_json()), "table": table, "threshold": chosen},
            indent=2,
        )
        + "\n"
    )
    print(f"written {out}" if write_model else f"kept {out}")


if __name__ == "__main__":
    main()
