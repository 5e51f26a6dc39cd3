"""Eval reports: report.json, report.md, JUnit XML (one test case per question), a rich table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from assistant.evals.evaluate import BaselineDiff, CaseResult, result_dicts

_TOTAL_LABELS = {
    "fact_coverage": "fact coverage",
    "recall_at_k": "recall@k",
    "mrr": "MRR",
    "citation_exactness": "citation exactness",
    "abstention_recall": "abstention recall",
    "abstention_precision": "abstention precision",
    "wrongly_abstained": "answerable wrongly abstained",
    "latency_p50_ms": "latency p50 (ms)",
    "latency_p95_ms": "latency p95 (ms)",
}


def _facts_cell(r: CaseResult) -> str:
    if r.kind == "unanswerable":
        return "abstained" if not r.answered else "ANSWERED"
    return ", ".join(("✓ " if ok else "✗ ") + fact for fact, ok in r.facts.items())


def print_table(
    console: Console,
    results: Sequence[CaseResult],
    totals: dict[str, float],
    diff: BaselineDiff,
    failures: Sequence[str],
) -> None:
    """The terminal view: one row per case, then totals and the baseline diff."""
    table = Table(title="Eval cases", show_lines=False)
    for column in ("case", "status", "facts", "rank", "conf", "ms"):
        table.add_column(column)
    for r in results:
        colour = {"pass": "green", "fail": "red", "skipped": "yellow"}[r.status]
        rank = "" if not r.reciprocal_rank else f"{1 / r.reciprocal_rank:.0f}"
        table.add_row(
            r.id,
            f"[{colour}]{r.status}[/{colour}]",
            _facts_cell(r) if r.status != "skipped" else r.note,
            rank,
            f"{r.confidence:.2f}" if r.status != "skipped" else "",
            f"{r.latency_ms:.0f}" if r.status != "skipped" else "",
        )
    console.print(table)
    summary = Table(title="Totals")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    summary.add_row("cases run / skipped", f"{totals['cases']:.0f} / {totals['skipped']:.0f}")
    summary.add_row("cases passed", f"{totals['passed']:.0f}")
    for key, label in _TOTAL_LABELS.items():
        summary.add_row(label, f"{totals[key]:.3f}" if "ms" not in key else f"{totals[key]:.1f}")
    console.print(summary)
    for case, fact in diff.lost:
        console.print(f"[red]lost[/red]   {case}: {fact}")
    for case, fact in diff.gained:
        console.print(f"[green]gained[/green] {case}: {fact}")
    for case in diff.newly_answered:
        console.print(f"[red]now answered (should abstain)[/red] {case}")
    for case in diff.newly_abstained:
        console.print(f"[green]now abstains[/green] {case}")
    if failures:
        console.print("[bold red]FAILED[/bold red]: " + "; ".join(failures))
    else:
        console.print("[bold green]PASSED[/bold green]: no fact lost, every threshold met")


def write_reports(
    report_dir: Path,
    results: Sequence[CaseResult],
    totals: dict[str, float],
    diff: BaselineDiff,
    failures: Sequence[str],
    meta: dict[str, Any],
) -> dict[str, Path]:
    """Write report.json, report.md and junit.xml; returns their paths."""
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": report_dir / "report.json",
        "md": report_dir / "report.md",
        "junit": report_dir / "junit.xml",
    }
    payload = {
        "meta": meta,
        "totals": totals,
        "passed": not failures,
        "failures": list(failures),
        "diff": asdict(diff),
        "cases": result_dicts(results),
    }
    paths["json"].write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    paths["md"].write_text(_markdown(results, totals, diff, failures, meta), encoding="utf-8")
    _junit(results).write(paths["junit"], encoding="utf-8", xml_declaration=True)
    return paths


def _markdown(
    results: Sequence[CaseResult],
    totals: dict[str, float],
    diff: BaselineDiff,
    failures: Sequence[str],
    meta: dict[str, Any],
) -> str:
    lines = [
        "# Eval report",
        "",
        f"Gold file `{meta.get('gold')}`, index built {meta.get('built_at')}, "
        f"model `{meta.get('model')}`.",
        "",
        f"**{'FAILED' if failures else 'PASSED'}**"
        + (": " + "; ".join(failures) if failures else ""),
        "",
        "| metric | value |",
        "|---|---|",
        f"| cases run / skipped | {totals['cases']:.0f} / {totals['skipped']:.0f} |",
        f"| cases passed | {totals['passed']:.0f} |",
    ]
    lines += [f"| {label} | {totals[key]:.3f} |" for key, label in _TOTAL_LABELS.items()]
    if diff.lost or diff.gained or diff.newly_answered:
        lines += ["", "## Against the baseline", ""]
        lines += [f"- lost: `{c}`: {f}" for c, f in diff.lost]
        lines += [f"- gained: `{c}`: {f}" for c, f in diff.gained]
        lines += [f"- now answered (should abstain): `{c}`" for c in diff.newly_answered]
    lines += ["", "## Cases", "", "| case | status | facts | confidence |", "|---|---|---|---|"]
    for r in results:
        facts = _facts_cell(r) if r.status != "skipped" else r.note
        lines.append(f"| {r.id} | {r.status} | {facts} | {r.confidence:.2f} |")
    return "\n".join(lines) + "\n"


def _junit(results: Sequence[CaseResult]) -> ET.ElementTree[ET.Element]:
    suite = ET.Element(
        "testsuite",
        name="assistant-eval",
        tests=str(len(results)),
        failures=str(sum(r.status == "fail" for r in results)),
        skipped=str(sum(r.status == "skipped" for r in results)),
        time=f"{sum(r.latency_ms for r in results) / 1000:.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"gold.{r.kind}",
            name=r.id,
            time=f"{r.latency_ms / 1000:.3f}",
        )
        if r.status == "skipped":
            ET.SubElement(case, "skipped", message=r.note)
        elif r.status == "fail":
            failure = ET.SubElement(case, "failure", message=_facts_cell(r))
            failure.text = f"question: {' / '.join(r.questions)}\nanswer: {r.answer}"
    return ET.ElementTree(suite)
