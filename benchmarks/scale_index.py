"""A million-passage index of real news sentences with their real vectors, for the
end-to-end run at scale (`benchmarks/latency.py` serves and measures it).

    .venv/bin/python benchmarks/scale_index.py [--passages 1000000]
    .venv/bin/python benchmarks/latency.py --index news1m=.cache/scale-index-1000000 \\
        --server-env ASSISTANT_PASSAGE_MAX_CHARS=300 \\
        --server-env ASSISTANT_PASSAGE_VECTORS=sentence_mean --out latency-1m.json

No million-passage corpus installs offline, and encoding one here would take about eight
hours, so the passages are made of what is here: the 126,810 sentences of the ~100k
news index (`benchmarks/news_index.py`, 4,921 CNN/DailyMail articles), each with the
vector the model gave it there. A passage is 2 or 3 of them drawn at random (seed 13),
four passages a document; its vector is the normalised mean of its sentences' vectors,
as `ASSISTANT_PASSAGE_VECTORS=sentence_mean` makes it. A sentence recurs in about 20
passages, so this is realistic text and real vectors at the size asked for, not a
million distinct passages. The build goes through the store's own `write_index` (FAISS
HNSW, SQLite, BM25, checksums), skipping only chunking and encoding.
Prints the build time and peak memory and writes benchmarks/results/scale_index.json.

    .venv/bin/python benchmarks/scale_index.py --recall

measures the built index's HNSW against an exact scan of its own vectors with the 200
HaluEval report questions (encoded by the model): recall@10 and search latency at the
shipped efSearch and beside it; writes benchmarks/results/scale_recall.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.records import Document, Passage, Sentence
from assistant.search.embed import unit_rows
from assistant.search.store import load_index, write_index
from benchmarks.halueval_data import CACHE, ROOT

SOURCE = CACHE / "news-index-100000"
PASSAGES_A_DOCUMENT = 4


def recall(index_dir: Path, questions: int = 200) -> None:
    """recall@10 of the HNSW index against the exact scan, real question vectors."""
    import faiss

    from assistant.search.embed import SentenceTransformerEmbedder
    from assistant.search.store import current_build_dir
    from assistant.search.vectors import default_ef_search
    from benchmarks.halueval_data import build_corpus

    hnsw = faiss.read_index(str(current_build_dir(index_dir) / "passages.faiss"))
    exact = faiss.IndexFlatIP(hnsw.d)
    exact.add(hnsw.reconstruct_n(0, hnsw.ntotal))
    texts = [c.question for c in build_corpus().report[:questions]]
    vectors = SentenceTransformerEmbedder().encode(texts)
    _, truth = exact.search(vectors, 10)
    rows = []
    shipped = default_ef_search(hnsw.ntotal)
    for ef in sorted({96, 192, shipped, 768}):
        hnsw.hnsw.efSearch = ef
        times, found = [], 0
        for vector, want in zip(vectors, truth, strict=True):
            started = time.perf_counter()
            _, got = hnsw.search(vector.reshape(1, -1), 10)
            times.append((time.perf_counter() - started) * 1000)
            found += len(set(got[0]) & set(want))
        row = {
            "ef_search": ef,
            "shipped": ef == shipped,
            "recall_at_10": round(found / (10 * len(texts)), 3),
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2),
        }
        rows.append(row)
        print(row, flush=True)
    out = ROOT / "benchmarks" / "results" / "scale_recall.json"
    result = {"vectors": hnsw.ntotal, "questions": len(texts), "rows": rows}
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Draw the passages, write the index, print what it took."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--recall", action="store_true", help="measure the built index")
    args = parser.parse_args()
    if args.recall:
        recall(CACHE / f"scale-index-{args.passages}")
        return
    if not (SOURCE / "CURRENT").exists():
        sys.exit(f"error: {SOURCE} is missing: build it first with benchmarks/news_index.py")
    started = time.perf_counter()
    source = load_index(SOURCE, verify_checksums=False)
    texts = [s.text.strip() for s in source.sentences]
    vectors = source.sentence_store.get(list(range(len(texts))))
    print(f"{len(texts):,} source sentences read in {time.perf_counter() - started:.0f} s")

    rng = np.random.default_rng(args.seed)
    counts = rng.integers(2, 4, size=args.passages)  # 2 or 3 sentences a passage
    picks = rng.integers(0, len(texts), size=int(counts.sum()))
    documents: list[Document] = []
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    passage_vectors = np.empty((args.passages, vectors.shape[1]), dtype=np.float32)
    at = 0
    for first in range(0, args.passages, PASSAGES_A_DOCUMENT):
        doc_id = f"news1m/{first // PASSAGES_A_DOCUMENT:06d}"
        parts: list[str] = []
        offset = 0
        for pid in range(first, min(first + PASSAGES_A_DOCUMENT, args.passages)):
            chosen = picks[at : at + counts[pid]]
            at += int(counts[pid])
            if parts:
                offset += 2  # "\n\n" between passages
            start = offset
            ids = []
            for k, row in enumerate(chosen):
                if k:
                    offset += 1  # " " between sentences
                text = texts[row]
                ids.append(len(sentences))
                sentences.append(Sentence(len(sentences), doc_id, offset, offset + len(text), text))
                offset += len(text)
            body = " ".join(texts[row] for row in chosen)
            passages.append(Passage(pid, doc_id, start, offset, body, tuple(ids)))
            passage_vectors[pid] = vectors[chosen].mean(axis=0)
            parts.append(body)
        text = "\n\n".join(parts)
        documents.append(Document(doc_id, parts[0][:80], text))
    sentence_vectors = vectors[picks]
    passage_vectors = unit_rows(passage_vectors)
    drawn = time.perf_counter() - started
    print(f"{len(passages):,} passages, {len(sentences):,} sentences drawn in {drawn:.0f} s")

    index_dir = CACHE / f"scale-index-{args.passages}"
    written = time.perf_counter()
    manifest = write_index(
        index_dir,
        documents=documents,
        passages=passages,
        sentences=sentences,
        passage_vectors=passage_vectors,
        sentence_vectors=sentence_vectors,
        model=source.manifest.model,
        dim=source.manifest.dim,
        corpus_fingerprint=f"synthetic-{args.passages}-{args.seed}",
        chunking=source.manifest.chunking,
        build_seconds=time.perf_counter() - started,
    )
    seconds = time.perf_counter() - written
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "index_dir": str(index_dir.relative_to(ROOT)),
        "documents": manifest.documents,
        "passages": manifest.passages,
        "sentences": manifest.sentences,
        "write_index_seconds": round(seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results" / "scale_index.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
