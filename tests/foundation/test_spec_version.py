"""``runtime test --spec-version 1.0.2`` records 1.0.2 and links every clause to the 1.0.2 text.

Runs the real runc (installed by scripts/setup.sh) on the ``state`` group.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")
def test_runtime_spec_version_is_recorded_and_links_follow_it(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "oci_conform", "runtime", "test", "--runtime", "runc=runc",
         "--spec-version", "1.0.2", "--group", "state", "--format", "json", "-o", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["specs"]["runtime-spec"] == "1.0.2"
    runtime_clauses = [c for c in data["clauses"].values() if c["spec"] == "runtime-spec"]
    assert runtime_clauses
    for clause in runtime_clauses:
        assert "/runtime-spec/blob/v1.0.2/" in clause["link"], clause
    judged = {r["clause"] for r in data["results"] if r["outcome"] in ("pass", "fail")}
    assert any(c.startswith("rt.runtime.state") for c in judged)
