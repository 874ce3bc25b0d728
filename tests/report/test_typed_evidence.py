"""Every renderer reads the typed evidence and shows the markers of the judging core.

- a runtime failure in JUnit and TAP (rendered by ``report render`` from a results file holding
  a ``ProcessRun``) shows the command, the exit code and the stderr tail;
- HTTP exchanges of a failure are shown (text, JUnit, TAP, HTML);
- ``omitted_findings`` shows as "and N more";
- a result beyond the claimed version is marked "beyond claimed version" in every format, kept
  out of the exit code, of the pass rates (which say so) and of JUnit/TAP/SARIF/GitHub failures.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from oci_conform.model.evidence import Evidence, HttpExchange, ProcessRun
from oci_conform.model.outcome import Level, Outcome
from oci_conform.model.results import CaseResult, ClauseInfo, Finding, Implementation, Results
from oci_conform.model.rollup import per_implementation
from oci_conform.model.verdict import ExitCode, exit_code
from oci_conform.report import renderers
from oci_conform.results_file import save_results

REPO = Path(__file__).resolve().parents[2]
BEYOND = "beyond claimed version"


def _clause(cid: str, level: Level = Level.MUST) -> ClauseInfo:
    return ClauseInfo(cid, "runtime-spec", "runtime", "", level, f"summary of {cid}",
                      f"https://example.invalid/{cid}")


def typed_results() -> Results:
    run = ProcessRun(["runc", "--root", "/run/x", "delete", "c7"], 0, stdout="",
                     stderr="container c7 deleted while running\n", duration=0.03)
    before = ProcessRun(["runc", "--root", "/run/x", "create", "c7"], 0)
    failing = ProcessRun(["runc", "--root", "/run/x", "state", "c7"], 17,
                         stderr="warning\nstate: container c7 vanished\n")
    exchange = HttpExchange.recorded(
        "PUT", "http://127.0.0.1:5000/v2/t/blobs/uploads/1?digest=sha256:ab&token=s3cret", 400,
        request_headers={"Authorization": "Bearer s3cret"}, response_body='{"errors":[]}')
    findings = [Finding(f"bad field {n}", f"/f{n}", file="config.json", line=n + 1)
                for n in range(3)]
    impls = [Implementation("runc", "runtime", "runc", "1.1.5", "1.0.2"),
             Implementation("reg", "registry", "http://127.0.0.1:5000", "2.8.2")]
    results = [
        CaseResult("rt.runtime.delete.2", "runc", Outcome.FAIL, "runtime:delete-running",
                   "delete of a running container succeeded",
                   evidence=Evidence(runs=[before, failing, run])),
        CaseResult("rt.config.root.1", "runc", Outcome.FAIL, "config:root", "three shown",
                   findings, omitted_findings=7),
        CaseResult("rt.runtime.state.12", "runc", Outcome.FAIL, "runtime:state-new",
                   "field added in 1.2 missing", beyond_claim="since 1.2.0; runc claims 1.0.2",
                   findings=[Finding("missing", "/x", file="state.json", line=2)]),
        CaseResult("rt.runtime.start.1", "runc", Outcome.PASS, "runtime:start"),
        CaseResult("dist.push.blob.1", "reg", Outcome.FAIL, "registry:push-blob",
                   "monolithic push refused", evidence=Evidence(exchanges=[exchange])),
    ]
    clauses = {c: _clause(c) for c in ("rt.runtime.delete.2", "rt.config.root.1",
                                       "rt.runtime.state.12", "rt.runtime.start.1",
                                       "dist.push.blob.1")}
    return Results("0.1.0", "cat", "2026-12-01T00:00:00Z", "2026-12-01T00:01:00Z",
                   implementations=impls, clauses=clauses, results=results)


def _render_from_file(tmp_path: Path, fmt: str, results: Results | None = None) -> str:
    path = tmp_path / "results.json"
    save_results(path, results or typed_results())
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "report", "render", str(path),
                           "--format", fmt], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_junit_runtime_failure_shows_command_exit_code_and_stderr(tmp_path: Path) -> None:
    root = ET.fromstring(_render_from_file(tmp_path, "junit"))
    case = next(c for c in root.iter("testcase") if c.get("name") == "rt.runtime.delete.2")
    failure = case.find("failure")
    assert failure is not None and failure.text
    assert "command: runc --root /run/x state c7" in failure.text      # the run that failed
    assert "exit code: 17" in failure.text
    assert "state: container c7 vanished" in failure.text


def test_tap_runtime_failure_shows_command_exit_code_and_stderr(tmp_path: Path) -> None:
    text = _render_from_file(tmp_path, "tap")
    block = text.split("rt.runtime.delete.2", 1)[1].split("...", 1)[0]
    assert 'command: "runc --root /run/x state c7"' in block
    assert "exit_code: 17" in block
    assert "state: container c7 vanished" in block


@pytest.mark.parametrize("fmt", ["text", "junit", "tap", "html"])
def test_http_exchanges_of_a_failure_are_shown_redacted(fmt: str) -> None:
    out = renderers()[fmt](typed_results())
    if fmt == "html":
        assert '"method":"PUT","url":"http://127.0.0.1:5000/v2/t/blobs/uploads/1' in out
    else:
        assert "PUT http://127.0.0.1:5000/v2/t/blobs/uploads/1" in out
    assert "s3cret" not in out


@pytest.mark.parametrize("fmt", ["text", "junit", "tap", "markdown", "html", "github"])
def test_omitted_findings_show_as_and_n_more(fmt: str) -> None:
    out = renderers()[fmt](typed_results())
    if fmt == "html":
        data = out.split('type="application/json"', 1)[1]
        assert '"more_findings":7' in data
    elif fmt == "markdown":
        assert "and 7 more findings" in out
    else:
        assert "and 7 more" in out, out[:3000]


@pytest.mark.parametrize("fmt", sorted(renderers()))
def test_beyond_claim_is_marked_in_every_format(fmt: str) -> None:
    out = renderers()[fmt](typed_results())
    if fmt == "json":
        doc = json.loads(out)
        marked = [r for r in doc["results"] if r.get("beyond_claim")]
        assert [r["clause"] for r in marked] == ["rt.runtime.state.12"]
    else:
        assert BEYOND in out, fmt


def test_beyond_claim_stays_out_of_exit_code_and_pass_rates() -> None:
    only = typed_results()
    only.results = [r for r in only.results if r.beyond_claim or r.outcome is Outcome.PASS]
    assert exit_code(only) is ExitCode.CONFORMANT
    tally = per_implementation(only)["runc"]
    assert (tally.passed, tally.judged, tally.beyond) == (1, 1, 1)
    text = renderers()["text"](only)
    assert "1/1" in text and f"† {BEYOND}" in text
    md = renderers()["markdown"](only)
    assert "**conformant**" in md and f"{BEYOND} †" in md
    html = renderers()["html"](only)
    assert "1 beyond claimed version, not counted" in html


def test_beyond_claim_failures_do_not_fail_junit_tap_sarif_github() -> None:
    only = typed_results()
    only.results = [r for r in only.results if r.beyond_claim]
    root = ET.fromstring(renderers()["junit"](only))
    assert root.get("failures") == "0"
    skipped = next(root.iter("skipped"))
    assert skipped.get("type") == "beyond-claim" and BEYOND in skipped.get("message", "")
    tap = renderers()["tap"](only)
    assert f"# TODO {BEYOND}" in tap and "\nnot ok 1 - runc" not in tap
    sarif = json.loads(renderers()["sarif"](only))
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"note"}
    github = renderers()["github"](only)
    assert "::error" not in github and "::notice" in github


def test_junit_and_sarif_with_markers_stay_schema_valid() -> None:
    from tests.report.test_hostile import surrogate_results
    from tests.report.test_junit import _schema
    from tests.report.test_sarif import _problems
    for results in (typed_results(), surrogate_results()):
        _schema().validate(renderers()["junit"](results))
        assert _problems(json.loads(renderers()["sarif"](results))) == []
