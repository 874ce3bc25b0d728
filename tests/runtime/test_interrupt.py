"""Ctrl-C (and SIGTERM) in the middle of `oci-conform runtime test` against the real runc.

The command runs as a subprocess with its own TMPDIR; once a few cases have finished it
gets the signal. It must exit 130 (SIGINT) or 143 (SIGTERM), write the results so far with
``complete: false`` and ``interrupted``, say so in its report, and leave nothing behind: no
temp folder, no process or mount under it, no cgroup of its containers.
"""
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
from oci_conform.suites.runtime.sandbox import CGROUP_ROOT, mounts_under, processes_under

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
FINISHED_BEFORE_SIGNAL = 3


def _wait_for_cases(err: Path, proc: subprocess.Popen[bytes], count: int,
                    patience: float = 240.0) -> None:
    """Block until ``count`` cases are reported done on stderr (or fail the test)."""
    deadline = time.monotonic() + patience
    mark = f" {count}/".encode()
    while time.monotonic() < deadline:
        if mark in err.read_bytes():
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {count} cases: {err.read_text()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"fewer than {count} cases in {patience} s")


def _cgroups_of(container_ids: set[str]) -> list[Path]:
    found = []
    for parent in CGROUP_ROOT.glob("*/oci-conform-*"):
        found.extend(p for p in parent.iterdir() if p.name in container_ids)
    for parent in CGROUP_ROOT.glob("oci-conform-*"):
        found.extend(p for p in parent.iterdir() if p.name in container_ids)
    return found


@pytest.mark.timeout(400)
@pytest.mark.parametrize(("sig", "times", "code"), [(signal.SIGINT, 1, 130),
                                                    (signal.SIGTERM, 1, 143),
                                                    (signal.SIGINT, 2, 130)])
def test_signal_mid_run_keeps_results_and_leaves_nothing(tmp_path: Path, sig: int, times: int,
                                                         code: int) -> None:
    if shutil.which("runc") is None or os.geteuid() != 0:
        pytest.skip("needs runc and root")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out, results, err = tmp_path / "out.txt", tmp_path / "results.json", tmp_path / "err.txt"
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=str(REPO))
    env.pop("NO_COLOR", None)
    with err.open("wb") as err_file:
        proc = subprocess.Popen([sys.executable, "-m", "oci_conform", "runtime", "test",
                                 "--runtime", "runc=runc", "--group", "state", "--group",
                                 "process", "--results", str(results), "-o", str(out)],
                                env=env, stdout=subprocess.DEVNULL, stderr=err_file,
                                cwd=tmp_path)
        try:
            _wait_for_cases(err, proc, FINISHED_BEFORE_SIGNAL)
            for _ in range(times):
                proc.send_signal(sig)
                time.sleep(0.05)
            rc = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stderr = err.read_text()
    assert rc == code, stderr[-3000:]
    name = signal.Signals(sig).name
    assert f"{name}: stopping" in stderr

    saved = load_results(results)            # schema-valid, or this raises
    assert saved.interrupted == name and not saved.complete
    judged = [r for r in saved.results if not r.clause.startswith("harness.")]
    assert judged, "the cases finished before the signal were lost"
    cases = {r.case for r in judged}
    assert len(cases) >= FINISHED_BEFORE_SIGNAL
    total = len({c.name for c in _selected_cases()})
    assert len(cases) < total, "the run did not stop early"
    assert "INCOMPLETE: interrupted by " + name in out.read_text()

    assert list(scratch.iterdir()) == [], "temp folders left behind"
    assert processes_under(scratch) == [] and mounts_under(scratch) == []
    ids = {str(r.evidence.facts.get("container_id")) for r in saved.results
           if r.evidence.facts.get("container_id")}
    assert ids, "no container id recorded"
    assert _cgroups_of(ids) == []
    left = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert not [line for line in left.splitlines() if any(cid in line for cid in ids)]


def _selected_cases():
    from oci_conform.suites.base import Selection
    from oci_conform.suites.runtime import SUITE, select
    return select(SUITE.cases(), Selection(groups=("state", "process")))
