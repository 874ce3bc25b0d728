"""The command line: usage errors are one line and exit 2, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from oci_conform.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("argv", [["bogus"], ["matrix", "--fail-on", "never"],
                                  ["clauses", "--format", "yaml"], ["matrix", "--jobs", "x"],
                                  ["matrix", "--suite", "nonexistent"]])
def test_bad_command_lines_exit_2_with_one_line(argv: list[str]) -> None:
    proc = run_cli(*argv)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error:")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("oci-conform ")


def test_clauses_with_no_match_exits_4() -> None:
    proc = run_cli("clauses", "--text", "no clause has this text 7f3a")
    assert proc.returncode == 4


def test_bad_expectations_file_is_a_usage_error(tmp_path) -> None:
    bad = tmp_path / "exp.json"
    bad.write_text("{")
    proc = run_cli("matrix", "--only-given", "--expectations", str(bad),
                   "--reports", str(tmp_path / "r"))
    # Inputs are checked before anything else, even before "nothing selected".
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "exp.json" in proc.stderr and "not JSON" in proc.stderr
