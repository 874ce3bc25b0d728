"""Children are waited for by blocking waits with a watchdog, never by timeout polling.

``wait(timeout=...)`` polls with doubling sleeps, so a 35 ms call is recorded as ~64 ms;
the harness's durations feed the benchmark's baseline and the evidence, so they must be
what the child took.  Killed processes are waited for until they are gone.
"""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from oci_conform.drivers.runtime_cli import run_bounded, run_command
from oci_conform.suites.runtime.sandbox import kill_and_wait, pid_alive, wait_gone

ROOT = Path(__file__).resolve().parents[2]
# The runtime suite's harness: these files may wait on children only by blocking waits.
HARNESS = [*sorted((ROOT / "oci_conform/suites/runtime").glob("*.py")),
           *(ROOT / "oci_conform/drivers" / n for n in ("runtime_cli.py", "bundle.py",
                                                      "host_probes.py"))]
POLLED = re.compile(r"\.wait\(\s*timeout\s*=|communicate\([^)]*timeout\s*="
                    r"|subprocess\.run\((?:[^()]|\([^()]*\))*timeout\s*=", re.S)


def test_harness_has_no_timeout_polling_waits() -> None:
    found = [f"{p.relative_to(ROOT)}: {m.group(0)[:60]!r}" for p in HARNESS
             for m in POLLED.finditer(p.read_text())]
    assert not found, found


def test_the_scan_recognises_a_polling_wait() -> None:
    assert POLLED.search("proc.wait(timeout=5)")
    assert POLLED.search('subprocess.run(["x", str(y)],\n    timeout=10, check=False)')
    assert POLLED.search("p.communicate(input=b'', timeout=3)")
    assert not POLLED.search("proc.wait()")


def test_recorded_duration_of_a_short_call_is_what_it_took(tmp_path: Path) -> None:
    # the best of up to 30 runs: load on a shared host only ever adds time (polling waits
    # could never record less than ~64 ms, however quiet the host)
    best = 1.0
    for _ in range(30):
        best = min(best, run_command(["sleep", "0.035"], tmp_path).duration)
        if best <= 0.035 * 1.10:
            break
    assert 0.035 <= best <= 0.035 * 1.10, f"sleep 0.035 recorded as {best * 1000:.1f} ms"


def test_watchdog_kills_the_group_at_the_deadline(tmp_path: Path) -> None:
    start = time.monotonic()
    inv = run_command(["sh", "-c", "sleep 30 & sleep 30"], tmp_path, timeout=0.3)
    assert inv.timed_out and inv.exit_code is None
    assert 0.3 <= inv.duration < 3.0 and time.monotonic() - start < 5.0
    ran = run_bounded(["sleep", "30"], timeout=0.2)
    assert ran.timed_out and not ran.ok and ran.reason() == "timed out"


def test_run_bounded_keeps_output_and_exit_code() -> None:
    ran = run_bounded(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (ran.exit_code, ran.stdout, ran.stderr) == (3, "out\n", "err\n")
    assert ran.reason() == "err"
    assert run_bounded(["/nonexistent/tool"]).error.startswith("cannot start")


def test_kill_and_wait_returns_once_the_process_is_gone() -> None:
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        assert kill_and_wait([proc.pid], 5.0) == []
        assert not pid_alive(proc.pid)       # gone (a zombie until reaped), not still running
    finally:
        proc.wait()
    assert kill_and_wait([proc.pid], 1.0) == []    # an exited pid is simply gone


def test_wait_gone_blocks_until_exit_without_signalling() -> None:
    proc = subprocess.Popen(["sleep", "0.2"], start_new_session=True)
    try:
        start = time.monotonic()
        assert wait_gone([proc.pid], 5.0) == []
        took = time.monotonic() - start
        assert 0.15 <= took < 4.0, took         # it waited for the exit, not the deadline
    finally:
        proc.wait()
    assert proc.returncode == 0                 # it ran to its end: nothing was sent to it


def test_wait_gone_returns_what_outlives_the_deadline() -> None:
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        assert wait_gone([proc.pid], 0.2) == [proc.pid]
        assert pid_alive(proc.pid)              # still running: waiting never kills
    finally:
        proc.kill()
        proc.wait()


def test_sandbox_flows_do_not_sleep_between_steps() -> None:
    # the per-case plumbing waits for events (pidfds, a fifo), never for a fixed time
    for name in ("sandbox.py", "lifecycle_hooks.py", "case.py", "runner.py"):
        text = (ROOT / "oci_conform/suites/runtime" / name).read_text()
        sleeps = [line.strip() for line in text.splitlines() if "time.sleep(" in line]
        allowed = {"time.sleep(0.01)",     # sandbox: the no-pidfd fallback only
                   "time.sleep(delay)",    # sandbox.wait_status: while state disagrees
                   "time.sleep(0.2)"}      # runner: cgroup parent removal, once per run
        assert set(sleeps) <= allowed, (name, sleeps)
