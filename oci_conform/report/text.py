"""The terminal matrix: clauses x implementations, grouped by spec and document, with totals."""
from __future__ import annotations

from itertools import groupby

from tabulate import tabulate

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results
from oci_conform.model.rollup import cell_outcomes, per_implementation

FORMAT = "text"
MAX_DETAILS = 40


def _cell(outcome: Outcome | None) -> str:
    return f"{outcome.glyph} {outcome.value}" if outcome else ""


def _sort_key(results: Results, clause: str) -> tuple[str, str, str]:
    info = results.clauses.get(clause)
    return (info.spec, info.document, clause) if info else ("~", "~", clause)


def _group(results: Results, clause: str) -> str:
    info = results.clauses.get(clause)
    return f"{info.spec} / {info.document}" if info else "(unknown clause)"


def matrix_table(results: Results) -> str:
    impls = [i.name for i in results.implementations]
    cells = cell_outcomes(results)
    clauses = sorted({c for c, _ in cells}, key=lambda c: _sort_key(results, c))
    rows: list[list[str]] = []
    for group, members in groupby(clauses, key=lambda c: _group(results, c)):
        rows.append([f"[{group}]", ""] + [""] * len(impls))
        for clause in members:
            info = results.clauses.get(clause)
            rows.append([clause, info.level.value if info else "?"]
                        + [_cell(cells.get((clause, name))) for name in impls])
    tallies = per_implementation(results)
    rows.append(["passed / judged", ""] + [
        f"{tallies[n].passed}/{tallies[n].judged}" if n in tallies else "0/0" for n in impls])
    return tabulate(rows, headers=["clause", "level", *impls], tablefmt="simple")


def _details(r: CaseResult) -> list[str]:
    lines = [f"{r.outcome.glyph} {r.outcome.value} {r.clause} on {r.implementation}"
             + (f" [{r.case}]" if r.case else "") + (f": {r.message}" if r.message else "")]
    for f in r.findings[:5]:
        where = f"{f.file}:{f.location}" if f.file else f.location
        lines.append(f"    {where}: {f.message}"
                     + (f" (expected {f.expected}, got {f.actual})" if f.expected or f.actual
                        else ""))
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
    for problem in results.harness_errors:
        out.append(f"harness error: {problem}")
    return "\n".join(out) + "\n"
