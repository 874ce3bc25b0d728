"""Expectations per case: the matching rule, the cell roll-up, the exit code, the file form,
the refresh rule of ``expectations update``, and (real runc) the shipped file end to end."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.model.expectations import (
    PLACEHOLDER,
    Expectation,
    ExpectationsError,
    apply_expectations,
    dump_expectations,
    expect,
    parse_expectations,
    read_entries,
)
from oci_conform.model.expectations_update import Change, update_expectations
from oci_conform.model.outcome import Level, Outcome
from oci_conform.model.results import CaseResult, ClauseInfo, Implementation, Results
from oci_conform.model.rollup import cell_outcomes, per_implementation
from oci_conform.model.verdict import ExitCode, exit_code

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "expectations").glob("*.json"))
CLAUSE = "rt.runtime.delete.2"
A, B, C = "runtime:delete-created-errors", "runtime:delete-running-errors", \
    "runtime:delete-unknown-id-errors"


def _run(*rows: tuple[str, str, Outcome], version: str = "1.1.5+ds1") -> Results:
    """A runc results document of (clause, case, outcome) rows, every clause a MUST."""
    clauses = {c: ClauseInfo(c, "runtime-spec", "runtime.md", "s", Level.MUST, "x", "")
               for c, _, _ in rows}
    return Results(tool_version="t", catalog_version="t", started="now",
                   implementations=[Implementation("runc", "runtime", "runc", version)],
                   clauses=clauses,
                   results=[CaseResult(c, "runc", o, case=k) for c, k, o in rows])


def _entry(case: str = "", clause: str = CLAUSE, version: str = "1.1.5*",
           reason: str = "delete of a created container succeeds") -> Expectation:
    return Expectation("runc", clause, reason, "https://example.invalid/x", version, case)


def _outcomes(results: Results) -> dict[str, Outcome]:
    return {r.case: r.outcome for r in results.results}


# --- the matching rule and the roll-up ---------------------------------------------------

def test_per_case_entry_xfails_its_case_and_leaves_passing_siblings_pass() -> None:
    run = apply_expectations(_run((CLAUSE, A, Outcome.FAIL), (CLAUSE, B, Outcome.PASS),
                                  (CLAUSE, C, Outcome.PASS)), [_entry(A)])
    assert _outcomes(run) == {A: Outcome.XFAIL, B: Outcome.PASS, C: Outcome.PASS}
    assert cell_outcomes(run)[(CLAUSE, "runc")] is Outcome.XFAIL
    tally = per_implementation(run)["runc"]
    assert (tally.passed, tally.judged) == (1, 1)
    assert exit_code(run) is ExitCode.CONFORMANT


def test_xpass_only_when_the_expected_case_itself_passes() -> None:
    run = apply_expectations(_run((CLAUSE, A, Outcome.PASS), (CLAUSE, B, Outcome.PASS)),
                             [_entry(A)])
    assert _outcomes(run) == {A: Outcome.XPASS, B: Outcome.PASS}
    assert cell_outcomes(run)[(CLAUSE, "runc")] is Outcome.XPASS
    assert exit_code(run) is ExitCode.NONCONFORMANT


def test_an_unexpected_sibling_failure_shows_in_the_cell() -> None:
    run = apply_expectations(_run((CLAUSE, A, Outcome.FAIL), (CLAUSE, B, Outcome.FAIL)),
                             [_entry(A)])
    assert _outcomes(run) == {A: Outcome.XFAIL, B: Outcome.FAIL}
    assert cell_outcomes(run)[(CLAUSE, "runc")] is Outcome.FAIL
    assert exit_code(run) is ExitCode.NONCONFORMANT


def test_case_may_be_named_without_its_suite_prefix() -> None:
    run = apply_expectations(_run((CLAUSE, A, Outcome.FAIL)), [_entry("delete-created-errors")])
    assert _outcomes(run) == {A: Outcome.XFAIL}


def test_clause_only_entry_on_a_one_case_clause_keeps_its_old_meaning() -> None:
    failing = apply_expectations(_run((CLAUSE, A, Outcome.FAIL)), [_entry()])
    passing = apply_expectations(_run((CLAUSE, A, Outcome.PASS)), [_entry()])
    assert _outcomes(failing) == {A: Outcome.XFAIL}
    assert _outcomes(passing) == {A: Outcome.XPASS}
    assert passing.results[0].expectation == _entry().reason


def test_clause_only_entry_on_a_several_case_clause_never_xpasses_a_sibling() -> None:
    mixed = apply_expectations(_run((CLAUSE, A, Outcome.FAIL), (CLAUSE, B, Outcome.PASS)),
                               [_entry()])
    assert _outcomes(mixed) == {A: Outcome.XFAIL, B: Outcome.PASS}
    assert exit_code(mixed) is ExitCode.CONFORMANT
    fixed = apply_expectations(_run((CLAUSE, A, Outcome.PASS), (CLAUSE, B, Outcome.PASS)),
                               [_entry()])
    assert _outcomes(fixed) == {A: Outcome.PASS, B: Outcome.PASS}


def test_siblings_counted_by_the_caller_when_cases_come_one_at_a_time() -> None:
    one = [CaseResult(CLAUSE, "runc", Outcome.PASS, case=B)]
    alone = expect(one, {"runc": "1.1.5"}, [_entry()])
    told = expect(one, {"runc": "1.1.5"}, [_entry()], siblings={("runc", CLAUSE): 3})
    assert alone[0].outcome is Outcome.XPASS
    assert told[0].outcome is Outcome.PASS


def test_a_case_entry_wins_over_a_clause_entry() -> None:
    run = apply_expectations(_run((CLAUSE, A, Outcome.FAIL)),
                             [_entry(reason="clause-wide"), _entry(A, reason="this case")])
    assert run.results[0].expectation == "this case"


def test_an_intermittent_entry_xfails_a_failure_and_leaves_a_pass_alone() -> None:
    flaky = Expectation("runc", CLAUSE, "sometimes", case=A, intermittent=True)
    assert _outcomes(apply_expectations(_run((CLAUSE, A, Outcome.FAIL)), [flaky])) == \
        {A: Outcome.XFAIL}
    passed = apply_expectations(_run((CLAUSE, A, Outcome.PASS)), [flaky])
    assert _outcomes(passed) == {A: Outcome.PASS}
    assert exit_code(passed) is ExitCode.CONFORMANT
    up = update_expectations(_run((CLAUSE, A, Outcome.PASS)), [flaky])
    assert up.entries == [flaky]
    assert [n.line() for n in up.notes] == [
        f"kept: runc {CLAUSE} [{A}]: passed in this run (intermittent)"]


def test_other_versions_and_implementations_are_not_matched() -> None:
    run = apply_expectations(_run((CLAUSE, A, Outcome.FAIL), version="1.2.0"), [_entry(A)])
    assert _outcomes(run) == {A: Outcome.FAIL}
    crun = Expectation("crun", CLAUSE, "r", case=A)
    assert _outcomes(apply_expectations(_run((CLAUSE, A, Outcome.FAIL)), [crun])) == \
        {A: Outcome.FAIL}


# --- the file form -----------------------------------------------------------------------

def test_file_round_trip_keeps_case_and_optional_link() -> None:
    entries = [_entry(A), Expectation("runc", "x.y.1", "no link yet"),
               Expectation("runc", "x.y.2", "flaky", intermittent=True)]
    text = dump_expectations(entries)
    assert parse_expectations(text) == entries
    assert "link" not in json.loads(text)["expectations"][1]
    assert list(json.loads(text)["expectations"][0]) == [
        "implementation", "version", "clause", "case", "reason", "link"]


@pytest.mark.parametrize("entry, fragment", [
    ({"implementation": "runc", "clause": "x", "reason": "r", "case": 3},
     '/expectations/0: "case" must be a string'),
    ({"implementation": "runc", "clause": "x", "reason": "r", "version": "1.*.2"},
     '"*" only at its end'),
    ({"implementation": "runc", "clause": "x", "reason": " "},
     '/expectations/0: "reason" must be a non-empty string'),
    ({"implementation": "runc", "clause": "x", "reason": "r", "Case": "a"},
     'unknown key "Case"'),
    ({"implementation": "runc", "clause": "x", "reason": "r", "intermittent": "yes"},
     '"intermittent" must be true or false'),
])
def test_bad_entries_name_the_place(entry: dict[str, object], fragment: str) -> None:
    with pytest.raises(ExpectationsError, match=fragment):
        parse_expectations(json.dumps({"expectations": [entry]}), "f.json")


def test_every_problem_is_reported_and_duplicates_are_refused() -> None:
    same = {"implementation": "runc", "clause": "x", "reason": "r", "case": "a"}
    text = json.dumps({"expectations": [same, same, {"clause": "y"}], "extra": 1})
    entries, problems = read_entries(text, "f.json")
    assert len(entries) == 1
    assert any("unknown top-level key" in p for p in problems)
    assert any("/expectations/1: same implementation" in p for p in problems)
    assert any('/expectations/2: "implementation"' in p for p in problems)
    assert all("\n" not in p for p in problems)


SCHEMA = REPO / "oci_conform" / "schemas" / "expectations.schema.json"


@pytest.mark.parametrize("doc", [
    {"expectations": [{"implementation": "runc", "clause": "x", "reason": "r", "cas": "a"}]},
    {"expectations": [{"implementation": "runc", "clause": "x"}]},
    {"expectations": [{"implementation": "runc", "clause": "x", "reason": "r", "case": 1}]},
    {"expectations": [{"implementation": "runc", "clause": "x", "reason": "r",
                       "version": "1.*.0"}]},
    {"expectations": [{"implementation": " ", "clause": "x", "reason": "r"}]},
    {"expectations": [{"implementation": "runc", "clause": "x", "reason": "r",
                       "intermittent": 1}]},
    {"expectations": {}}, {"expectation": []},
])
def test_schema_and_parser_refuse_the_same_documents(doc: dict[str, object]) -> None:
    import jsonschema
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert list(validator.iter_errors(doc))
    assert read_entries(json.dumps(doc))[1]


def test_schema_accepts_what_the_parser_accepts() -> None:
    import jsonschema
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    for path in SHIPPED:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(data)), path.name
        assert not read_entries(json.dumps(data))[1]
    written = json.loads(dump_expectations([_entry(A), Expectation("runc", "x", PLACEHOLDER)]))
    assert not list(validator.iter_errors(written))


# --- the refresh rule ----------------------------------------------------------------------

def test_update_splits_clause_entries_per_failing_case_keeping_reason_and_link() -> None:
    run = _run((CLAUSE, A, Outcome.FAIL), (CLAUSE, B, Outcome.FAIL), (CLAUSE, C, Outcome.PASS))
    up = update_expectations(run, [_entry()])
    assert [(e.case, e.reason, e.link, e.version) for e in up.entries] == [
        (A, _entry().reason, _entry().link, "1.1.5*"), (B, _entry().reason, _entry().link,
                                                        "1.1.5*")]
    assert [n.change for n in up.notes] == [Change.SPLIT]


def test_update_drops_stale_entries_and_says_why() -> None:
    run = _run((CLAUSE, A, Outcome.PASS), (CLAUSE, B, Outcome.FAIL), ("x.y.1", A, Outcome.FAIL))
    gone_case = _entry("runtime:no-such-case")
    up = update_expectations(run, [_entry(A), _entry(B), gone_case,
                                   _entry(A, clause="old.clause.1")],
                             known_clauses={CLAUSE, "x.y.1"}, add_new=False)
    assert [e.case for e in up.entries] == [B]
    stale = [n.line() for n in up.notes if n.change is Change.STALE]
    assert stale == [
        f"stale: runc {CLAUSE} [{A}]: now passes (dropped)",
        f"stale: runc {CLAUSE} [runtime:no-such-case]: the case no longer judges this clause "
        "(dropped)",
        f"stale: runc old.clause.1 [{A}]: the clause is no longer in the catalog (dropped)"]


def test_update_keeps_what_the_run_cannot_confirm() -> None:
    run = _run((CLAUSE, A, Outcome.SKIP))
    other_version = _entry(A, version="1.0.*")
    not_run = _entry(clause="rt.runtime.kill.1")
    crun = Expectation("crun", CLAUSE, "crun's own", case=A)
    up = update_expectations(run, [_entry(A), other_version, not_run, crun])
    assert up.entries == [_entry(A), other_version, not_run, crun]
    assert [n.change for n in up.notes] == [Change.KEPT] * 3


def test_update_adds_new_failures_with_a_placeholder_after_the_kept_ones() -> None:
    results = _run(("z.z.1", A, Outcome.FAIL), (CLAUSE, A, Outcome.XFAIL),
                   ("a.a.1", B, Outcome.XPASS), ("a.a.2", C, Outcome.FAIL))
    up = update_expectations(results, [_entry(A)])
    assert [(e.clause, e.case, e.reason, e.version) for e in up.entries] == [
        (CLAUSE, A, _entry().reason, "1.1.5*"), ("a.a.2", C, PLACEHOLDER, "1.1.5*"),
        ("z.z.1", A, PLACEHOLDER, "1.1.5*")]
    assert all(e.placeholder for e in up.entries[1:])
    # with no entry to borrow a version pattern from, the run's exact version
    assert update_expectations(results, []).entries[0].version == "1.1.5+ds1"
    assert len(update_expectations(results, [_entry(A)], add_new=False).entries) == 1


def test_update_prefers_a_case_entry_to_the_split_of_a_clause_entry() -> None:
    run = _run((CLAUSE, A, Outcome.FAIL), (CLAUSE, B, Outcome.FAIL))
    up = update_expectations(run, [_entry(reason="clause-wide"), _entry(A, reason="mine")])
    assert sorted((e.case, e.reason) for e in up.entries) == [(A, "mine"), (B, "clause-wide")]


def test_update_only_touches_the_implementations_asked_for() -> None:
    run = _run((CLAUSE, A, Outcome.PASS))
    up = update_expectations(run, [_entry(A)], implementations=("crun",))
    assert up.entries == [_entry(A)] and not up.notes


# --- the shipped files -------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_files_are_per_case(path: Path) -> None:
    from oci_conform.expectations_file import load_expectations
    entries = load_expectations(path)
    assert entries
    assert all(e.case.startswith(("runtime:", "registry:", "client:"))
               for e in entries), [e.clause for e in entries if not e.case]
    assert all(not e.placeholder and e.link for e in entries)


# --- end to end with real runc -----------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], capture_output=True,
                          text=True, env=env, timeout=600, check=False)


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("runc") is None or os.geteuid() != 0,
                    reason="needs runc and root")
def test_runc_with_the_shipped_file_is_green_and_a_removed_entry_turns_it_red(
        tmp_path: Path) -> None:
    shipped = REPO / "expectations" / "runc-1.1.5.json"
    # the state group: rt.runtime.delete.2 is judged by three cases of which one fails on runc
    select = ("runtime", "test", "--runtime", "runc=runc", "--group", "state",
              "--format", "json")
    green = _cli(*select, "--expectations", str(shipped))
    assert green.returncode == 0, green.stderr[-2000:]
    cells = [r for r in json.loads(green.stdout)["results"] if r["clause"] == CLAUSE]
    assert {r["case"]: r["outcome"] for r in cells} == {
        A: "xfail", B: "pass", C: "pass"}
    data = json.loads(shipped.read_text(encoding="utf-8"))
    data["expectations"] = [e for e in data["expectations"] if e.get("case") != A]
    fewer = tmp_path / "fewer.json"
    fewer.write_text(json.dumps(data), encoding="utf-8")
    red = _cli(*select[:-2], "--expectations", str(fewer))
    assert red.returncode == 1, red.stderr[-2000:]
    failing = [line for line in red.stdout.splitlines() if "delete-created-errors" in line]
    assert failing and any("fail" in line for line in failing), red.stdout[-3000:]
