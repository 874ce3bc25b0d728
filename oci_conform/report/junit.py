"""JUnit XML (valid against Jenkins' junit-10 XSD): a testsuite per implementation.

One testcase per clause x implementation (several cases judging the same cell are folded into
one testcase with the worst outcome). fail/xpass -> <failure>, error -> <error>, skip, n/a and
xfail -> <skipped> with the reason. A fail or xpass beyond the version the implementation claims
is kept out of the exit code, so it is a <skipped type="beyond-claim"> whose message starts with
"beyond claimed version". A failure's body shows the findings, the command with its exit code
and stderr tail, and the HTTP exchanges. Problems that left the run incomplete become <error>
testcases of a separate "oci-conform harness" suite. Provenance goes into <properties>.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from oci_conform.model.outcome import Outcome, worst
from oci_conform.model.results import CaseResult, Results
from oci_conform.report._shared import (
    BEYOND,
    clause_info,
    evidence_summary,
    gist,
    implementation_names,
    sorted_results,
)

FORMAT = "junit"
DESCRIPTION = "JUnit XML (junit-10 XSD), a testsuite per implementation"

_BAD_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FAILURE = (Outcome.FAIL, Outcome.XPASS)
_SKIPPED = (Outcome.SKIP, Outcome.NA, Outcome.XFAIL)


def _clean(text: object) -> str:
    """Text XML 1.0 can hold: control characters become U+FFFD."""
    return _BAD_XML.sub("\ufffd", str(text))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _property(parent: ET.Element, name: str, value: object) -> None:
    ET.SubElement(parent, "property", name=_clean(name), value=_clean(value))


def _properties(parent: ET.Element, results: Results, impl_name: str) -> None:
    props = ET.SubElement(parent, "properties")
    _property(props, "oci-conform.version", results.tool_version)
    _property(props, "catalog.version", results.catalog_version)
    for spec, version in sorted(results.specs.items()):
        _property(props, f"spec.{spec}", version)
    impl = results.implementation(impl_name)
    if impl is not None:
        for key in ("kind", "version", "command", "spec_version", "reason"):
            if getattr(impl, key):
                _property(props, f"implementation.{key}", getattr(impl, key))
        _property(props, "implementation.available", str(impl.available).lower())
    for key, value in sorted(results.host.items()):
        _property(props, f"host.{key}", value)
    _property(props, "started", results.started)
    if results.finished:
        _property(props, "finished", results.finished)


def _body(results: Results, cases: list[CaseResult]) -> str:
    info = clause_info(results, cases[0].clause)
    head = f"{info.level.value} {info.id}: {info.summary}" + (f"\n{info.link}" if info.link else "")
    parts = [head]
    for r in cases:
        label = f"[{r.outcome.value}]" + (f" {r.case}" if r.case else "")
        parts.append(f"{label}\n{evidence_summary(r)}".rstrip())
    return _clean("\n\n".join(parts))


def _testcase(suite: ET.Element, results: Results, cases: list[CaseResult]) -> Outcome:
    info = clause_info(results, cases[0].clause)
    outcome = worst(r.outcome for r in cases) or Outcome.ERROR
    classname = ".".join(p for p in (cases[0].implementation, info.spec, info.document) if p)
    case = ET.SubElement(suite, "testcase", name=_clean(info.id), classname=_clean(classname),
                         time=_seconds(sum(r.duration for r in cases)))
    worst_case = next(r for r in cases if r.outcome is outcome)
    message = _clean(f"{outcome.value}: {gist(worst_case)}")
    if outcome in _FAILURE and all(r.beyond_claim for r in cases):
        child = ET.SubElement(case, "skipped", type="beyond-claim",
                              message=_clean(f"{BEYOND}: {message}"))
        child.text = _body(results, cases)
        return Outcome.SKIP
    if outcome in _FAILURE:
        child = ET.SubElement(case, "failure", type=outcome.value, message=message)
        child.text = _body(results, cases)
    elif outcome is Outcome.ERROR:
        child = ET.SubElement(case, "error", type="error", message=message)
        child.text = _body(results, cases)
    elif outcome in _SKIPPED:
        reason = worst_case.expectation if outcome is Outcome.XFAIL and worst_case.expectation \
            else gist(worst_case)
        child = ET.SubElement(case, "skipped", type=outcome.value,
                              message=_clean(f"{outcome.value}: {reason}"))
        child.text = _body(results, cases)
    else:
        out = ET.SubElement(case, "system-out")
        out.text = _body(results, cases)
    return outcome


def _suite_attrs(suite: ET.Element, tally: dict[str, int], seconds: float) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        suite.set(key, str(tally[key]))
    suite.set("time", _seconds(seconds))


def _count(tally: dict[str, int], outcome: Outcome) -> None:
    tally["tests"] += 1
    if outcome in _FAILURE:
        tally["failures"] += 1
    elif outcome is Outcome.ERROR:
        tally["errors"] += 1
    elif outcome in _SKIPPED:
        tally["skipped"] += 1


def _harness_suite(root: ET.Element, results: Results, totals: dict[str, int]) -> None:
    suite = ET.SubElement(root, "testsuite", name="oci-conform harness", tests="0",
                          failures="0", errors="0")
    problems = results.incomplete_reasons()
    for n, problem in enumerate(problems, 1):
        case = ET.SubElement(suite, "testcase", name=f"harness error {n}", classname="oci-conform")
        err = ET.SubElement(case, "error", type="harness", message=_clean(problem.splitlines()[0]
                                                                          if problem else ""))
        err.text = _clean(problem)
    n = len(problems)
    tally = {"tests": n, "failures": 0, "errors": n, "skipped": 0}
    _suite_attrs(suite, tally, 0.0)
    totals["tests"] += n
    totals["errors"] += n


def render(results: Results) -> str:
    cells: dict[str, dict[str, list[CaseResult]]] = defaultdict(dict)
    for r in sorted_results(results):
        cells[r.implementation].setdefault(r.clause, []).append(r)
    root = ET.Element("testsuites", name="oci-conform")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for impl in implementation_names(results):
        suite = ET.SubElement(root, "testsuite", name=_clean(impl), tests="0", failures="0",
                              errors="0", timestamp=_clean(results.started))
        if results.host.get("hostname"):
            suite.set("hostname", _clean(results.host["hostname"]))
        _properties(suite, results, impl)
        tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        seconds = 0.0
        for cases in cells.get(impl, {}).values():
            _count(tally, _testcase(suite, results, cases))
            seconds += sum(r.duration for r in cases)
        _suite_attrs(suite, tally, seconds)
        total_time += seconds
        for key in totals:
            totals[key] += tally[key]
    if not results.complete:
        _harness_suite(root, results, totals)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", _seconds(total_time))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
