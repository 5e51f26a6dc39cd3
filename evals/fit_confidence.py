"""Fit the confidence model (assistant/confidence.json) on held-out public questions.

    .venv/bin/python evals/fit_confidence.py [--halueval 1000]

Questions: the tuning half of the SQuAD 2.0-style validation topics (benchmarks/squad2.py,
topics the reader never trained on) and, with --halueval N, the first N questions of
the HaluEval tuning split (benchmarks/halueval_data.py; a fifth of them have their
passage removed from the index). Each question is retrieved and read as the pipeline
does; every candidate span becomes one row of `assistant.answer.confidence.FEATURES`, labelled
1 when its sentence(s) hold the gold answer in the gold document. Never the seed gold
set or the seed probes.

Logistic regression (L2, C by 5-fold log loss, features standardised, the scaling folded
back into the weights). Prints the question-level expected calibration error and the
abstention trade-off per threshold on the fitted questions, and writes both to
benchmarks/results/confidence-fit.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.answer.compose import ComposeConfig, Question, read_candidates  # noqa: E402
from assistant.answer.confidence import FEATURES, ConfidenceModel  # noqa: E402
from assistant.answer.reader import Reader, load_reader  # noqa: E402
from assistant.search.embed import SentenceTransformerEmbedder  # noqa: E402
from assistant.search.retrieve import RetrievalConfig, retrieve  # noqa: E402
from assistant.search.store import IndexData, load_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402

OUT = ROOT / "assistant" / "answer" / "confidence.json"
RESULTS = ROOT / "benchmarks" / "results" / "confidence-fit.json"
NEUTRAL = ConfidenceModel(bias=0.0, weights={"margin": 1.0}, source="neutral")


Group = tuple[list[tuple[dict[str, float], int]], bool]  # candidates, answerable


def harvest(
    cases: list[dict[str, Any]],
    data: IndexData,
    embedder: SentenceTransformerEmbedder,
    reader: Reader,
    settings: Settings,
) -> list[Group]:
    """Per question, each candidate's features and label, and whether it has an answer."""
    config = RetrievalConfig(
        top_k=settings.top_k, lexical_weight=settings.lexical_weight, fusion=settings.fusion
    )
    compose = ComposeConfig(read_passages=settings.read_passages)
    vectors = embedder.encode([c["question"] for c in cases])
    out = []
    for case, vector in zip(cases, vectors, strict=True):
        hits = retrieve(data, case["question"], vector, config)
        question = Question.of(case["question"])
        rows = []
        for c in read_candidates(question, vector, hits, data, reader, NEUTRAL, compose):
            text = " ".join(s.text for s in c.sentences).lower()
            label = (
                case["answer"] is not None
                and c.hit.passage.doc_id == case["doc"]
                and case["answer"].lower() in text
            )
            rows.append((c.features, int(label)))
        out.append((rows, case["answer"] is not None))
    return out


def squad_cases() -> tuple[IndexData, list[dict[str, Any]]]:
    """The squad2 benchmark's index (built by it) and its tuning-half questions."""
    from benchmarks.squad2 import CACHE, corpus_and_questions

    index_dir = CACHE / "squad2-index"
    if not (index_dir / "CURRENT").exists():
        raise SystemExit("no squad2 index: run `benchmarks/squad2.py --half tuning` first")
    _, questions = corpus_and_questions("tuning")
    return load_index(index_dir), questions


def halueval_cases(count: int) -> tuple[IndexData, list[dict[str, Any]]]:
    """The HaluEval benchmark's index and the first `count` tuning questions (no yes/no)."""
    from benchmarks.halueval import ensure_bench_index

    args = argparse.Namespace(per_split=1000, news=1000, seed=13)
    data, corpus = ensure_bench_index(args, SentenceTransformerEmbedder())  # built once
    cases = [
        {"question": c.question, "answer": c.answer if c.gold_doc else None, "doc": c.gold_doc}
        for c in corpus.tuning[:count]
        if not c.yes_no
    ]
    return data, cases


