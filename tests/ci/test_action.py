"""action.yml: its run steps executed here as a GitHub runner would, on small real jobs."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ci import miniyaml

REPO = Path(__file__).resolve().parents[2]
ACTION = miniyaml.loads((REPO / "action.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
BAD_CONFIG = "fixtures/config/bad/rt.config-linux.block-io.1.json"
GOOD_CONFIG = "fixtures/config/good/full.json"


@dataclass
class Job:
    """What a run of the action left: step exit codes, outputs, stdout, summary, files."""

    codes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    stdout: str = ""
    summary: str = ""


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _expand(text: str, inputs: dict[str, str], job: Job) -> str:
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        if expr == "github.action_path":
            return str(REPO)
        step, _, key = expr.removeprefix("steps.").partition(".outputs.")
        if expr.startswith("steps.") and key:
            return job.outputs.get(step, {}).get(key, "")
        raise AssertionError(f"expression the test does not know: {expr}")
    return EXPR.sub(one, text)


def run_action(tmp_path: Path, *, checkout_on_path: bool = True, **given: str) -> Job:
    """Run every ``run:`` step of the action in order, in ``tmp_path`` as the workspace
    (``checkout_on_path``: this checkout on PYTHONPATH, for install: none)."""
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    inputs.update(given)
    job, summary = Job(), tmp_path / "summary.md"
    base = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "HOME": str(tmp_path), "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(tmp_path),
            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path),
            **({"PYTHONPATH": str(REPO)} if checkout_on_path else {})}
    for n, step in enumerate(ACTION["runs"]["steps"]):
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        sid = step.get("id", f"step{n}")
        out_file = tmp_path / f"output-{sid}"
        out_file.touch()
        env = {**base, "GITHUB_OUTPUT": str(out_file)}
        env.update({k: _expand(str(v), inputs, job) for k, v in (step.get("env") or {}).items()})
        assert "${{" not in step["run"], f"step {sid}: expressions belong in env:, not run:"
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        job.codes[sid] = done.returncode
        job.outputs[sid] = _outputs(out_file)
        job.stdout += done.stdout + done.stderr
        if done.returncode and sid != "verdict":
            break
    job.summary = summary.read_text() if summary.exists() else ""
    return job


def test_action_declares_what_it_uses() -> None:
    text = (REPO / "action.yml").read_text()
    used = {m.group(1).split(".")[1] for m in EXPR.finditer(text)
            if m.group(1).startswith("inputs.")}
    assert used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["outputs"]) >= {"results", "verdict"}
    uses = [s["uses"] for s in ACTION["runs"]["steps"] if "uses" in s]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)


def test_nonconformant_config_job(tmp_path: Path) -> None:
    job = run_action(tmp_path, command="config validate", install="none",
                     args=f"{REPO / BAD_CONFIG} '{REPO / GOOD_CONFIG}'")
    assert job.codes["install"] == 0, job.stdout
    run = job.outputs["run"]
    assert run["verdict"] == "1", job.stdout
    assert job.codes["verdict"] == 1           # the action's last step fails the job
    # annotations: one error on the bad file's line, naming the clause
    assert re.search(r"::error file=[^,]*block-io\.1\.json,line=\d+.*rt\.config\.property-values",
                     job.stdout), job.stdout[-3000:]
    assert "rt.config.property-values" in job.summary
    reports = tmp_path / run["reports"]
    results = json.loads((tmp_path / run["results"]).read_text())
    assert {r["outcome"] for r in results["results"]} >= {"pass", "fail"}
    sarif = json.loads((reports / "results.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "<testsuite" in (reports / "junit.xml").read_text()
    assert "rt.config.property-values" in (reports / "report.html").read_text()


def test_conformant_image_job(tmp_path: Path) -> None:
    job = run_action(tmp_path, command="image validate", install="none",
                     args=f"oci:{REPO / 'fixtures/image/good/oci-single'}", **{"fail-on": "must"})
    assert job.outputs["run"]["verdict"] == "0", job.stdout[-3000:]
    assert job.codes["verdict"] == 0
    assert "::error" not in job.stdout
    assert job.summary.strip()
    assert (tmp_path / "oci-conform-reports" / "report.html").stat().st_size > 1000


def test_unknown_install_mode_fails_early(tmp_path: Path) -> None:
    job = run_action(tmp_path, command="config validate", install="docker",
                     args=str(REPO / GOOD_CONFIG))
    assert job.codes["install"] == 2 and "run" not in job.codes
    assert "::error::install: unknown mode 'docker'" in job.stdout


@pytest.mark.parametrize("command, mode", [("matrix", "full"), ("runtime test", "full"),
                                           ("image validate", "pip")])
def test_auto_install_picks_by_command(tmp_path: Path, command: str, mode: str) -> None:
    """The auto choice, read from the install step with the installers stubbed out of PATH:
    a named fake (not a real install) since installing twice per test costs minutes."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("python3", "sudo", "apt-get"):
        (fake / tool).write_text(f"#!/bin/sh\necho FAKE-{tool} \"$@\"; exit 9\n")
        (fake / tool).chmod(0o755)
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "install")
    env = {"PATH": f"{fake}:/usr/bin:/bin", "INSTALL": "auto", "COMMAND": command,
           "ACTION_PATH": str(tmp_path / "no-action"), "GITHUB_OUTPUT": str(tmp_path / "o"),
           "RUNNER_TEMP": str(tmp_path)}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    if mode == "pip":
        assert "FAKE-python3 -m venv" in said, said
    else:
        assert "scripts/setup.sh" in said or "FAKE-sudo" in said, said


@pytest.mark.slow
def test_pip_install_mode_for_real(tmp_path: Path) -> None:
    """install: pip builds the action's own checkout into a fresh venv and runs from there."""
    job = run_action(tmp_path, command="config validate", install="pip",
                     args=str(REPO / GOOD_CONFIG), checkout_on_path=False)
    assert job.codes["install"] == 0, job.stdout[-3000:]
    assert job.outputs["install"]["bin"] == str(tmp_path / "oci-conform-venv/bin/oci-conform")
    assert job.outputs["run"]["verdict"] == "0", job.stdout[-3000:]
    assert job.summary.strip()
