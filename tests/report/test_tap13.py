"""TAP 13 renderer, read back by Debian's own harness: ``prove`` (the verdict a CI job would
see) and Perl's TAP::Parser (every point, directive and YAML block, decoded by its YAMLish
reader). Both are the real tools from the perl package; the tests skip when they are absent.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding, Results
from oci_conform.model.rollup import cell_outcomes
from oci_conform.report import tap13
from oci_conform.report._shared import clause_info
from tests.report.conftest import sample_results

PROVE = shutil.which("prove")
# Prints what TAP::Parser saw as JSON: each test point (with the YAML block after it) and the
# parse errors. Input bytes are passed through untouched (YAMLish strings are byte strings).
DUMP = r"""
use strict; use warnings; use TAP::Parser; use JSON::PP;
local $/; my $tap = <STDIN>;
my $p = TAP::Parser->new({ tap => $tap });
my @points;
while (my $r = $p->next) {
  if ($r->is_test) {
    push @points, { ok => ($r->ok eq 'ok' ? JSON::PP::true : JSON::PP::false),
                    number => $r->number + 0, description => $r->description,
                    directive => $r->directive, explanation => $r->explanation };
  } elsif ($r->is_yaml) {
    $points[-1]{yaml} = $r->data;
  }
}
binmode STDOUT;
print JSON::PP->new->canonical->encode({
  version => $p->version + 0, plan => $p->plan, points => \@points,
  parse_errors => [$p->parse_errors], failed => [map { $_ + 0 } $p->failed],
  has_problems => ($p->has_problems ? JSON::PP::true : JSON::PP::false) });
