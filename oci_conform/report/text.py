"""The terminal matrix: clauses x implementations, grouped by spec and document, with totals.

A cell beyond the version its implementation claims carries ``†`` (its outcome is shown but
kept out of the exit code and of ``passed / judged``); a note under the table says so. Below
the table, each problem with its findings, command, exit code, stderr tail and exchanges.
"""
from __future__ import annotations

from itertools import groupby

from tabulate import tabulate

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results
from oci_conform.model.rollup import beyond_cells, cell_outcomes, per_implementation
from oci_conform.report._shared import BEYOND, beyond_note, evidence_lines

FORMAT = "text"
MAX_DETAILS = 40
MARK = "†"


def _cell(outcome: Outcome | None, beyond: bool = False) -> str:
    if outcome is None:
        return ""
    return f"{outcome.glyph} {outcome.value}" + (MARK if beyond else "")


def _sort_key(results: Results, clause: str) -> tuple[str, str, str]:
    info = results.clauses.get(clause)
    return (info.spec, info.document, clause) if info else ("~", "~", clause)


def _group(results: Results, clause: str) -> str:
    info = results.clauses.get(clause)
    return f"{info.spec} / {info.document}" if info else "(unknown clause)"


def matrix_table(results: Results) -> str:
    impls = [i.name for i in results.implementations]
    cells = cell_outcomes(results)
    beyond = beyond_cells(results)
    clauses = sorted({c for c, _ in cells}, key=lambda c: _sort_key(results, c))
    rows: list[list[str]] = []
    for group, members in groupby(clauses, key=lambda c: _group(results, c)):
        rows.append([f"[{group}]", ""] + [""] * len(impls))
        for clause in members:
            info = results.clauses.get(clause)
            rows.append([clause, info.level.value if info else "?"]
                        + [_cell(cells.get((clause, name)), (clause, name) in beyond)
                           for name in impls])
    tallies = per_implementation(results)
    rows.append(["passed / judged", ""] + [
        f"{tallies[n].passed}/{tallies[n].judged}" if n in tallies else "0/0" for n in impls])
    if any(t.beyond for t in tallies.values()):
        rows.append([f"{MARK} {BEYOND}", ""] + [
            str(tallies[n].beyond) if n in tallies else "0" for n in impls])
    table = tabulate(rows, headers=["clause", "level", *impls], tablefmt="simple")
    if beyond:
        table += (f"\n{MARK} {BEYOND}: the clause is newer than the version the implementation "
                  "claims; shown, not counted in passed / judged nor in the exit code")
    return table


def _details(r: CaseResult) -> list[str]:
    lines = [f"{r.outcome.glyph} {r.outcome.value} {r.clause} on {r.implementation}"
             + (f" [{r.case}]" if r.case else "") + (f": {r.message}" if r.message else "")]
    if r.beyond_claim:
        lines.append(f"    {MARK} {beyond_note(r)}")
    for line in evidence_lines(r, max_findings=5, max_exchanges=3):
        lines.extend("    " + part for part in line.splitlines())
    return lines


def render(results: Results) -> str:
    out = [matrix_table(results)]
    bad = [r for r in results.results
           if r.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS)]
    if bad:
        out.append("")
        for r in bad[:MAX_DETAILS]:
            out.extend(_details(r))
        if len(bad) > MAX_DETAILS:
            out.append(f"... and {len(bad) - MAX_DETAILS} more (see the JSON or HTML report)")
    if results.interrupted:
        out.append(f"INCOMPLETE: {results.incomplete_reasons()[0]}")
    for problem in results.harness_errors:
        out.append(f"harness error: {problem}")
    return "\n".join(out) + "\n"
