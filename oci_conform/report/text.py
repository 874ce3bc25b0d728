"""The terminal matrix: clauses x implementations, grouped by spec and document, with totals.

How much it shows follows the run's verbosity:
- normal: rows with a problem (fail, error, xfail, xpass) are listed; rows without one (every
  cell pass, skip or n/a) fold into one line saying how many there are; then each problem
  with its evidence, then the verdict line;
- verbose (``-v``): every row;
- quiet (``-q``): no table, only the problems and the verdict line.

A cell beyond the version its implementation claims carries ``†`` (its outcome is shown but
kept out of the exit code and of ``passed / judged``); a note under the table says so. Each
column header carries its implementation's version on a second line, shortened
(``report/versions.py``), with the full text in a legend under the table. Colour
(ANSI) only when the caller asks for it (a terminal, NO_COLOR unset).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import groupby

from tabulate import tabulate

from oci_conform.model.outcome import SEVERITY, Outcome
from oci_conform.model.results import CaseResult, Results
from oci_conform.model.rollup import beyond_cells, cell_outcomes, per_implementation
from oci_conform.model.verdict import ExitCode, exit_code
from oci_conform.report._shared import BEYOND, beyond_note, evidence_lines
from oci_conform.report.versions import header, legend

FORMAT = "text"
OPTIONS = ("verbosity", "fail_on", "colour")
MAX_DETAILS = 40
MARK = "†"
QUIET, NORMAL, VERBOSE = -1, 0, 1
PROBLEM_ROW = frozenset({Outcome.FAIL, Outcome.ERROR, Outcome.XFAIL, Outcome.XPASS})
_DETAILED = (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS)
_COLOURS = {Outcome.PASS: "32", Outcome.FAIL: "1;31", Outcome.ERROR: "35", Outcome.XPASS: "33",
            Outcome.XFAIL: "36", Outcome.SKIP: "2", Outcome.NA: "2"}
_VERDICTS = {ExitCode.CONFORMANT: "conformant", ExitCode.NONCONFORMANT: "nonconformant",
             ExitCode.HARNESS_ERROR: "incomplete (harness error)",
             ExitCode.NOTHING_SELECTED: "nothing judged",
             ExitCode.INTERRUPTED: "incomplete (interrupted by SIGINT)",
             143: "incomplete (interrupted by SIGTERM)"}


@dataclass(frozen=True)
class Style:
    """How to write an outcome: with or without ANSI colour."""

    colour: bool = False

    def outcome(self, outcome: Outcome, text: str) -> str:
        return f"\x1b[{_COLOURS[outcome]}m{text}\x1b[0m" if self.colour else text


def _cell(style: Style, outcome: Outcome | None, beyond: bool = False) -> str:
    if outcome is None:
        return ""
    return style.outcome(outcome, f"{outcome.glyph} {outcome.value}") + (MARK if beyond else "")


def _sort_key(results: Results, clause: str) -> tuple[str, str, str]:
    info = results.clauses.get(clause)
    return (info.spec, info.document, clause) if info else ("~", "~", clause)


def _group(results: Results, clause: str) -> str:
    info = results.clauses.get(clause)
    return f"{info.spec} / {info.document}" if info else "(unknown clause)"


def _fold_line(folded: Counter[str]) -> str:
    total = sum(folded.values())
    parts = [f"{n} {what}" for what, n in (("all pass", folded["pass"]),
                                            ("with skips", folded["skip"]),
                                            ("n/a only", folded["n/a"])) if n]
    return (f"({total} rows without a problem folded: {', '.join(parts)}; -v lists them)")


def _row_kind(row_cells: list[Outcome | None]) -> str:
    """'problem' when a cell has one, else what the row is folded as."""
    present = {c for c in row_cells if c is not None}
    if present & PROBLEM_ROW:
        return "problem"
    if Outcome.SKIP in present:
        return "skip"
    return "pass" if Outcome.PASS in present else "n/a"


def matrix_table(results: Results, verbosity: int = VERBOSE, style: Style = Style()) -> str:
    """The table; below VERBOSE, rows without a problem fold into one line under it."""
    impls = [i.name for i in results.implementations]
    cells = cell_outcomes(results)
    beyond = beyond_cells(results)
    clauses = sorted({c for c, _ in cells}, key=lambda c: _sort_key(results, c))
    rows: list[list[str]] = []
    folded: Counter[str] = Counter()
    for group, members in groupby(clauses, key=lambda c: _group(results, c)):
        shown: list[list[str]] = []
        for clause in members:
            row_cells = [cells.get((clause, name)) for name in impls]
            kind = _row_kind(row_cells)
            if kind != "problem" and verbosity < VERBOSE:
                folded[kind] += 1
                continue
            info = results.clauses.get(clause)
            shown.append([clause, info.level.value if info else "?"]
                         + [_cell(style, c, (clause, name) in beyond)
                            for c, name in zip(row_cells, impls, strict=True)])
        if shown:
            rows.append([f"[{group}]", ""] + [""] * len(impls))
            rows.extend(shown)
    tallies = per_implementation(results)
    rows.append(["passed / judged", ""] + [
        f"{tallies[n].passed}/{tallies[n].judged}" if n in tallies else "0/0" for n in impls])
    if any(t.beyond for t in tallies.values()):
        rows.append([f"{MARK} {BEYOND}", ""] + [
            str(tallies[n].beyond) if n in tallies else "0" for n in impls])
    headers = [header(i) for i in results.implementations]
    table = tabulate(rows, headers=["clause", "level", *headers], tablefmt="simple")
    if folded:
        table += "\n" + _fold_line(folded)
    versions = legend(results.implementations)
    if versions:
        table += "\n" + "\n".join(versions)
    if beyond:
        table += (f"\n{MARK} {BEYOND}: the clause is newer than the version the implementation "
                  "claims; shown, not counted in passed / judged nor in the exit code")
    return table


def _details(r: CaseResult, style: Style) -> list[str]:
    head = style.outcome(r.outcome, f"{r.outcome.glyph} {r.outcome.value}")
    lines = [f"{head} {r.clause} on {r.implementation}"
             + (f" [{r.case}]" if r.case else "") + (f": {r.message}" if r.message else "")]
    if r.beyond_claim:
        lines.append(f"    {MARK} {beyond_note(r)}")
    for line in evidence_lines(r, max_findings=5, max_exchanges=3):
        lines.extend("    " + part for part in line.splitlines())
    return lines


def verdict_line(results: Results, fail_on: str = "must", style: Style = Style()) -> str:
    """One line: what the exit code will say, and the count of each outcome."""
    code = exit_code(results, fail_on)
    counts = Counter(r.outcome for r in results.results)
    tally = ", ".join(style.outcome(o, f"{counts[o]} {o.value}") for o in SEVERITY if counts[o])
    return (f"verdict: {_VERDICTS.get(code, str(int(code)))} at --fail-on {fail_on} "
            f"(exit {int(code)}); {tally or 'no outcomes'}")


def render(results: Results, verbosity: int = NORMAL, fail_on: str = "must",
           colour: bool = False) -> str:
    style = Style(colour)
    out = [] if verbosity <= QUIET else [matrix_table(results, verbosity, style)]
    bad = [r for r in results.results if r.outcome in _DETAILED]
    if bad:
        if out:
            out.append("")
        for r in bad[:MAX_DETAILS]:
            out.extend(_details(r, style))
        if len(bad) > MAX_DETAILS:
            out.append(f"... and {len(bad) - MAX_DETAILS} more (see the JSON or HTML report)")
    if results.interrupted:
        out.append(f"INCOMPLETE: {results.incomplete_reasons()[0]}")
    for problem in results.harness_errors:
        out.append(f"harness error: {problem}")
    out.append(verdict_line(results, fail_on, style))
    return "\n".join(out) + "\n"