"""

pytestmark = pytest.mark.skipif(PROVE is None or shutil.which("perl") is None,
                                reason="perl's prove is not installed (apt-get install perl)")


def parsed(text: str) -> dict:
    done = subprocess.run(["perl", "-e", DUMP], input=text.encode("utf-8"), capture_output=True,
                          timeout=60, check=True)
    return json.loads(done.stdout.decode("utf-8"))


def prove(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROVE, "--exec", "cat", str(path)], capture_output=True, text=True,
                          timeout=60)


def _all_pass() -> Results:
    res = sample_results()
    res.results = [r for r in res.results if r.outcome in (Outcome.PASS, Outcome.SKIP,
                                                           Outcome.NA, Outcome.XFAIL)]
    return res


def test_prove_passes_a_run_where_everything_passes(tmp_path: Path) -> None:
    out = tmp_path / "ok.tap"
    out.write_text(tap13.render(_all_pass(), fail_on="must"), encoding="utf-8")
    done = prove(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Result: PASS" in done.stdout


def test_prove_fails_exactly_the_points_that_count(tmp_path: Path, results: Results) -> None:
    out = tmp_path / "bad.tap"
    text = tap13.render(results, fail_on="must")
    out.write_text(text, encoding="utf-8")
    done = prove(out)
    assert done.returncode == 1 and "Result: FAIL" in done.stdout
    seen = parsed(text)
    assert seen["version"] == 13 and seen["parse_errors"] == []
    counted = {p["description"] for p in seen["points"] if not p["ok"] and not p["directive"]}
    # the fail, error and xpass cells at MUST, and the error at SHOULD (errors always count)
    want = {f"- {impl}: {clause} [{clause_info(results, clause).level.value}] {o.value}"
            for (clause, impl), o in cell_outcomes(results).items()
            if o in (Outcome.ERROR,) or (o in (Outcome.FAIL, Outcome.XPASS)
                                         and clause_info(results, clause).level.tier == "must")}
    assert counted == want
    assert sorted(seen["failed"]) == sorted(p["number"] for p in seen["points"]
                                            if p["description"] in counted)


def test_every_cell_is_one_point_with_the_right_directive(results: Results) -> None:
    seen = parsed(tap13.render(results, fail_on="must"))
    cells = cell_outcomes(results)
    points = {p["description"][2:]: p for p in seen["points"]}
    assert seen["plan"] == f"1..{len(seen['points'])}"
    assert [p["number"] for p in seen["points"]] == list(range(1, len(points) + 1))
    assert len(points) == len(cells)
    for (clause, impl), outcome in cells.items():
        level = clause_info(results, clause).level
        point = points[f"{impl}: {clause} [{level.value}] {outcome.value}"]
        if outcome in (Outcome.SKIP, Outcome.NA):
            assert point["ok"] and point["directive"] == "SKIP"
        elif outcome is Outcome.XFAIL:
            assert not point["ok"] and point["directive"] == "TODO"
        elif outcome is Outcome.PASS:
            assert point["ok"] and not point["directive"]
        else:
            assert not point["ok"] and point["yaml"]["outcome"] == outcome.value
            below = outcome is not Outcome.ERROR and level.tier != "must"
            assert point["directive"] == ("TODO" if below else "")


def test_fail_on_should_makes_a_should_failure_count(results: Results) -> None:
    strict = parsed(tap13.render(results, fail_on="should"))
    loose = parsed(tap13.render(results, fail_on="must"))
    def counted(seen: dict) -> set[str]:
        return {p["description"] for p in seen["points"] if not p["ok"] and not p["directive"]}
    assert counted(strict) - counted(loose) == {"- runc: rt.config.process.1 [SHOULD] fail"}
    assert counted(loose) <= counted(strict)


HOSTILE = ('say "hi": C:\\path\\ # not a comment\nnext line\ttab\x00nul\x1besc é ☃ '
           "- item: value --- ... 'single' \x7f")


def test_hostile_text_survives_the_yamlish_reader(results: Results) -> None:
    for r in results.results:
        if r.outcome is Outcome.FAIL and r.implementation == "crun":
            r.message = HOSTILE
            r.findings = [Finding(HOSTILE, "/x: y", "a: b", "- c")]
    results.implementations[1].name = "cr#un: \\x"
    for r in results.results:
        if r.implementation == "crun":
            r.implementation = "cr#un: \\x"
    text = tap13.render(results, fail_on="must")
    seen = parsed(text)
    assert seen["parse_errors"] == []
    point = next(p for p in seen["points"] if "rt.runtime.state.1 [MUST] fail" in p["description"])
    # the escaped '#' starts no directive (TAP::Parser keeps the escapes in the description)
    assert point["description"].startswith("- cr\\#un: \\\\x: ") and point["directive"] == ""
    case = point["yaml"]["cases"][0]
    assert case["message"] == HOSTILE
    assert case["findings"][0].startswith("/x: y: " + HOSTILE)


def test_a_lone_surrogate_and_c1_controls_are_replaced(results: Results) -> None:
    failing = next(r for r in results.results if r.outcome is Outcome.FAIL
                   and (r.clause, r.implementation) == ("rt.runtime.state.1", "crun"))
    failing.message = "bad \udce9 name \x85 end"
    text = tap13.render(results, fail_on="must")
    text.encode("utf-8")                           # writable as UTF-8
    assert 'message: "bad \ufffd name \ufffd end"' in text
    assert parsed(text)["parse_errors"] == []


def test_harness_errors_and_implementations_without_results(tmp_path: Path) -> None:
    from oci_conform.model.results import Implementation
    res = Results("0.1.0", "c", "2026-11-29T10:00:00Z",
                  implementations=[Implementation("ghost", "runtime", available=False,
                                                  reason="not # installed")],
                  harness_errors=["suite stopped: boom\nsecond line"])
    seen = parsed(tap13.render(res))
    assert seen["parse_errors"] == []
    first, last = seen["points"]
    assert first["ok"] and first["directive"] == "SKIP"
    assert first["explanation"] == "not \\# installed"
    assert not last["ok"] and last["yaml"]["harness_errors"] == ["suite stopped: boom\nsecond line"]
    empty = parsed(tap13.render(Results("0.1.0", "c", "2026-11-29T10:00:00Z")))
    assert empty["parse_errors"] == [] and empty["points"] == []


def test_report_render_tap13_end_to_end(tmp_path: Path) -> None:
    from oci_conform.results_file import save_results
    saved = tmp_path / "results.json"
    save_results(saved, sample_results())
    out = tmp_path / "out.tap"
    done = subprocess.run([sys.executable, "-m", "oci_conform", "report", "render", str(saved),
                           "--format", "tap13", "-o", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("TAP version 13\n")
    assert prove(out).returncode == 1


def test_yamlish_quote_is_also_plain_yaml() -> None:
    """The same scalar read by a YAML 1.2 reading of double-quoted escapes (JSON plus \\xHH)."""
    text = 'a: "b"\\c\n\x01'
    quoted = tap13.quote(text)
    as_json = quoted.replace("\\x", "\\u00")
    assert json.loads(as_json) == text
    assert tap13.quote(7) == "7"


def test_one_cell_with_several_cases_is_one_point() -> None:
    res = sample_results()
    res.results.append(CaseResult("rt.runtime.state.1", "runc", Outcome.FAIL, "state-again",
                                  "second case fails"))
    seen = parsed(tap13.render(res, fail_on="must"))
    runc = [p for p in seen["points"] if "runc: rt.runtime.state.1 " in p["description"]]
    assert len(runc) == 1 and not runc[0]["ok"]
    assert sorted(c["case"] for c in runc[0]["yaml"]["cases"]) == ["state-again", "state-basic"]
