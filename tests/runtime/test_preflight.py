"""Fail fast, one line: a runtime that cannot run, or a host that cannot run the suite, is
said once before any case runs (``runtime test``: one line, exit 3; ``matrix``: one error
outcome for the column), never one error per case."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.cli import main
from oci_conform.drivers.runtime_cli import RuntimeCommand
from oci_conform.suites.runtime import preflight

FALSE = shutil.which("false") or "/bin/false"
pytest_plugins = ["pytester"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_a_binary_that_does_not_answer_version_fails_fast_in_one_line() -> None:
    # /bin/false is a real binary that exits 1 to everything, --version included
    proc = run_cli("runtime", "test", "--runtime", f"liar={FALSE}", "--group", "state")
    assert proc.returncode == 3, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("error: runtime liar:") and "--version failed (exit 1)" in line


def test_the_matrix_gives_one_error_outcome_for_that_column(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("as non-root the column's one error names root instead (tested below)")
    proc = run_cli("matrix", "--suite", "runtime", "--only-given", "--runtime",
                   f"liar={FALSE}", "--group", "state", "--reports", str(tmp_path / "rep"),
                   "--format", "json", "-o", str(tmp_path / "r.json"))
    assert proc.returncode == 3, proc.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    rows = [(r["clause"], r["outcome"]) for r in doc["results"]]
    assert rows == [("harness.runtime.usable", "error")]
    [row] = doc["results"]
    assert "--version failed" in row["message"]
    assert row["evidence"]["runs"][0]["argv"] == [FALSE, "--version"]


def test_runtime_test_as_non_root_says_so_once(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    # This host runs the tests as root; the unprivileged uid is faked (a mock, named as such)
    # so that the check itself runs; test_host_problem_names_root covers the pure function.
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["runtime", "test", "--runtime", "runc=runc", "--group", "state"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs root (running as uid 1000)" in err[0]


def test_host_problem_names_root_and_missing_namespaces(tmp_path: Path) -> None:
    assert "needs root" in preflight.host_problem(uid=1000)
    (tmp_path / "mnt").touch()
    (tmp_path / "uts").touch()
    problem = preflight.host_problem(uid=0, ns_dir=tmp_path)
    assert "lacks namespaces" in problem and "pid, ipc" in problem
    if Path("/proc/self/ns/pid").exists() and os.geteuid() == 0 and shutil.which("busybox"):
        assert preflight.host_problem() in ("", "no static busybox on this host "
                                            "(install busybox-static)")


def test_binary_problem_names_the_binary() -> None:
    assert "not on PATH" in preflight.binary_problem(RuntimeCommand("no-such-runtime-xyz"))
    assert "no such file" in preflight.binary_problem(RuntimeCommand("/nonexistent/rt"))
    assert preflight.binary_problem(RuntimeCommand(FALSE)) == ""


def test_version_problem_is_empty_for_a_real_runtime() -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    problem, run = preflight.version_problem(RuntimeCommand("runc"))
    assert problem == "" and run.exit_code == 0 and "runc version" in run.stdout


def test_limits_line_sums_up_host_limits_once() -> None:
    assert preflight.limits_line("runc", []) == ""
    line = preflight.limits_line("runc", ["no time namespace", "no hugetlb controller",
                                          "no time namespace"])
    assert line.count("\n") == 0
    assert "3 cases skip" in line and "no time namespace (2 cases)" in line
    assert "no hugetlb controller (1 case)" in line


def _script(tmp_path: Path, name: str, body: str) -> RuntimeCommand:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return RuntimeCommand(str(path))


def test_a_runtime_hanging_or_crashing_on_version_is_caught(tmp_path: Path) -> None:
    problem, run = preflight.version_problem(_script(tmp_path, "hang", "exec sleep 30"), 0.5)
    assert "--version failed (timed out" in problem and run.timed_out
    problem, run = preflight.version_problem(_script(tmp_path, "segv", "kill -SEGV $$"))
    assert "--version failed (exit -11)" in problem
    problem, _ = preflight.version_problem(_script(tmp_path, "mute", "exit 0"))
    assert "printed nothing" in problem


def test_the_pytest_plugin_names_the_problem_instead_of_not_observed(
        pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--oci-runtime=liar={FALSE}",
                                           "-k", "delete-without-id")
    result.assert_outcomes(errors=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*harness.runtime.usable*--version failed (exit 1)*"])
