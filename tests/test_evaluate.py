"""Eval metrics, baseline diff and gate on small inline data; reports on disk."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from assistant.errors import InvalidInputError
from assistant.evals.evaluate import (
    CaseResult,
    GoldCase,
    GoldSet,
    Thresholds,
    ask_runner,
    baseline_payload,
    diff_against_baseline,
    gate,
    load_gold,
    run_cases,
    summarize,
)
from assistant.evals.reports import write_reports
from assistant.pipeline import Assistant

ROOT = Path(__file__).resolve().parents[1]


def _result(case_id: str, kind: str, answered: bool, facts: dict[str, bool]) -> CaseResult:
    ok = (answered and all(facts.values())) if kind == "answerable" else not answered
    return CaseResult(
        id=case_id,
        kind=kind,
        questions=["q"],
        status="pass" if ok else "fail",
        answered=answered,
        facts=facts,
        recall_at_k=1.0 if kind == "answerable" else None,
        reciprocal_rank=0.5 if kind == "answerable" else None,
        citations=1,
        exact_citations=1,
        latency_ms=10.0,
    )


def test_the_shipped_gold_file_is_valid_and_big_enough() -> None:
    gold = load_gold(ROOT / "evals" / "gold.yaml")
    kinds = [c.kind for c in gold.cases]
    assert len(gold.cases) >= 40
    assert kinds.count("unanswerable") >= 10
    assert sum(c.requires == "multi_turn" for c in gold.cases) >= 5
    assert sum("paraphrase" in c.tags for c in gold.cases) >= 5
    assert sum("two-sentence" in c.tags for c in gold.cases) >= 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("cases: [{id: a, kind: answerable, question: q}]", "needs `facts` and `doc`"),
        ("cases: [{id: a, kind: unanswerable}]", "exactly one of"),
        ("cases: [{id: a, kind: maybe, question: q}]", "kind"),
        (
            "cases: [{id: a, kind: unanswerable, question: q},"
            " {id: a, kind: unanswerable, question: r}]",
            "duplicate case ids: a",
        ),
        ("cases: [", "not valid YAML"),
    ],
)
def test_invalid_gold_files_name_the_problem(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "gold.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=fragment):
        load_gold(path)


def test_summary_metrics() -> None:
    results = [
        _result("a", "answerable", True, {"x": True, "y": False}),
        _result("b", "answerable", False, {"z": False}),
        _result("u", "unanswerable", False, {}),
        _result("v", "unanswerable", True, {}),
    ]
    totals = summarize(results)
    assert totals["fact_coverage"] == pytest.approx(1 / 3, abs=1e-4)
    assert totals["abstention_recall"] == 0.5
    assert totals["abstention_precision"] == 0.5  # abstained on b (answerable) and u
    assert totals["wrongly_abstained"] == 0.5
    assert totals["mrr"] == 0.5
    assert totals["citation_exactness"] == 1.0


def test_diff_finds_lost_and_gained_facts_and_new_answers() -> None:
    before = [
        _result("a", "answerable", True, {"x": True, "y": False}),
        _result("u", "unanswerable", False, {}),
    ]
    baseline = baseline_payload(before, summarize(before))
    after = [
        _result("a", "answerable", True, {"x": False, "y": True}),
        _result("u", "unanswerable", True, {}),
        _result("new", "answerable", True, {"w": True}),
    ]
    diff = diff_against_baseline(after, baseline)
    assert diff.lost == [("a", "x")]
    assert diff.gained == [("a", "y")]
    assert diff.newly_answered == ["u"]
    assert diff.new_cases == ["new"]
    reasons = gate(summarize(after), Thresholds(fact_coverage=0.9), diff)
    assert any("fact lost: a: 'x'" in r for r in reasons)
    assert any("now answered: u" in r for r in reasons)
    assert any("fact_coverage" in r for r in reasons)
    same = diff_against_baseline(before, baseline)
    assert gate(summarize(before), Thresholds(), same) == []


def test_reports_are_written(tmp_path: Path) -> None:
    results = [
        _result("a", "answerable", True, {"x": False}),
        CaseResult(id="s", kind="answerable", questions=["q"], status="skipped", note="later"),
    ]
    totals = summarize(results)
    diff = diff_against_baseline(results, None)
    paths = write_reports(tmp_path, results, totals, diff, ["boom"], {"gold": "g"})
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["passed"] is False and report["totals"]["skipped"] == 1
    suite = ET.parse(paths["junit"]).getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert suite.find("testcase[@name='s']/skipped") is not None
    assert "FAILED" in paths["md"].read_text(encoding="utf-8")


def test_cases_run_through_the_assistant(fake_assistant: Assistant) -> None:
    gold = GoldSet(
        cases=[
            GoldCase(
                id="oman",
                question="Where were the talks in Oman held?",
                kind="answerable",
                doc="000_a1b2fa8f02a3a778",
                facts=["Oman"],
            ),
            GoldCase(id="aus", question="What is the capital of Australia?", kind="unanswerable"),
            GoldCase(
                id="fu",
                turns=["a?", "b?"],
                kind="unanswerable",
                requires="multi_turn",
            ),
        ]
    )
    results = run_cases(gold, ask_runner(fake_assistant.ask), fake_assistant.data.documents)
    by_id = {r.id: r for r in results}
    assert by_id["oman"].status == "pass" and by_id["oman"].facts == {"Oman": True}
    assert by_id["oman"].recall_at_k == 1.0
    assert by_id["aus"].status == "pass" and not by_id["aus"].answered
    assert by_id["fu"].status == "skipped"
