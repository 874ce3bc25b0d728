"""Results model: exit codes, expectations, roll-ups and the results schema."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from oci_conform.model.evidence import Evidence, ProcessRun
from oci_conform.model.expectations import (
    ExpectationsError,
    apply_expectations,
    parse_expectations,
)
from oci_conform.model.outcome import Level, Outcome, worst
from oci_conform.model.results import CaseResult, ClauseInfo, Finding, Implementation, Results
from oci_conform.model.rollup import per_document, per_implementation
from oci_conform.model.verdict import ExitCode, exit_code
from oci_conform.results_file import ResultsFileError, load_results, save_results, schema_problems


def _results(*cells: tuple[str, str, Outcome], level: Level = Level.MUST) -> Results:
    r = Results(tool_version="0", catalog_version="0", started="2026-11-29T10:00:00+00:00")
    r.implementations = [Implementation("runc", "runtime", "runc", "1.1.5"),
                         Implementation("crun", "runtime", "crun", "1.8.1")]
    for clause, impl, outcome in cells:
        r.clauses[clause] = ClauseInfo(clause, "runtime-spec", "runtime.md", "state", level,
                                       "a summary", "https://example.invalid/x")
        r.results.append(CaseResult(clause, impl, outcome, case="c"))
    return r


def test_worst_orders_fail_before_error_before_pass() -> None:
    assert worst([Outcome.PASS, Outcome.FAIL, Outcome.SKIP]) is Outcome.FAIL
    # one order everywhere: a proven violation outranks an incomplete judgement
    assert worst([Outcome.PASS, Outcome.ERROR, Outcome.FAIL]) is Outcome.FAIL
    assert worst([Outcome.PASS, Outcome.ERROR]) is Outcome.ERROR
    assert worst([Outcome.NA, Outcome.SKIP]) is Outcome.SKIP
    assert worst([]) is None


@pytest.mark.parametrize("cells, level, fail_on, code", [
    ([("a.b.1", "runc", Outcome.PASS)], Level.MUST, "must", ExitCode.CONFORMANT),
    ([("a.b.1", "runc", Outcome.FAIL)], Level.MUST, "must", ExitCode.NONCONFORMANT),
    ([("a.b.1", "runc", Outcome.FAIL)], Level.SHOULD, "must", ExitCode.CONFORMANT),
    ([("a.b.1", "runc", Outcome.FAIL)], Level.SHOULD, "should", ExitCode.NONCONFORMANT),
    ([("a.b.1", "runc", Outcome.FAIL)], Level.MAY, "should", ExitCode.CONFORMANT),
    ([("a.b.1", "runc", Outcome.FAIL)], Level.MAY, "may", ExitCode.NONCONFORMANT),
    ([("a.b.1", "runc", Outcome.XFAIL)], Level.MUST, "must", ExitCode.CONFORMANT),
    ([("a.b.1", "runc", Outcome.XPASS)], Level.MUST, "must", ExitCode.NONCONFORMANT),
    ([("a.b.1", "runc", Outcome.PASS), ("a.b.2", "crun", Outcome.ERROR)], Level.MUST, "must",
     ExitCode.HARNESS_ERROR),
    ([], Level.MUST, "must", ExitCode.NOTHING_SELECTED),
    ([("a.b.1", "runc", Outcome.SKIP), ("a.b.2", "runc", Outcome.NA)], Level.MUST, "must",
     ExitCode.NOTHING_SELECTED),
])
def test_exit_codes(cells, level, fail_on, code) -> None:
    assert exit_code(_results(*cells, level=level), fail_on) == code


def test_incomplete_results_never_exit_zero() -> None:
    r = _results(("a.b.1", "runc", Outcome.PASS))
    r.harness_errors.append("suite crashed")
    assert exit_code(r) == ExitCode.HARNESS_ERROR


EXPECT = json.dumps({"expectations": [
    {"implementation": "runc", "version": "1.1.*", "clause": "a.b.1", "reason": "known bug",
     "link": "https://example.invalid/spec#x"},
    {"implementation": "crun", "clause": "a.b.2", "reason": "fixed upstream?",
     "link": "https://example.invalid/spec#y"}]})


def test_expected_failure_becomes_xfail_and_surprise_pass_becomes_xpass() -> None:
    r = _results(("a.b.1", "runc", Outcome.FAIL), ("a.b.2", "crun", Outcome.PASS),
                 ("a.b.1", "crun", Outcome.FAIL))
    apply_expectations(r, parse_expectations(EXPECT))
    got = {(c.clause, c.implementation): (c.outcome, c.expectation) for c in r.results}
    assert got[("a.b.1", "runc")] == (Outcome.XFAIL, "known bug")
    assert got[("a.b.2", "crun")] == (Outcome.XPASS, "fixed upstream?")
    assert got[("a.b.1", "crun")] == (Outcome.FAIL, "")   # not expected for crun
    assert exit_code(r) == ExitCode.NONCONFORMANT


def test_expectation_version_must_match() -> None:
    r = _results(("a.b.1", "runc", Outcome.FAIL))
    r.implementations[0].version = "1.2.0"
    apply_expectations(r, parse_expectations(EXPECT))
    assert r.results[0].outcome is Outcome.FAIL


@pytest.mark.parametrize("text, fragment", [
    ("{", "not JSON"),
    ('{"expectations": 3}', '"expectations" list'),
    ('{"expectations": [{"implementation": "runc", "clause": "x"}]}',
     '/expectations/0: "reason"'),
    ('{"expectations": [{"implementation": "runc", "clause": "x", "reason": "r", "cas": ""}]}',
     '/expectations/0: unknown key "cas"'),
])
def test_bad_expectations_name_the_place(text: str, fragment: str) -> None:
    with pytest.raises(ExpectationsError, match=fragment):
        parse_expectations(text)


def test_rollups_count_per_implementation_and_document() -> None:
    r = _results(("a.b.1", "runc", Outcome.PASS), ("a.b.1", "runc", Outcome.FAIL),
                 ("a.b.2", "runc", Outcome.SKIP), ("a.b.1", "crun", Outcome.PASS))
    impl = per_implementation(r)
    assert impl["runc"].worst is Outcome.FAIL
    assert (impl["runc"].passed, impl["runc"].judged, impl["runc"].total) == (0, 1, 2)
    assert (impl["crun"].passed, impl["crun"].judged) == (1, 1)
    assert per_document(r)["runtime-spec/runtime.md"].total == 3


def test_results_round_trip_and_validate(tmp_path: Path) -> None:
    r = _results(("a.b.1", "runc", Outcome.FAIL))
    r.results[0].findings.append(Finding("bad", "/status", "created", "creating", "x.json", 3, 5))
    r.results[0].evidence = Evidence.of(runs=[ProcessRun(["runc", "state", "x"], 1)])
    path = tmp_path / "results.json"
    save_results(path, r)
    assert schema_problems(json.loads(path.read_text())) == []
    back = load_results(path)
    assert back.to_dict() == r.to_dict()


def test_results_schema_rejects_unknown_outcome(tmp_path: Path) -> None:
    data = _results(("a.b.1", "runc", Outcome.PASS)).to_dict()
    data["results"][0]["outcome"] = "passed"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsFileError, match="/results/0/outcome"):
        load_results(path)
