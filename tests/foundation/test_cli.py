"""The command line: usage errors are one line and exit 2, never a traceback."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

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


def test_the_installed_command_runs_main_then_freezes_what_is_left(tmp_path: Path) -> None:
    """``run`` (the ``oci-conform`` entry point and ``python -m oci_conform``) returns what
    ``main`` returns, with young objects collected less often, the objects alive at the end
    frozen out of the interpreter's last collection, and the command's results file whole."""
    doc = tmp_path / "config.json"
    doc.write_text('{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": 7}')
    out = tmp_path / "out.json"
    probe = ("import gc, sys\nfrom oci_conform.cli import run\n"
             f"sys.argv = ['oci-conform', 'config', 'validate', {str(doc)!r},"
             f" '--results', {str(out)!r}]\n"
             "code = run()\nprint('exit', code, 'frozen', gc.get_freeze_count() > 0,"
             " 'young', gc.get_threshold()[0])\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.splitlines()[-1] == "exit 1 frozen True young 10000", \
        done.stdout + done.stderr
    assert main(["config", "validate", str(doc)]) == 1
    assert json.loads(out.read_text(encoding="utf-8"))["implementations"]
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml")
                              .read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["oci-conform"] == "oci_conform.cli:run"
