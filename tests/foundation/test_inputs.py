"""Every input is checked before anything runs; a harness crash is one line and exit 3.

- a broken ``--expectations`` file stops ``matrix`` and ``runtime test`` before any suite starts
  (no progress line, no report written), with one line on stderr and exit 2;
- an output whose folder does not exist is a usage error, not a silent mkdir;
- an unexpected exception inside a command prints one line (the traceback only with --debug)
  and exits 3.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oci_conform import cli
from oci_conform.commands import report as report_command
from tests.report.conftest import sample_results

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env, check=False)


@pytest.mark.parametrize("command", [["matrix"], ["runtime", "test", "--runtime", "runc=runc"]])
@pytest.mark.parametrize("content", ["{", '{"expectations": [{"clause": 5}]}'])
def test_broken_expectations_stop_before_any_suite(tmp_path: Path, command: list[str],
                                                   content: str) -> None:
    exp = tmp_path / "exp.json"
    exp.write_text(content, encoding="utf-8")
    started = time.monotonic()
    proc = run_cli(*command, "--expectations", str(exp), "--results", "r.json", cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --expectations "), lines
    assert str(exp) in lines[0]
    assert "starting" not in proc.stderr and "[" not in lines[0].split(":", 1)[0]
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.json"]   # no reports, no r.json
    print(f"refused in {elapsed:.2f} s")


@pytest.mark.parametrize("argv", [
    ["matrix", "-o", "/no/such/dir/out"],
    ["runtime", "test", "--results", "/no/such/dir/r.json"],
    ["report", "render", "r.json", "-o", "/no/such/dir/out"],
    ["matrix", "--reports", "/no/such/dir/reports"],
    ["matrix", "--jobs", "0"],
    ["matrix", "-o", "/"],
])
def test_bad_outputs_are_usage_errors(tmp_path: Path, argv: list[str]) -> None:
    proc = run_cli(*argv, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []
    assert not Path("/no/such/dir").exists()


def test_a_device_output_is_accepted_and_written_in_place(tmp_path: Path) -> None:
    from oci_conform.commands.common import output_path_problem
    assert output_path_problem("-o", "/dev/null") == ""
    assert "is a directory" in output_path_problem("-o", str(tmp_path))
    assert "does not exist" in output_path_problem("-o", "/no/such/dir/out")


def _broken_renderer(_results: object) -> str:
    """FAULT INJECTION: a renderer bug no real renderer shows on demand."""
    raise KeyError("boom")


@pytest.mark.parametrize("debug", [False, True])
def test_a_harness_crash_is_one_line_and_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                debug: bool) -> None:
    from oci_conform.results_file import save_results
    path = tmp_path / "r.json"
    save_results(path, sample_results())
    monkeypatch.setattr(report_command, "render",
                        lambda results, fmt, **_options: _broken_renderer(results))
    code = cli.main(["report", "render", str(path), *(["--debug"] if debug else [])])
    err = capsys.readouterr().err
    assert code == 3
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: internal error (harness): KeyError: 'boom'")
    assert "--debug" in last
    assert ("Traceback" in err) is debug
    if not debug:
        assert len(err.strip().splitlines()) == 1


class _CrashingSuite:
    """FAULT INJECTION: a suite with a bug (no real suite crashes on demand)."""

    name, kind, option, help = "crashing", "runtime", "--crashing", "a broken suite"

    def clause_ids(self) -> frozenset[str]:
        return frozenset({"rt.runtime.state.1"})

    def run(self, impl, ctx):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("bug in a suite")
        yield


@pytest.mark.parametrize("debug", [False, True])
def test_a_suite_crash_is_a_harness_error_of_one_line(tmp_path: Path, debug: bool) -> None:
    from oci_conform.catalog.loader import default_catalog
    from oci_conform.model.results import Implementation
    from oci_conform.model.verdict import ExitCode, exit_code
    from oci_conform.orchestrate import PlanItem, run_plan
    from oci_conform.suites.base import RunContext
    said: list[str] = []
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path, progress=said.append,
                     debug=debug)
    impl = Implementation("x", "runtime", "x")
    results = run_plan([PlanItem(_CrashingSuite(), [impl])], ctx)   # type: ignore[list-item]
    assert results.harness_errors == [
        "suite crashing on x stopped: ZeroDivisionError: bug in a suite"]
    assert exit_code(results) is ExitCode.HARNESS_ERROR
    crash = [s for s in said if "ZeroDivisionError" in s]
    assert len(crash) == 1 and ("Traceback" in crash[0]) is debug
