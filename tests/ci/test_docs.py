"""docs/ci.md: every block marked ``tested:`` runs as written on a bundle made from fixtures."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.ci import miniyaml
from tests.ci.test_action import ACTION, run_action

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs/ci.md").read_text()
GOOD = REPO / "fixtures/config/good/full.json"
BAD = REPO / "fixtures/config/bad/rt.config-linux.block-io.1.json"


def block(name: str) -> str:
    match = re.search(rf"<!-- tested: {name} -->\n```\w*\n(.*?)```", DOC, re.S)
    assert match, f"docs/ci.md has no block marked tested: {name}"
    return match.group(1)


def workspace(tmp_path: Path, config: Path) -> Path:
    (tmp_path / "bundle").mkdir()
    shutil.copy(config, tmp_path / "bundle/config.json")
    return tmp_path


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PYTHONPATH": str(REPO)}


def test_github_example_uses_the_action(tmp_path: Path) -> None:
    steps = miniyaml.loads(block("github"))["jobs"]["conformance"]["steps"]
    ours = next(s for s in steps if s.get("uses") == "./")
    assert set(ours["with"]) <= set(ACTION["inputs"])
    for ref in re.findall(r"steps\.oci\.outputs\.(\w+)", block("github")):
        assert ref in ACTION["outputs"], ref
    job = run_action(workspace(tmp_path, GOOD), install="none", **ours["with"])
    assert job.outputs["run"]["verdict"] == "0", job.stdout[-2000:]
    assert job.summary.strip() and job.codes["verdict"] == 0


@pytest.mark.parametrize("config, status", [(GOOD, 0), (BAD, 1)])
def test_shell_pipeline(tmp_path: Path, config: Path, status: int) -> None:
    done = subprocess.run(["bash", "-c", block("shell")], cwd=workspace(tmp_path, config),
                          env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == status, done.stderr[-2000:]
    for name in ("results.json", "junit.xml", "report.html", "results.sarif"):
        assert (tmp_path / "reports" / name).stat().st_size > 100, name


def test_pytest_line(tmp_path: Path) -> None:
    argv = shlex.split(block("pytest").replace("\\\n", " "))
    assert argv[0] == "pytest"
    done = subprocess.run([sys.executable, "-m", *argv], cwd=workspace(tmp_path, GOOD),
                          env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    cases = list(ET.parse(tmp_path / "reports/pytest-junit.xml").getroot().iter("testcase"))
    assert len(cases) > 50
    levels = {p.get("value") for c in cases for p in c.iter("property")
              if p.get("name") == "level"}
    assert levels <= {"MUST", "MUST NOT"} and levels, levels
