"""External benchmark: HaluEval-QA passages + CNN/DailyMail distractors.

    .venv/bin/python benchmarks/halueval.py [--split report] [--per-split 1000] [--news 1000]

Builds (or reuses) an index of the sampled QA passages plus news articles, then
asks every question of the split and reports, for BM25-only, dense-only and the
shipped hybrid pipeline side by side: recall@1/5/10 of the gold passage, the
answer in the cited excerpt (yes/no questions excluded: their answer is not a
span), abstention on questions whose gold passage was left out, and answerable
questions wrongly abstained. Writes benchmarks/results/halueval-<split>.json and,
with --features, the confidence features of every question (for refitting).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import random
import re
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answer.compose import ComposeConfig, Templates, compose_answer
from assistant.answer.confidence import ConfidenceModel, load_confidence_model
from assistant.answer.reader import load_reader
from assistant.corpus.ingest import corpus_fingerprint, make_document
from assistant.search.embed import SentenceTransformerEmbedder
from assistant.search.indexing import build_index, chunking_of
from assistant.search.lexical import specificity
from assistant.search.retrieve import RetrievalConfig, retrieve
from assistant.search.spelling import SpellingCorrector
from assistant.search.store import IndexData, load_index, read_manifest
from assistant.settings import Settings
from benchmarks.halueval_data import CACHE, ROOT, QACase, build_corpus

RESULTS = ROOT / "benchmarks" / "results"


def ensure_bench_index(
    args: argparse.Namespace, embedder: SentenceTransformerEmbedder
) -> tuple[IndexData, Any]:
    """Build the benchmark index once; reuse it while the sample is unchanged."""
    corpus = build_corpus(per_split=args.per_split, news=args.news, seed=args.seed)
    documents = [make_document(doc_id, text) for doc_id, text in corpus.documents]
    folder = f"halueval-index-{args.per_split}-{args.news}"
    vectors = Settings().passage_vectors  # ASSISTANT_PASSAGE_VECTORS; one cached build each
    settings = Settings(
        index_dir=CACHE / (folder if vectors == "encode" else f"{folder}-{vectors}")
    )
    fingerprint = corpus_fingerprint(documents)
    build_seconds = None
    try:
        manifest = read_manifest(settings.index_dir)
        fresh = (
            manifest.corpus_fingerprint == fingerprint
            and manifest.model == embedder.name
            and manifest.chunking == chunking_of(settings)
        )
    except Exception:
        fresh = False
    if not fresh:
        started = time.perf_counter()
        build_index(documents, embedder, settings)
        build_seconds = time.perf_counter() - started
    data = load_index(settings.index_dir)
    print(
        f"index: {data.manifest.documents} documents, {data.manifest.passages} passages, "
        f"{data.manifest.sentences} sentences"
        + (f", built in {build_seconds:.0f} s" if build_seconds else " (reused)"),
        flush=True,
    )
    return data, corpus


def _cites(answer: Any, text: str) -> bool:
    """The text is inside the answer's cited quotes (case ignored)."""
    return text.lower() in " ".join(c.quote for c in answer.citations).lower()


def evaluate_split(
    cases: list[QACase],
    data: IndexData,
    embedder: SentenceTransformerEmbedder,
    modes: dict[str, float],
    compose_config: ComposeConfig,
    model: ConfidenceModel,
    top_k: int,
    spelling: bool = True,
    rrf_k: int = RetrievalConfig.rrf_k,
    fusion: Literal["convex", "rrf"] = RetrievalConfig.fusion,
    harvest: bool = False,
) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """Metrics per mode, and one feature row per (mode, question). With `harvest`, each
    row also says what the answer would be at threshold 0 (for refitting: whether the
    answer string would be cited, or whether a rule abstains anyway)."""
    templates = Templates.load(ROOT / "prompts")
    started = time.perf_counter()
    # the shipped spelling stage (ASSISTANT_SPELLING): a rare word no passage uses is
    # searched as the corpus's nearest spelling
    correct = SpellingCorrector(data.lexical, data.passages) if spelling else None
    questions = [correct(c.question)[0] if correct else c.question for c in cases]
    vectors = embedder.encode(questions)
    reader = load_reader()
    encode_ms = (time.perf_counter() - started) * 1000 / max(len(cases), 1)
    metrics: dict[str, dict[str, float]] = {}
    rows: list[dict[str, Any]] = []
    for mode, weight in modes.items():
        config = RetrievalConfig(top_k=10, lexical_weight=weight, fusion=fusion, rrf_k=rrf_k)
        counts = {
            k: 0.0
            for k in (
                "r1",
                "r5",
                "r10",
                "rr",
                "span",
                "span_n",
                "abst_out",
                "out",
                "abst_in",
                "in",
                "ms",
            )
        }
        for case, question, vector in zip(cases, questions, vectors, strict=True):
            t0 = time.perf_counter()
            hits = retrieve(data, question, vector, config)
            compose = partial(
                compose_answer,
                question,
                vector,
                hits[:top_k],
                data,
                reader,
                model,
                templates,
            )
            answer = compose(compose_config)
            counts["ms"] += (time.perf_counter() - t0) * 1000 + encode_ms
            in_excerpt = _cites(answer, case.answer)
            at_zero = answer
            if harvest and not answer.answered:
                at_zero = compose(replace(compose_config, min_confidence=0.0))
            if case.gold_doc is None:
                counts["out"] += 1
                counts["abst_out"] += not answer.answered
            else:
                counts["in"] += 1
                counts["abst_in"] += not answer.answered
                ranks = [i for i, h in enumerate(hits, 1) if h.passage.doc_id == case.gold_doc]
                rank = ranks[0] if ranks else None
                counts["r1"] += rank is not None and rank <= 1
                counts["r5"] += rank is not None and rank <= 5
                counts["r10"] += rank is not None
                counts["rr"] += 1 / rank if rank else 0.0
                if not case.yes_no:
                    counts["span_n"] += 1
                    counts["span"] += answer.answered and in_excerpt
            rows.append(
                {
                    "mode": mode,
                    "qid": case.qid,
                    "answerable": case.gold_doc is not None,
                    "yes_no": case.yes_no,
                    "answer_in_citations": in_excerpt,
                    "answered_at_0": at_zero.answered,
                    "in_citations_at_0": _cites(at_zero, case.answer),
                    "confidence": answer.confidence,
                    **answer.features,
                }
            )
        n_in, n_out = max(counts["in"], 1), max(counts["out"], 1)
        metrics[mode] = {
            "recall@1": round(counts["r1"] / n_in, 4),
            "recall@5": round(counts["r5"] / n_in, 4),
            "recall@10": round(counts["r10"] / n_in, 4),
            "mrr@10": round(counts["rr"] / n_in, 4),
            "answer_in_excerpt": round(counts["span"] / max(counts["span_n"], 1), 4),
            "abstain_on_removed": round(counts["abst_out"] / n_out, 4),
            "wrongly_abstained": round(counts["abst_in"] / n_in, 4),
            "ms_per_question": round(counts["ms"] / max(len(cases), 1), 1),
        }
    return metrics, rows


