"""JUnit renderer: valid against Jenkins' junit-10 XSD, one testcase per clause x implementation."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results
from oci_conform.model.rollup import cell_outcomes
from oci_conform.report import junit
from tests.report.conftest import shared_file


def _schema():
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema (test extra) is not installed")
    return xmlschema.XMLSchema(str(shared_file("junit-10.xsd")))


def test_valid_against_the_xsd(results: Results) -> None:
    _schema().validate(junit.render(results))


def test_valid_with_harness_errors_and_control_characters(results: Results) -> None:
    results.harness_errors = ["suite runtime crashed:\x00 \x1b[31mboom"]
    results.results[0].message = "bell \x07 in output"
    text = junit.render(results)
    _schema().validate(text)
    root = ET.fromstring(text)
    harness = root.find("testsuite[@name='oci-conform harness']")
    assert harness is not None and harness.get("errors") == "1"
    assert "\x00" not in text and "\x07" not in text


def test_one_testcase_per_cell_with_the_right_element(results: Results) -> None:
    root = ET.fromstring(junit.render(results))
    cells = cell_outcomes(results)
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(cells)
    expected_child = {Outcome.FAIL: "failure", Outcome.XPASS: "failure", Outcome.ERROR: "error",
                      Outcome.SKIP: "skipped", Outcome.NA: "skipped", Outcome.XFAIL: "skipped",
                      Outcome.PASS: "system-out"}
    for suite in root.findall("testsuite"):
        for case in suite.findall("testcase"):
            outcome = cells[(case.get("name"), suite.get("name"))]
            assert case[0].tag == expected_child[outcome], (case.get("name"), outcome)
    counts = {k: int(root.get(k)) for k in ("tests", "failures", "errors")}
    assert counts == {"tests": len(cells),
                      "failures": sum(o in (Outcome.FAIL, Outcome.XPASS) for o in cells.values()),
                      "errors": sum(o is Outcome.ERROR for o in cells.values())}


def test_skip_reason_and_provenance(results: Results) -> None:
    root = ET.fromstring(junit.render(results))
    youki = root.find("testsuite[@name='youki']")
    skipped = youki.find("testcase/skipped")
    assert skipped.get("message") == "skip: youki is not installed"
    props = {p.get("name"): p.get("value") for p in youki.find("properties")}
    assert props["implementation.available"] == "false"
    assert props["implementation.reason"] == "not installed"
    assert props["oci-conform.version"] == "0.1.0" and props["catalog.version"] == "2026.11"
    runc = root.find("testsuite[@name='runc']")
    body = runc.find("testcase[@name='rt.config.process.1']/failure").text
    assert "bundle/config.json:7:12 /process/cwd" in body and "expected absolute path" in body


def test_unknown_clause_and_several_cases_fold_into_one_testcase(results: Results) -> None:
    results.results.append(CaseResult("rt.runtime.state.1", "runc", Outcome.FAIL, "state-again",
                                      "second case failed"))
    root = ET.fromstring(junit.render(results))
    cases = root.findall("testsuite[@name='runc']/testcase[@name='rt.runtime.state.1']")
    assert len(cases) == 1 and cases[0].find("failure") is not None
    assert "[pass] state-basic" in cases[0].find("failure").text
    ghost = root.find("testsuite[@name='registry']/testcase[@name='dist.pull.ghost.9']")
    assert ghost is not None and ghost.get("classname").startswith("registry.(unknown)")
