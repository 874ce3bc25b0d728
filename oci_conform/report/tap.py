"""TAP version 14: one subtest per implementation, one test point per clause.

skip and n/a are ``ok ... # SKIP reason``; xfail is ``not ok ... # TODO reason``; fail, error
and xpass are ``not ok`` with a YAML diagnostic block (findings, the command with its exit
code and stderr tail, HTTP exchanges). A fail or xpass beyond the version the implementation
claims is kept out of the exit code: ``not ok ... # TODO beyond claimed version: ...``, with
its diagnostic block; so is one below the run's ``--fail-on`` threshold (``# TODO below
--fail-on ...``) when the caller gives one. Several cases judging the same clause on
the same implementation fold into one test point with the worst outcome. Problems that left the
run incomplete add one final ``not ok`` test point.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable

from oci_conform.model.outcome import Outcome, within_threshold, worst
from oci_conform.model.results import CaseResult, Results
from oci_conform.report._shared import (
    BEYOND,
    beyond_note,
    bounded,
    clause_info,
    command_line,
    finding_line,
    gist,
    implementation_names,
    more_findings,
    sorted_results,
    tail,
)

FORMAT = "tap"
DESCRIPTION = "TAP version 14, a subtest per implementation"
OPTIONS = ("fail_on",)

_NOT_OK = (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS, Outcome.XFAIL)
_BAD = (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS)
_BEYOND_OK = (Outcome.FAIL, Outcome.XPASS)     # kept out of the exit code beyond the claim
_INDENT = "    "


def escape(text: str) -> str:
    """A description or directive reason on one line, with TAP's special characters escaped."""
    one_line = " ".join(str(text).split())
    return one_line.replace("\\", "\\\\").replace("#", "\\#")


def _yaml_value(value: object) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML flow scalars."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(value)
    return json.dumps(str(value))


Quote = Callable[[object], str]


def yaml_block(results: Results, cases: list[CaseResult], outcome: Outcome,
               quote: Quote = _yaml_value) -> list[str]:
    """The YAML diagnostic of one test point (unindented), each scalar written by the quote
    function given (JSON strings for TAP 14)."""
    info = clause_info(results, cases[0].clause)
    lines = ["---", f"outcome: {quote(outcome.value)}", f"level: {quote(info.level)}",
             f"summary: {quote(info.summary)}"]
    if info.link:
        lines.append(f"link: {quote(info.link)}")
    lines.append("cases:")
    for r in cases:
        lines.append(f"  - outcome: {quote(r.outcome.value)}")
        for key in ("case", "message", "expectation"):
            if getattr(r, key):
                lines.append(f"    {key}: {quote(bounded(getattr(r, key)))}")
        if r.beyond_claim:
            lines.append(f"    beyond_claim: {quote(beyond_note(r))}")
        if r.findings:
            lines.append("    findings:")
            lines.extend(f"      - {quote(bounded(finding_line(f)))}"
                         for f in r.findings[:20])
            if more_findings(r, 20):
                lines.append(f"      - {quote(f'... and {more_findings(r, 20)} more')}")
        run = r.evidence.last_run
        if run is not None:
            lines.append(f"    command: {quote(command_line(run))}")
            lines.append(f"    exit_code: {quote(run.exit_code)}")
            if run.stderr:
                lines.append(f"    stderr: {quote(tail(run.stderr, 10, 2000))}")
        if r.evidence.exchanges:
            lines.append("    http:")
            lines.extend(f"      - {quote(bounded(x.line(), 1000))}"
                         for x in r.evidence.exchanges[:10])
    lines.append("...")
    return lines


def _todo(results: Results, cases: list[CaseResult], outcome: Outcome,
          fail_on: str | None) -> str:
    """Why a fail or xpass does not count (beyond the claimed version, below --fail-on)."""
    if outcome not in _BEYOND_OK:
        return ""
    first = next(r for r in cases if r.outcome is outcome)
    if all(r.beyond_claim for r in cases):
        return f"{BEYOND}: {first.beyond_claim}; {gist(first)}"
    level = clause_info(results, cases[0].clause).level
    if fail_on and not within_threshold(level, fail_on):
        return f"below --fail-on {fail_on}: {level.value}; {gist(first)}"
    return ""


def test_point(n: int, results: Results, cases: list[CaseResult], fail_on: str | None = None,
               prefix: str = "", quote: Quote = _yaml_value) -> tuple[list[str], bool]:
    """The lines of one test point (unindented) and whether it counts as a failure.
    ``prefix`` starts the description (TAP 13 names the implementation there)."""
    info = clause_info(results, cases[0].clause)
    outcome = worst(r.outcome for r in cases) or Outcome.ERROR
    first = next(r for r in cases if r.outcome is outcome)
    status = "not ok" if outcome in _NOT_OK else "ok"
    line = f"{status} {n} - {escape(f'{prefix}{info.id} [{info.level.value}] {outcome.value}')}"
    if outcome in (Outcome.SKIP, Outcome.NA):
        line += f" # SKIP {escape(f'{outcome.value}: {gist(first)}')}"
    elif outcome is Outcome.XFAIL:
        line += f" # TODO {escape(first.expectation or gist(first))}"
    todo = _todo(results, cases, outcome, fail_on)
    if todo:
        line += f" # TODO {escape(todo)}"
    lines = [line]
    if outcome in _BAD:
        lines.extend("  " + y for y in yaml_block(results, cases, outcome, quote))
    return lines, outcome in _BAD and not todo


def _subtest(results: Results, impl: str, by_clause: dict[str, list[CaseResult]],
             fail_on: str | None) -> tuple[list[str], bool]:
    lines = [f"# Subtest: {escape(impl)}"]
    body = [f"1..{len(by_clause)}"]
    failed = False
    for n, cases in enumerate(by_clause.values(), 1):
        point, bad = test_point(n, results, cases, fail_on)
        body.extend(point)
        failed = failed or bad
    info = results.implementation(impl)
    if not by_clause:
        reason = info.reason if info and info.reason else "no results"
        body = [f"1..0 # SKIP {escape(reason)}"]
    lines.extend(_INDENT + b for b in body)
    return lines, failed


def cells_by_implementation(results: Results) -> dict[str, dict[str, list[CaseResult]]]:
    """implementation -> clause -> its cases, in report order."""
    cells: dict[str, dict[str, list[CaseResult]]] = defaultdict(dict)
    for r in sorted_results(results):
        cells[r.implementation].setdefault(r.clause, []).append(r)
    return cells


def render(results: Results, fail_on: str | None = None) -> str:
    """TAP 14; with ``fail_on``, a fail below that level is ``# TODO`` (kept out of the
    verdict, as it is kept out of the exit code)."""
    cells = cells_by_implementation(results)
    impls = implementation_names(results)
    planned = len(impls) + (0 if results.complete else 1)
    out = ["TAP version 14", f"1..{planned}"]
    for n, impl in enumerate(impls, 1):
        lines, failed = _subtest(results, impl, cells.get(impl, {}), fail_on)
        out.extend(lines)
        version = results.implementation(impl)
        label = impl + (f" {version.version}" if version and version.version else "")
        out.append(f"{'not ok' if failed else 'ok'} {n} - {escape(label)}")
    if not results.complete:
        out.append(f"not ok {planned} - harness errors (results incomplete)")
        out.append("  ---")
        out.append("  harness_errors:")
        out.extend(f"    - {_yaml_value(p)}" for p in results.incomplete_reasons())
        out.append("  ...")
    return "\n".join(out) + "\n"