def with_typo(question: str, seed: int) -> str:
    """The question with its most specific word (wordfreq) misspelt: two neighbouring
    inner letters swapped ("Netanyahu" -> "Netanyhau"), as a hurried user types."""
    words = [m for m in re.finditer(r"[^\W\d_]{5,}", question) if m.group().lower() not in _NO_TYPO]
    if not words:
        return question
    target = max(words, key=lambda m: (specificity(m.group()), len(m.group())))
    word = target.group()
    i = random.Random(seed).randrange(1, len(word) - 2)
    typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return question[: target.start()] + typo + question[target.end() :]


_NO_TYPO = {"which", "where", "whose", "about"}


def markdown_table(metrics: dict[str, dict[str, float]]) -> str:
    """One row per mode."""
    keys = list(next(iter(metrics.values())))
    lines = ["| mode | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for mode, values in metrics.items():
        lines.append(f"| {mode} | " + " | ".join(f"{values[k]}" for k in keys) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print/write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["tuning", "report"], default="report")
    parser.add_argument("--per-split", type=int, default=1000)
    parser.add_argument("--news", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--weights", type=str, default="", help="extra hybrid weights, e.g. 0.3,0.7"
    )
    parser.add_argument("--features", type=Path, help="write feature rows (JSONL) here")
    parser.add_argument("--confidence", type=Path, help="confidence model JSON to use")
    parser.add_argument(
        "--typos",
        action="store_true",
        help="misspell each question's most specific word and compare the shipped pipeline "
        "with and without the spelling stage (writes halueval-<split>-typos.json)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    settings = Settings()
    embedder = SentenceTransformerEmbedder()
    data, corpus = ensure_bench_index(args, embedder)
    cases = corpus.tuning if args.split == "tuning" else corpus.report
    modes = {
        "bm25": 1.0,
        "dense": 0.0,
        f"hybrid (shipped, w={settings.lexical_weight})": settings.lexical_weight,
    }
    for w in filter(None, args.weights.split(",")):
        modes[f"hybrid w={float(w)}"] = float(w)
    compose_config = ComposeConfig(
        max_sentences=settings.max_answer_sentences,
        min_confidence=settings.min_confidence,
        read_passages=settings.read_passages,
    )
    model = load_confidence_model(args.confidence)
    if args.typos:
        shipped = {"hybrid (shipped)": settings.lexical_weight}
        typo_cases = [replace(c, question=with_typo(c.question, c.qid)) for c in cases]
        metrics = {}
        for label, these, spelling in (
            ("as asked, spelling stage on", cases, True),
            ("one typo, spelling stage off", typo_cases, False),
            ("one typo, spelling stage on (shipped)", typo_cases, True),
        ):
            result, rows = evaluate_split(
                these,
                data,
                embedder,
                shipped,
                compose_config,
                model,
                settings.top_k,
                spelling,
                settings.rrf_k,
                settings.fusion,
            )
            metrics[label] = result["hybrid (shipped)"]
    else:
        metrics, rows = evaluate_split(
            cases,
            data,
            embedder,
            modes,
            compose_config,
            model,
            settings.top_k,
            settings.spelling,
            settings.rrf_k,
            settings.fusion,
            harvest=args.features is not None,
        )
    elapsed = time.perf_counter() - started
    table = markdown_table(metrics)
    print(table)
    answerable = sum(c.gold_doc is not None for c in cases)
    print(
        f"\n{args.split} split: {len(cases)} questions ({answerable} answerable, "
        f"{len(cases) - answerable} with the gold passage removed); "
        f"{data.manifest.passages} passages; {elapsed:.0f} s on {platform.machine()} "
        f"({platform.processor() or 'cpu'})"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"halueval-{args.split}{'-typos' if args.typos else ''}.json"
    out.write_text(
        json.dumps(
            {
                "split": args.split,
                "questions": len(cases),
                "answerable": answerable,
                "passages": data.manifest.passages,
                "documents": data.manifest.documents,
                "seconds": round(elapsed, 1),
                "confidence_model": model.source,
                "metrics": metrics,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"written {out}")
    if args.features:
        args.features.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
