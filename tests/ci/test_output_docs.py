"""docs/ci.md, "Output in CI logs": the blocks marked ``tested:`` run as written, in bash, on a
bundle made from the fixtures (a good config: exit 0; a bad one: exit 1)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
GOOD = REPO / "fixtures" / "config" / "good" / "full.json"
BAD = REPO / "fixtures" / "config" / "bad" / "rt.config-linux.block-io.1.json"


def block(name: str) -> str:
    match = re.search(rf"<!-- tested: {name} -->\n```\w*\n(.*?)```", DOC, re.S)
    assert match, f"docs/ci.md has no block marked tested: {name}"
    return match.group(1)


def run_block(name: str, tmp_path: Path, config: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "bundle").mkdir()
    shutil.copy(config, tmp_path / "bundle" / "config.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCI_CONFORM_")
           or k == "OCI_CONFORM_CACHE"}
    env.pop("GITHUB_ACTIONS", None)
    env.update(PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
               PYTHONPATH=str(REPO))
    return subprocess.run(["bash", "-c", "set -u\n" + block(name)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("config, status", [(GOOD, 0), (BAD, 1)])
def test_environment_block(tmp_path: Path, config: Path, status: int) -> None:
    done = run_block("environment", tmp_path, config)
    assert done.returncode == status, done.stderr[-2000:]
    assert done.stdout == "" and done.stderr == ""       # quiet, and the report went to -o
    suites = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
    assert len(list(suites.iter("testcase"))) > 50
    assert json.loads((tmp_path / "reports" / "results.json").read_text())["results"]


@pytest.mark.skipif(shutil.which("prove") is None, reason="perl's prove is not installed")
@pytest.mark.parametrize("config, status", [(GOOD, 0), (BAD, 1)])
def test_tap13_block_with_prove(tmp_path: Path, config: Path, status: int) -> None:
    done = run_block("tap13", tmp_path, config)
    assert done.returncode == status, done.stdout[-2000:] + done.stderr[-2000:]
    assert ("Result: PASS" if status == 0 else "Result: FAIL") in done.stdout
    assert "Parse errors" not in done.stdout
    assert (tmp_path / "reports" / "results.tap").read_text().startswith("TAP version 13\n")