def fit(sets: dict[str, list[Group]]) -> tuple[ConfidenceModel, float]:
    """Logistic regression over every candidate row, each set weighing the same in all;
    returns the model and its C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    groups = [g for chosen in sets.values() for g in chosen]
    x = np.array([[f[name] for name in FEATURES] for g, _ in groups for f, _ in g])
    y = np.array([label for g, _ in groups for _, label in g])
    rows = {name: sum(len(g) for g, _ in chosen) for name, chosen in sets.items()}
    weight = np.array(
        [
            len(y) / len(rows) / rows[name]
            for name, chosen in sets.items()
            for g, _ in chosen
            for _ in g
        ]
    )
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    search = GridSearchCV(
        LogisticRegression(max_iter=2000),
        {"C": [0.01, 0.1, 1.0, 10.0]},
        scoring="neg_log_loss",
        cv=5,
    )
    search.fit((x - mean) / scale, y, sample_weight=weight)
    best = search.best_estimator_
    weights = best.coef_[0] / scale
    bias = float(best.intercept_[0] - (best.coef_[0] * mean / scale).sum())
    c = float(search.best_params_["C"])
    source = (
        f"logistic regression (C={c}) on {len(y)} candidates of {len(groups)} held-out "
        f"questions ({', '.join(sets)}, each set weighing the same); evals/fit_confidence.py"
    )
    model = ConfidenceModel(
        bias=round(bias, 4),
        weights={n: round(float(w), 4) for n, w in zip(FEATURES, weights, strict=True)},
        source=source,
    )
    return model, c


def question_table(model: ConfidenceModel, groups: list[Group]) -> dict[str, Any]:
    """Question-level calibration error and the answer/abstain trade-off per threshold."""
    best = []
    for g, answerable in groups:
        scored = sorted(((model.predict(f), y) for f, y in g), reverse=True)
        best.append((scored[0] if scored else (0.0, 0), answerable))
    bins: list[list[tuple[float, int]]] = [[] for _ in range(10)]
    for (p, y), _ in best:
        bins[min(9, int(p * 10))].append((p, y))
    n = len(best)
    ece = sum(
        len(b) / n * abs(sum(p for p, _ in b) / len(b) - sum(y for _, y in b) / len(b))
        for b in bins
        if b
    )
    table = []
    with_answer = [(p, y) for (p, y), a in best if a]
    without = [(p, y) for (p, y), a in best if not a]
    for step in range(1, 20):
        threshold = step / 20
        table.append(
            {
                "threshold": threshold,
                "answered_right": round(
                    sum(p >= threshold and y for p, y in with_answer) / max(1, len(with_answer)), 4
                ),
                "answerable_abstained": round(
                    sum(p < threshold for p, _ in with_answer) / max(1, len(with_answer)), 4
                ),
                "no_answer_abstained": round(
                    sum(p < threshold for p, _ in without) / max(1, len(without)), 4
                ),
            }
        )
    return {"ece": round(ece, 4), "questions": n, "by_threshold": table}


def main() -> None:
    """Harvest, fit, report, write."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--halueval", type=int, default=0, help="HaluEval tuning questions")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.model, settings.embed_batch_size)
    reader = load_reader(settings.reader_dir)
    data, cases = squad_cases()
    sets = {"squad2 tuning": harvest(cases, data, embedder, reader, settings)}
    print(f"squad2 tuning: {len(cases)} questions", flush=True)
    if args.halueval:
        data, cases = halueval_cases(args.halueval)
        sets["halueval tuning"] = harvest(cases, data, embedder, reader, settings)
        print(f"halueval tuning: {len(cases)} questions", flush=True)
    (ROOT / ".cache").mkdir(exist_ok=True)
    (ROOT / ".cache" / "harvest.json").write_text(json.dumps(sets))
    groups = [g for chosen in sets.values() for g in chosen]
    model, _ = fit(sets)
    report = question_table(model, groups)
    report["by_set"] = {name: question_table(model, chosen) for name, chosen in sets.items()}
    print(model.to_json())
    print(json.dumps(report, indent=2))
    args.out.write_text(model.to_json() + "\n", encoding="utf-8")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"model": json.loads(model.to_json()), **report}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
