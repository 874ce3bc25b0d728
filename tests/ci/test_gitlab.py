"""ci/gitlab-ci.yml: the template job's script lines run here as a GitLab runner runs them."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.ci import miniyaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "ci/gitlab-ci.yml"
JOB = miniyaml.loads(TEMPLATE.read_text())["oci-conform"]
GOOD = REPO / "fixtures/config/good/full.json"
BAD = REPO / "fixtures/config/bad/rt.config-linux.block-io.1.json"


def run_job(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The script lines in one shell that stops at the first failing line (GitLab's way),
    with the job's variables, overridden as an including project would."""
    unknown = set(variables) - set(JOB["variables"])
    assert not unknown, unknown
    env = {**os.environ, **JOB["variables"], **variables,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PYTHONPATH": str(REPO)}
    script = "set -eo pipefail\n" + "\n".join(JOB["script"])
    return subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def test_artifacts_declared() -> None:
    artifacts = JOB["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == "oci-conform-reports/junit.xml"
    assert "oci-conform-reports/" in artifacts["paths"]


@pytest.mark.parametrize("config, status", [(GOOD, 0), (BAD, 1)])
def test_script_lines_run(tmp_path: Path, config: Path, status: int) -> None:
    shutil.copy(config, tmp_path / "config.json")
    done = run_job(tmp_path)
    assert done.returncode == status, done.stdout[-1500:] + done.stderr[-1500:]
    reports = tmp_path / "oci-conform-reports"
    suites = ET.parse(reports / "junit.xml").getroot()
    failures = [c for c in suites.iter("testcase") if c.find("failure") is not None]
    assert bool(failures) == bool(status)
    assert json.loads((reports / "results.sarif").read_text())["version"] == "2.1.0"
    assert (reports / "report.html").stat().st_size > 1000


def test_usage_error_keeps_its_exit_code(tmp_path: Path) -> None:
    done = run_job(tmp_path, OCI_CONFORM_ARGS="no-such.json")
    assert done.returncode == 2, done.stderr
    assert "no-such.json" in done.stderr


@pytest.mark.parametrize("path", ["ci/gitlab-ci.yml", "action.yml"])
def test_miniyaml_agrees_with_pyyaml(path: str) -> None:
    """Where Debian's PyYAML is on the system Python, our reader must see the same data."""
    system = shutil.which("python3", path="/usr/bin")
    probe = system and subprocess.run([system, "-c", "import yaml"], capture_output=True)
    if not system or probe is None or probe.returncode:
        pytest.skip("the system python3 has no PyYAML to compare with")
    code = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
    full = subprocess.run([system, "-c", code, str(REPO / path)], capture_output=True,
                          text=True, check=True)
    theirs = json.loads(full.stdout)
    ours = miniyaml.loads((REPO / path).read_text())
    assert ours == theirs
