"""The Ray engine (`assistant index --engine ray`) on a local Ray instance builds the index
the local engine builds: same documents, passages and ids, vectors within 1e-5, same
answers; and re-indexing on Ray embeds only what changed."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.pipeline import Assistant
from assistant.search.indexing import ensure_index
from assistant.search.store import IndexData, load_index
from assistant.settings import Settings
from tests.conftest import SEEDS, make_settings

ray = pytest.importorskip("ray", reason="the Ray engine is the optional extra '.[ray]'")

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Where were the talks held?",
    "Who is Iran's foreign minister?",
    "What is the capital of Australia?",
]


def _corpus(folder: Path) -> Path:
    """The seed article and 240 more documents in three formats, plus two files that
    must be skipped the same way by both engines."""
    shutil.copytree(SEEDS, folder)
    article = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
    sentences = [s.strip() + "." for s in article.replace("\n", " ").split(". ") if len(s) > 40]
    rng = random.Random(7)
    for i in range(200):
        body = " ".join(rng.sample(sentences, rng.randint(2, 6)))
        (folder / "notes" / f"n{i:03d}.md").parent.mkdir(exist_ok=True)
        (folder / "notes" / f"n{i:03d}.md").write_text(f"# Note {i}\n\n{body}\n", "utf-8")
    rows = [
        {"id": f"r{i}", "title": f"Record {i}", "text": " ".join(rng.sample(sentences, 3))}
        for i in range(40)
    ]
    (folder / "records.jsonl").write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    (folder / "empty.txt").write_text("", "utf-8")
    (folder / "binary.txt").write_bytes(b"\0\1\2 not text")
    return folder


def _same_index(a: IndexData, b: IndexData) -> None:
    assert list(a.documents.values()) == list(b.documents.values())
    assert list(a.passages) == list(b.passages)  # same text, offsets and ids
    assert list(a.sentences) == list(b.sentences)
    passages = list(range(len(a.passages)))
    sentences = list(range(len(a.sentences)))
    np.testing.assert_allclose(
        a.passage_store.get(passages), b.passage_store.get(passages), atol=1e-5
    )
    np.testing.assert_allclose(
        a.sentence_store.get(sentences), b.sentence_store.get(sentences), atol=1e-5
    )


@pytest.fixture(scope="module")
def local_ray() -> Iterator[object]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_the_ray_engine_builds_the_local_engines_index(
    tmp_path: Path, real_embedder: object, local_ray: object
) -> None:
    corpus = _corpus(tmp_path / "corpus")
    local = make_settings(tmp_path / "local", corpus=corpus)
    on_ray = make_settings(tmp_path / "ray", corpus=corpus, index_engine="ray", ray_actors=2)
    built = ensure_index(local, lambda: real_embedder)  # type: ignore[arg-type,return-value]
    seen: list[tuple[str, int, int]] = []
    result = ensure_index(on_ray, lambda: None, progress=lambda *p: seen.append(p))  # type: ignore[arg-type,return-value]
    assert built.delta and result.delta
    assert result.delta.added == built.delta.added == 1 + 200 + 40
    assert seen and seen[-1][1] == seen[-1][2]  # progress reached the end
    a, b = load_index(local.index_dir), load_index(on_ray.index_dir)
    _same_index(a, b)
    assert b.manifest.model == a.manifest.model and b.manifest.corpus_fingerprint == (
        a.manifest.corpus_fingerprint
    )
    here = Assistant.from_settings(local, real_embedder)  # type: ignore[arg-type]
    there = Assistant.from_settings(on_ray, real_embedder)  # type: ignore[arg-type]
    for question in QUESTIONS:
        x, y = here.ask(question), there.ask(question)
        assert (x.answered, x.text, x.citations) == (y.answered, y.text, y.citations)

    # re-index on Ray after a change: only the changed and the new document are embedded
    (corpus / "notes" / "n005.md").write_text("# Note 5\n\nThe talks moved to Geneva.\n", "utf-8")
    (corpus / "notes" / "n999.md").write_text("# Note 999\n\nA new note on trade.\n", "utf-8")
    (corpus / "notes" / "n006.md").unlink()
    again = ensure_index(on_ray, lambda: None)  # type: ignore[arg-type,return-value]
    local_again = ensure_index(local, lambda: real_embedder)  # type: ignore[arg-type,return-value]
    assert again.delta and local_again.delta
    delta = again.delta
    assert (delta.added, delta.changed, delta.removed) == (1, 1, 1)
    assert delta.embedded_passages == local_again.delta.embedded_passages == 2
    _same_index(load_index(local.index_dir), load_index(on_ray.index_dir))


def test_the_cli_says_how_to_get_ray_when_the_address_is_wrong(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
        "RAY_ADDRESS": "",
    }
    done = run_cli("index", str(SEEDS), "--engine", "ray", "--ray-address", "127.0.0.1:1", env=env)
    assert done.returncode == 2, done.stderr
    assert "ASSISTANT_RAY_ADDRESS" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "index" / "CURRENT").exists()  # nothing half-written


def test_a_bad_engine_name_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="local"):
        Settings(index_engine="spark")  # type: ignore[arg-type]


def test_the_cluster_configs_in_the_docs_are_valid() -> None:
    """`ray up`'s config passes Ray's own autoscaler schema; the KubeRay job's command
    uses only options `assistant index` has."""
    import jsonschema
    import yaml

    docs = Path(__file__).resolve().parents[1] / "docs" / "ray"
    schema_file = Path(ray.__file__).parent / "autoscaler" / "ray-schema.json"
    cluster = yaml.safe_load((docs / "cluster.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(cluster, json.loads(schema_file.read_text(encoding="utf-8")))
    assert cluster["head_node_type"] in cluster["available_node_types"]
    job = yaml.safe_load((docs / "rayjob.yaml").read_text(encoding="utf-8"))
    assert job["kind"] == "RayJob" and job["apiVersion"] == "ray.io/v1"
    command = job["spec"]["entrypoint"].split()
    assert command[:2] == ["assistant", "index"] and "--engine" in command
    from typer.testing import CliRunner

    from assistant.cli import app

    usage = CliRunner().invoke(app, ["index", "--help"], env={"COLUMNS": "200"}).output
    for option in (w for w in command if w.startswith("--")):
        assert option in usage, option
