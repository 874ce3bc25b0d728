"""TAP version 14: one subtest per implementation, one test point per clause.

skip and n/a are ``ok ... # SKIP reason``; xfail is ``not ok ... # TODO reason``; fail, error
and xpass are ``not ok`` with a YAML diagnostic block (findings, the command with its exit
code and stderr tail, HTTP exchanges). A fail or xpass beyond the version the implementation
claims is kept out of the exit code: ``not ok ... # TODO beyond claimed version: ...``, with
its diagnostic block. Several cases judging the same clause on
the same implementation fold into one test point with the worst outcome. Problems that left the
run incomplete add one final ``not ok`` test point.
"""
from __future__ import annotations

import json
from collections import defaultdict

from oci_conform.model.outcome import Outcome, worst
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

_NOT_OK = (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS, Outcome.XFAIL)
_BAD = (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS)
_BEYOND_OK = (Outcome.FAIL, Outcome.XPASS)     # kept out of the exit code beyond the claim
_INDENT = "    "


def _escape(text: str) -> str:
    """A description or directive reason on one line, with TAP's special characters escaped."""
    one_line = " ".join(str(text).split())
    return one_line.replace("\\", "\\\\").replace("#", "\\#")


def _yaml_value(value: object) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML flow scalars."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(value)
    return json.dumps(str(value))


def _yaml_block(results: Results, cases: list[CaseResult], outcome: Outcome) -> list[str]:
    info = clause_info(results, cases[0].clause)
    lines = ["---", f"outcome: {_yaml_value(outcome.value)}", f"level: {_yaml_value(info.level)}",
             f"summary: {_yaml_value(info.summary)}"]
    if info.link:
        lines.append(f"link: {_yaml_value(info.link)}")
    lines.append("cases:")
    for r in cases:
        lines.append(f"  - outcome: {_yaml_value(r.outcome.value)}")
        for key in ("case", "message", "expectation"):
            if getattr(r, key):
                lines.append(f"    {key}: {_yaml_value(bounded(getattr(r, key)))}")
        if r.beyond_claim:
            lines.append(f"    beyond_claim: {_yaml_value(beyond_note(r))}")
        if r.findings:
            lines.append("    findings:")
            lines.extend(f"      - {_yaml_value(bounded(finding_line(f)))}"
                         for f in r.findings[:20])
            if more_findings(r, 20):
                lines.append(f"      - {_yaml_value(f'... and {more_findings(r, 20)} more')}")
        run = r.evidence.last_run
        if run is not None:
            lines.append(f"    command: {_yaml_value(command_line(run))}")
            lines.append(f"    exit_code: {_yaml_value(run.exit_code)}")
            if run.stderr:
                lines.append(f"    stderr: {_yaml_value(tail(run.stderr, 10, 2000))}")
        if r.evidence.exchanges:
            lines.append("    http:")
            lines.extend(f"      - {_yaml_value(bounded(x.line(), 1000))}"
                         for x in r.evidence.exchanges[:10])
    lines.append("...")
    return lines


def _test_point(n: int, results: Results, cases: list[CaseResult]) -> tuple[list[str], bool]:
    """The lines of one test point (unindented) and whether it counts as a failure."""
    info = clause_info(results, cases[0].clause)
    outcome = worst(r.outcome for r in cases) or Outcome.ERROR
    first = next(r for r in cases if r.outcome is outcome)
    status = "not ok" if outcome in _NOT_OK else "ok"
    line = f"{status} {n} - {_escape(f'{info.id} [{info.level.value}] {outcome.value}')}"
    if outcome in (Outcome.SKIP, Outcome.NA):
        line += f" # SKIP {_escape(f'{outcome.value}: {gist(first)}')}"
    elif outcome is Outcome.XFAIL:
        line += f" # TODO {_escape(first.expectation or gist(first))}"
    beyond = outcome in _BEYOND_OK and all(r.beyond_claim for r in cases)
    if beyond:
        line += f" # TODO {_escape(f'{BEYOND}: {first.beyond_claim}; {gist(first)}')}"
    lines = [line]
    if outcome in _BAD:
        lines.extend("  " + y for y in _yaml_block(results, cases, outcome))
    return lines, outcome in _BAD and not beyond


def _subtest(results: Results, impl: str,
             by_clause: dict[str, list[CaseResult]]) -> tuple[list[str], bool]:
    lines = [f"# Subtest: {_escape(impl)}"]
    body = [f"1..{len(by_clause)}"]
    failed = False
    for n, cases in enumerate(by_clause.values(), 1):
        point, bad = _test_point(n, results, cases)
        body.extend(point)
        failed = failed or bad
    info = results.implementation(impl)
    if not by_clause:
        reason = info.reason if info and info.reason else "no results"
        body = [f"1..0 # SKIP {_escape(reason)}"]
    lines.extend(_INDENT + b for b in body)
    return lines, failed


def render(results: Results) -> str:
    cells: dict[str, dict[str, list[CaseResult]]] = defaultdict(dict)
    for r in sorted_results(results):
        cells[r.implementation].setdefault(r.clause, []).append(r)
    impls = implementation_names(results)
    planned = len(impls) + (0 if results.complete else 1)
    out = ["TAP version 14", f"1..{planned}"]
    for n, impl in enumerate(impls, 1):
        lines, failed = _subtest(results, impl, cells.get(impl, {}))
        out.extend(lines)
        version = results.implementation(impl)
        label = impl + (f" {version.version}" if version and version.version else "")
        out.append(f"{'not ok' if failed else 'ok'} {n} - {_escape(label)}")
    if not results.complete:
        out.append(f"not ok {planned} - harness errors (results incomplete)")
        out.append("  ---")
        out.append("  harness_errors:")
        out.extend(f"    - {_yaml_value(p)}" for p in results.incomplete_reasons())
        out.append("  ...")
    return "\n".join(out) + "\n"
