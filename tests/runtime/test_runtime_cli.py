"""``oci-conform runtime``: usage errors, selection, and a missing runtime as skips."""
from __future__ import annotations

import json
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


def test_missing_runtime_is_a_column_of_skips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.json"
    proc = run_cli("runtime", "test", "--runtime", "ghost=/nonexistent/ghost-runtime",
                   "--group", "state", "--format", "json", "-o", str(out))
    doc = json.loads(out.read_text())
    outcomes = {r["outcome"] for r in doc["results"]}
    assert outcomes == {"skip"}, outcomes
    assert all("not installed" in r["message"] for r in doc["results"])
    assert doc["implementations"][0]["available"] is False
    assert proc.returncode in (0, 4), proc.stderr
