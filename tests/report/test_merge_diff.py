"""merge and diff (pure), and the ``oci-conform report`` command around them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.cli import main
from oci_conform.model.diff import diff
from oci_conform.model.merge import MergeError, Source, merge
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation, Results
from oci_conform.results_file import load_results, save_results, schema_problems
from tests.report.conftest import sample_results


def _run(finished: str, impl: Implementation, *cases: tuple[str, Outcome, str]) -> Results:
    return Results("0.1.0", "cat", "2026-11-29T10:00:00Z", finished, host={"hostname": impl.name},
                   implementations=[impl],
                   results=[CaseResult(c, impl.name, o, case=k) for c, o, k in cases])


RUNC = Implementation("runc", "runtime", "runc", "1.1.5")
CRUN = Implementation("crun", "runtime", "crun", "1.8.1")


def test_merge_unions_implementations_and_keeps_provenance() -> None:
    a = _run("2026-11-29T10:10:00Z", RUNC, ("c.1", Outcome.PASS, "k"))
    b = _run("2026-11-29T10:20:00Z", CRUN, ("c.1", Outcome.FAIL, "k"))
    b.harness_errors = ["crun suite timed out"]
    m = merge([Source("a.json", a), Source("b.json", b)], ["oci-conform", "report", "merge"])
    assert [i.name for i in m.implementations] == ["runc", "crun"]
    assert {(r.implementation, r.outcome) for r in m.results} == {("runc", Outcome.PASS),
                                                                  ("crun", Outcome.FAIL)}
    assert [e["source"] for e in m.merged_from] == ["a.json", "b.json"]
    assert m.harness_errors == ["crun suite timed out"]
    assert m.host["hostname"] == "runc, crun"
    assert m.finished == "2026-11-29T10:20:00Z"
    assert schema_problems(m.to_dict()) == []


def test_same_case_twice_later_finish_wins_unless_error() -> None:
    early = _run("2026-11-29T10:10:00Z", RUNC, ("c.1", Outcome.PASS, "k"),
                 ("c.2", Outcome.FAIL, "k"))
    late = _run("2026-11-29T10:30:00Z", RUNC, ("c.1", Outcome.FAIL, "k"),
                ("c.2", Outcome.ERROR, "k"))
    for order in ([early, late], [late, early]):
        m = merge([Source(str(n), r) for n, r in enumerate(order)])
        got = {r.clause: r.outcome for r in m.results}
        assert got == {"c.1": Outcome.FAIL,        # the later run wins
                       "c.2": Outcome.FAIL}        # ...but a judged outcome beats error
        assert len(m.results) == 2


def test_equal_finish_later_input_wins_and_nested_merges_stay_flat() -> None:
    a = _run("t", RUNC, ("c.1", Outcome.PASS, "k"))
    b = _run("t", RUNC, ("c.1", Outcome.FAIL, "k"))
    assert merge([Source("a", a), Source("b", b)]).results[0].outcome is Outcome.FAIL
    assert merge([Source("b", b), Source("a", a)]).results[0].outcome is Outcome.PASS
    inner = merge([Source("a", a), Source("b", b)])
    outer = merge([Source("inner", inner), Source("c", _run("u", CRUN))])
    assert [e["source"] for e in outer.merged_from] == ["a", "b", "c"]


def test_conflicting_versions_refuse_to_merge() -> None:
    other = Implementation("runc", "runtime", "runc", "1.2.0")
    with pytest.raises(MergeError, match="1.1.5.*1.2.0"):
        merge([Source("a", _run("t", RUNC)), Source("b", _run("t", other))])
    missing = Implementation("runc", "runtime", available=False, reason="not installed")
    m = merge([Source("a", _run("t", RUNC)), Source("b", _run("t", missing))])
    assert m.implementations[0].available and m.implementations[0].version == "1.1.5"


def test_diff_classifies_changes() -> None:
    old = _run("t", RUNC, ("c.1", Outcome.PASS, ""), ("c.2", Outcome.FAIL, ""),
               ("c.3", Outcome.SKIP, ""), ("c.4", Outcome.FAIL, ""), ("gone.1", Outcome.PASS, ""))
    new = _run("t", RUNC, ("c.1", Outcome.FAIL, ""), ("c.2", Outcome.PASS, ""),
               ("c.3", Outcome.ERROR, ""), ("c.4", Outcome.ERROR, ""), ("new.1", Outcome.FAIL, ""))
    new.implementations.append(CRUN)
    new.results.append(CaseResult("c.1", "crun", Outcome.PASS))
    d = diff(old, new)
    assert [(c.clause, c.old, c.new) for c in d.regressions] == [
        ("c.1", Outcome.PASS, Outcome.FAIL), ("c.3", Outcome.SKIP, Outcome.ERROR)]
    assert [c.clause for c in d.fixes] == ["c.2"]
    assert [c.clause for c in d.changed] == ["c.4"]
    assert [(c.clause, c.implementation) for c in d.added] == [("c.1", "crun")]
    assert d.new_clauses == ["new.1"] and d.removed_clauses == ["gone.1"]
    assert d.new_implementations == ["crun"] and d.regressed
    assert not diff(old, old).regressed and diff(old, old).unchanged == 5


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    first = sample_results()
    save_results(a, first)
    second = sample_results()
    second.finished = "2026-11-29T11:00:00Z"
    second.results[0].outcome = Outcome.FAIL          # runc rt.runtime.state.1: pass -> fail
    save_results(b, second)
    return a, b


def test_command_diff_exit_codes(files: tuple[Path, Path], capsys: pytest.CaptureFixture) -> None:
    a, b = files
    assert main(["report", "diff", str(a), str(a)]) == 0
    assert main(["report", "diff", str(a), str(b)]) == 1
    assert "regressions (1)" in capsys.readouterr().out
    assert main(["report", "diff", str(a), str(b), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["regressions"] == [{"clause": "rt.runtime.state.1", "implementation": "runc",
                                    "old": "pass", "new": "fail"}]


def test_command_merge_writes_a_valid_results_file(files: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    a, b = files
    out = tmp_path / "all.json"
    assert main(["report", "merge", str(a), str(b), "-o", str(out)]) == 0
    merged = load_results(out)
    assert len(merged.merged_from) == 2
    runc = [r for r in merged.results if r.clause == "rt.runtime.state.1" and
            r.implementation == "runc"]
    assert [r.outcome for r in runc] == [Outcome.FAIL]     # b finished later


@pytest.mark.parametrize("fmt", ["html", "junit", "tap", "sarif", "github", "markdown", "text",
                                 "json"])
def test_command_render_every_format(files: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    assert main(["report", "render", str(files[0]), "--format", fmt, "-o", str(out)]) == 0
    assert out.stat().st_size > 100


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    for argv in (["report", "render", str(bad)], ["report", "diff", str(bad), str(bad)],
                 ["report", "merge", str(bad), "-o", str(tmp_path / "x.json")],
                 ["report", "render", str(tmp_path / "missing.json")],
                 ["report", "render", str(bad), "--format", "nope"], ["report"]):
        proc = subprocess.run([sys.executable, "-m", "oci_conform", *argv], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 2, argv
        assert "Traceback" not in proc.stderr
        if argv != ["report"]:
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "x.json").exists()


def test_merge_conflict_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_results(a, _run("t", RUNC))
    save_results(b, _run("t", Implementation("runc", "runtime", "runc", "9.9")))
    assert main(["report", "merge", str(a), str(b)]) == 2
    assert "cannot merge" in capsys.readouterr().err


OUTCOMES = list(Outcome)


def _cases():
    from hypothesis import strategies as st
    cell = st.tuples(st.sampled_from(["c.1", "c.2", "c.3"]), st.sampled_from(["runc", "crun"]),
                     st.sampled_from(OUTCOMES))
    return st.lists(cell, max_size=8, unique_by=lambda t: (t[0], t[1]))


def _results(cells, finished: str) -> Results:
    return Results("0.1.0", "cat", "2026-11-29T10:00:00Z", finished,
                   implementations=[RUNC, CRUN],
                   results=[CaseResult(c, i, o, case="k") for c, i, o in cells])


def test_merge_properties() -> None:
    from hypothesis import given, settings

    @settings(max_examples=150, deadline=None)
    @given(_cases(), _cases())
    def check(a_cells, b_cells) -> None:
        a, b = _results(a_cells, "2026-11-29T10:10:00Z"), _results(b_cells, "2026-11-29T10:20:00Z")
        ab = merge([Source("a", a), Source("b", b)])
        ba = merge([Source("b", b), Source("a", a)])
        key = lambda r: (r.clause, r.implementation, r.case)  # noqa: E731
        # The order of the inputs does not matter when their finish times differ.
        assert sorted((key(r), r.outcome) for r in ab.results) == \
            sorted((key(r), r.outcome) for r in ba.results)
        # Every key of either input is there once; merging a file with itself changes nothing.
        assert sorted(key(r) for r in ab.results) == sorted({key(r) for r in a.results + b.results})
        assert not diff(a, merge([Source("a", a), Source("a2", a)])).changed
        for r in ab.results:
            later = {key(x): x.outcome for x in b.results}
            earlier = {key(x): x.outcome for x in a.results}
            if key(r) in later and (later[key(r)] is not Outcome.ERROR or key(r) not in earlier):
                assert r.outcome is later[key(r)]
    check()


def test_render_under_github_actions(files: tuple[Path, Path], tmp_path: Path,
                                     monkeypatch, capsys: pytest.CaptureFixture) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["report", "render", str(files[0])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("::error ") and "::warning file=bundle/config.json,line=7,col=12" in out
    assert "| runc | 1.1.5 |" in summary.read_text()


def test_a_new_failure_beyond_the_claimed_version_is_a_change_not_a_regression() -> None:
    old = _run("2026-11-29T10:10:00Z", RUNC, ("c.1", Outcome.PASS, "k"), ("c.2", Outcome.PASS, "k"))
    new = _run("2026-11-29T10:20:00Z", RUNC, ("c.1", Outcome.FAIL, "k"), ("c.2", Outcome.FAIL, "k"))
    new.results[0].beyond_claim = "since 1.2.0; runc claims 1.0.2"
    d = diff(old, new)
    assert [c.clause for c in d.regressions] == ["c.2"]
    assert [(c.clause, c.beyond_claim) for c in d.changed] == [("c.1", True)]
    assert d.to_dict()["changed"][0]["beyond_claim"] is True
