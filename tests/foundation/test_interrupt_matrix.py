"""Ctrl-C during `oci-conform matrix` (the registry suite on a docker-registry the run starts)
and during `oci-conform image validate`: results and reports so far are written, marked
incomplete, exit 130, and the run's server and temp folders are gone."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oci_conform.results_file import load_results
from tests.support.hostile_registry import HostileRegistry, drip

REPO = Path(__file__).resolve().parents[2]


def _start(argv: list[str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, Path]:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    err = tmp_path / "err.txt"
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=str(REPO))
    with err.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "oci_conform", *argv], env=env,
                                stdout=subprocess.DEVNULL, stderr=sink, cwd=tmp_path)
    return proc, err, scratch


def _interrupt_when(proc: subprocess.Popen[bytes], err: Path, marker: str,
                    patience: float = 180.0) -> int:
    deadline = time.monotonic() + patience
    try:
        while marker not in err.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no {marker!r} before the end: {err.read_text()[-2000:]}")
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        return proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _processes_mentioning(text: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if text in line and "ps -eo" not in line]


@pytest.mark.integration
@pytest.mark.timeout(400)
@pytest.mark.skipif(shutil.which("docker-registry") is None, reason="needs docker-registry")
def test_matrix_interrupted_keeps_results_reports_and_stops_its_registry(
        tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    proc, err, scratch = _start(["matrix", "--suite", "registry", "--only-given", "--registry",
                                 "dr=start:docker-registry", "--reports", str(reports)],
                                tmp_path)
    rc = _interrupt_when(proc, err, "[registry] dr: ")
    assert rc == 130, err.read_text()[-3000:]
    saved = load_results(reports / "results.json")
    assert saved.interrupted == "SIGINT" and not saved.complete
    assert saved.results, "the outcomes before the signal were lost"
    html = (reports / "report.html").read_text()
    assert "Interrupted: these results are incomplete" in html
    assert "interrupted by SIGINT" in (reports / "junit.xml").read_text()
    assert "interrupted by SIGINT" in (reports / "summary.md").read_text()
    assert list(scratch.iterdir()) == []
    assert _processes_mentioning(str(scratch)) == []


@pytest.mark.timeout(120)
def test_image_validate_interrupted_writes_what_it_judged(tmp_path: Path) -> None:
    layouts = sorted(p.parent for p in (REPO / "fixtures" / "image" / "good").rglob("oci-layout"))
    if not layouts:
        pytest.skip("no good OCI layout fixture")
    ref = str(layouts[0])
    results = tmp_path / "r.json"
    # the second image comes from a registry that drips its answers (a test double for a
    # slow peer): validation is inside that read when the signal comes
    with HostileRegistry() as reg:
        reg.on("GET", r"/v2/.*", drip(1 << 20, 0.5))
        slow = f"docker://{reg.host}/slow/image:latest"
        proc, err, scratch = _start(["image", "validate", ref, slow, "--results", str(results),
                                     "-o", str(tmp_path / "o.txt")], tmp_path)
        rc = _interrupt_when(proc, err, f"validating {slow}")
    assert rc == 130, err.read_text()
    saved = load_results(results)
    assert saved.interrupted == "SIGINT" and [i.name for i in saved.implementations] == [ref]
    assert saved.results
    assert "INCOMPLETE: interrupted by SIGINT" in (tmp_path / "o.txt").read_text()
    assert list(scratch.iterdir()) == []
