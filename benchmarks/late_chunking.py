"""Probe: sentence vectors pooled from their passage's token embeddings ("late chunking").

    .venv/bin/python benchmarks/late_chunking.py

Today every sentence is encoded on its own, beside its passage, which is why a default
build encodes about twice the text. Here each passage of the HaluEval benchmark index
(built by halueval.py) goes through the model once; each sentence's vector is the mean
of the passage's token embeddings inside the sentence's characters (the passage's own
vector, the mean over all its tokens, is what the build already stores). The HaluEval
tuning split is then answered with the shipped sentence vectors and with the pooled ones,
same retrieval, same confidence model (fitted on the shipped vectors, not refitted).
Writes benchmarks/results/late_chunking.json. Not wired into `assistant index` yet.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.compose import ComposeConfig, Templates, compose_answer
from assistant.confidence import load_confidence_model
from assistant.embed import (
    OnnxQueryEmbedder,
    SentenceTransformerEmbedder,
    default_model_cache_dir,
)
from assistant.retrieve import RetrievalConfig, retrieve
from assistant.settings import Settings
from assistant.store import IndexData
from assistant.vectors import ArrayVectorStore
from benchmarks.halueval import ensure_bench_index
from benchmarks.halueval_data import ROOT, BenchCorpus


def pooled_sentence_vectors(
    data: IndexData, embedder: SentenceTransformerEmbedder, batch: int = 32
) -> tuple[np.ndarray, int]:
    """One pass over the passages; (sentence vectors, how many were pooled). A sentence
    is pooled in the first passage that holds it; one cut off by the 256-token limit
    keeps its own vector."""
    onnx = OnnxQueryEmbedder.load(embedder, default_model_cache_dir())
    session, inputs = onnx._session, onnx._inputs
    tokenizer = embedder.model.tokenizer
    home: dict[int, int] = {}
    for passage in data.passages:
        for sid in passage.sentence_ids:
            home.setdefault(sid, passage.passage_id)
    vectors = data.sentence_store.get(list(range(len(data.sentences)))).copy()
    pooled = 0
    order = sorted(range(len(data.passages)), key=lambda i: len(data.passages[i].text))
    for first in range(0, len(order), batch):
        rows = order[first : first + batch]
        texts = [data.passages[i].text for i in rows]
        enc = tokenizer(
            texts,
            return_tensors="np",
            padding=True,
            truncation=True,
            max_length=256,
            return_offsets_mapping=True,
        )
        (hidden,) = session.run(None, {n: enc[n].astype(np.int64) for n in inputs})
        for r, pid in enumerate(rows):
            passage = data.passages[pid]
            offsets, mask = enc["offset_mapping"][r], enc["attention_mask"][r]
            for sid in passage.sentence_ids:
                if home[sid] != pid:
                    continue
                sentence = data.sentences[sid]
                lo, hi = sentence.start - passage.start, sentence.end - passage.start
                tokens = [
                    t
                    for t, (a, z) in enumerate(offsets)
                    if mask[t] and z > a and a >= lo and z <= hi
                ]
                if tokens:
                    v = hidden[r, tokens].mean(axis=0)
                    vectors[sid] = v / np.linalg.norm(v)
                    pooled += 1
    return vectors.astype(np.float32), pooled


def answer_quality(
    data: IndexData, corpus: BenchCorpus, embedder: SentenceTransformerEmbedder
) -> dict[str, float]:
    """Answer in cited excerpt (answerable span questions) and abstention on removed
    passages, tuning split, shipped settings."""
    settings = Settings()
    config = ComposeConfig(
        max_sentences=settings.max_answer_sentences, min_confidence=settings.min_confidence
    )
    model, templates = load_confidence_model(), Templates.load(ROOT / "prompts")
    cases = [c for c in corpus.tuning if not c.yes_no]
    vectors = embedder.encode([c.question for c in cases])
    right = answerable = abstained = removed = 0
    for case, vector in zip(cases, vectors, strict=True):
        hits = retrieve(
            data,
            case.question,
            vector,
            RetrievalConfig(top_k=10, lexical_weight=settings.lexical_weight),
        )[: settings.top_k]
        answer = compose_answer(case.question, vector, hits, data, model, templates, config)
        if case.gold_doc is None:
            removed += 1
            abstained += not answer.answered
        else:
            answerable += 1
            quotes = " ".join(c.quote for c in answer.citations).lower()
            right += answer.answered and case.answer.lower() in quotes
    return {
        "answer_in_excerpt": round(right / answerable, 4),
        "abstain_on_removed": round(abstained / removed, 4),
    }


def main() -> None:
    """Pool, answer both ways, write the figures."""
    args = argparse.Namespace(per_split=1000, news=1000, seed=13)
    embedder = SentenceTransformerEmbedder()
    data, corpus = ensure_bench_index(args, embedder)
    started = time.perf_counter()
    pooled, count = pooled_sentence_vectors(data, embedder)
    seconds = time.perf_counter() - started
    rows = {
        "sentences encoded alone (shipped)": answer_quality(data, corpus, embedder),
        "pooled from the passage (late chunking)": answer_quality(
            replace(data, sentence_store=ArrayVectorStore(pooled)), corpus, embedder
        ),
    }
    print(f"{len(data.passages)} passages, {count}/{len(data.sentences)} sentences pooled")
    print(f"one token pass over the passages: {seconds:.0f} s")
    print("| sentence vectors | answer in excerpt | abstained, passage removed |")
    print("|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['answer_in_excerpt']} | {r['abstain_on_removed']} |")
    out = ROOT / "benchmarks" / "results" / "late_chunking.json"
    out.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, 2 threads",
                "passages": len(data.passages),
                "sentences": len(data.sentences),
                "pooled": count,
                "token_pass_seconds": round(seconds, 1),
                "split": "tuning",
                "rows": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
