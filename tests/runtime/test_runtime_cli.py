"""``oci-conform runtime``: usage errors, selection, and a missing runtime failing fast."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("argv", [
    ["runtime", "test", "--runtime", "nonsense"],
    ["runtime", "test", "--runtime", "x=bogus-wrapper:runc"],
    ["runtime", "test", "--jobs", "0"],
    ["runtime", "test", "--spec-version", "9.9.9"],
])
def test_bad_runtime_command_lines_exit_2(argv: list[str]) -> None:
    proc = run_cli(*argv)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().startswith("error:")


def test_nothing_selected_exits_4() -> None:
    proc = run_cli("runtime", "test", "--runtime", "runc=runc", "-k", "no-such-case-xyz")
    assert proc.returncode == 4, proc.stderr


def test_cases_lists_json_with_clauses() -> None:
    proc = run_cli("runtime", "cases", "--format", "json", "--group", "hooks")
    cases = json.loads(proc.stdout)
    assert proc.returncode == 0 and len(cases) >= 40
    assert all(c["group"] == "hooks" and c["clauses"] for c in cases)


def test_missing_runtime_fails_fast_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.json"
    proc = run_cli("runtime", "test", "--runtime", "ghost=/nonexistent/ghost-runtime",
                   "--group", "state", "--format", "json", "-o", str(out))
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "ghost" in lines[0] and "/nonexistent/ghost-runtime" in lines[0]
    assert "not found" in lines[0] and not out.exists()


def _run_json(tmp_path, *extra: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    out = tmp_path / f"r{len(list(tmp_path.iterdir()))}.json"
    proc = run_cli("runtime", "test", "--runtime", "runc=runc",
                   "--case", "scheduler-unknown-policy-errors",
                   "--case", "state-document-created", *extra, "--format", "json",
                   "-o", str(out))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(out.read_text())


def _cell(doc: dict, clause: str) -> dict:
    return next(r for r in doc["results"] if r["clause"] == clause)


@pytest.mark.integration
def test_beyond_claim_cells_are_kept_marked_and_out_of_the_exit_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """runc claims 1.0.2: by default it is judged at the newest spec, and what only holds
    after 1.0.2 keeps its outcome, marked; --spec-version puts a version in force."""
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    rc, doc = _run_json(tmp_path)
    sched = _cell(doc, "rt.config.linux-process.15")          # since 1.1.0; runc accepts it
    assert sched["outcome"] == "fail" and "runc claims 1.0.2" in sched["beyond_claim"]
    schema = _cell(doc, "rt.runtime.state.12")                 # since 1.1.0
    assert schema["outcome"] == "pass" and schema["beyond_claim"]
    assert not _cell(doc, "rt.runtime.state.2").get("beyond_claim")
    assert rc == _rc_of(doc), "a beyond-claim failure must not change the exit code"
    rc, doc = _run_json(tmp_path, "--spec-version", "1.1.0")
    sched = _cell(doc, "rt.config.linux-process.15")
    assert sched["outcome"] == "fail" and not sched.get("beyond_claim")
    assert rc == 1, "asked for 1.1.0, its clauses count"
    rc, doc = _run_json(tmp_path, "--spec-version", "1.0.2")
    assert _cell(doc, "rt.config.linux-process.15")["outcome"] == "n/a"
    assert _cell(doc, "rt.runtime.state.12")["outcome"] == "n/a"
    assert _cell(doc, "rt.runtime.state.2")["outcome"] == "pass"
    assert not [r for r in doc["results"] if r["outcome"] == "skip"]   # never skip for this
    assert rc == _rc_of(doc)


def _rc_of(doc: dict) -> int:
    """0, or 1 when a counted (not beyond-claim) cell failed.  On this shared host other jobs'
    containers can change /dev/null during a run, which only harness.runtime.host-intact
    sees; any other counted failure is a test failure."""
    counted = [r["clause"] for r in doc["results"]
               if r["outcome"] == "fail" and not r.get("beyond_claim")]
    assert set(counted) <= {"harness.runtime.host-intact"}, counted
    return 1 if counted else 0


def test_unknown_case_is_a_usage_error() -> None:
    proc = run_cli("runtime", "test", "--runtime", "runc=runc", "--case", "no-such-case")
    assert proc.returncode == 2 and proc.stderr.startswith("error: --case")
