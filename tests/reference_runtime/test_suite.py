"""The runtime behaviour suite against the reference runtime, with no expectations file.

Every outcome must be pass, skip (a host reason the suite detected) or n/a, except the
deviations listed in KNOWN, each with its reason.  The equality is exact: a known
deviation that starts passing, or a new failure, both fail this test.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KNOWN: dict[tuple[str, str], str] = {}


def _runtime_command() -> str:
    script = Path(sys.executable).parent / "oci-conform-runtime"
    return str(script) if script.exists() else "oci-conform-runtime"


def test_runtime_suite_passes_on_reference_runtime(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    argv = [sys.executable, "-m", "oci_conform", "matrix", "--suite", "runtime", "--only-given",
            "--runtime", f"reference={_runtime_command()}", "--jobs", "2",
            "--reports", str(tmp_path / "reports"), "--results", str(results)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    assert results.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads(results.read_text())
    ours = [r for r in doc["results"] if r["implementation"] == "reference"]
    bad = {(r["clause"], r.get("case", "")): r.get("message", "") for r in ours
           if r["outcome"] not in ("pass", "skip", "n/a")}
    assert set(bad) == set(KNOWN), json.dumps(sorted(map(list, bad.items())), indent=1)[:4000]
    passed = sum(r["outcome"] == "pass" for r in ours)
    assert passed >= 150, f"only {passed} passes: the suite judged too little"
