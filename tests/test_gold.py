"""The seed gold set through the real pipeline: the CI gate of the evals issue."""

from __future__ import annotations

import json

import pytest

from assistant.evals.evaluate import (
    ask_runner,
    chat_runner,
    diff_against_baseline,
    gate,
    load_gold,
    run_cases,
    summarize,
)
from assistant.pipeline import Assistant
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_gold_set_keeps_every_baseline_fact(real_assistant: Assistant) -> None:
    gold = load_gold(ROOT / "evals" / "gold.yaml")
    baseline = json.loads((ROOT / "evals" / "baseline.json").read_text(encoding="utf-8"))
    results = run_cases(
        gold,
        ask_runner(real_assistant.ask),
        real_assistant.data.documents,
        chat=chat_runner(real_assistant.chat),
    )
    totals = summarize(results)
    diff = diff_against_baseline(results, baseline)
    failures = gate(totals, gold.thresholds, diff)
    assert failures == [], failures
    assert totals["citation_exactness"] == 1.0
    assert totals["skipped"] == 0  # multi-turn cases run through chat


def test_cli_eval_exits_non_zero_on_a_lost_fact(
    real_assistant: Assistant, tmp_path: pytest.TempPathFactory
) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    baseline = json.loads((ROOT / "evals" / "baseline.json").read_text(encoding="utf-8"))
    # a baseline that claims an unanswerable fact passed: the run must report it lost
    baseline["cases"]["foreign-minister"]["facts"]["Zanzibar"] = True
    gold = load_gold(ROOT / "evals" / "gold.yaml")
    case = next(c for c in gold.cases if c.id == "foreign-minister")
    case.facts.append("Zanzibar")
    gold_path = tmp_path / "gold.yaml"  # type: ignore[operator]
    import yaml

    gold_path.write_text(yaml.safe_dump(gold.model_dump(exclude_none=True)), encoding="utf-8")
    baseline_path = tmp_path / "baseline.json"  # type: ignore[operator]
    baseline_path.write_text(json.dumps(baseline), encoding="utf-8")
    settings = real_assistant.settings
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--gold",
            str(gold_path),
            "--baseline",
            str(baseline_path),
            "--report-dir",
            str(tmp_path / "reports"),  # type: ignore[operator]
            "--index-dir",
            str(settings.index_dir),
            "--corpus",
            str(settings.corpus_dir),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "fact lost: foreign-minister: 'Zanzibar'" in result.output
    report = json.loads((tmp_path / "reports" / "report.json").read_text())  # type: ignore[operator]
    assert report["passed"] is False
