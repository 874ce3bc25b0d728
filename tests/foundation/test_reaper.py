"""The subreaper a runtime lane runs under: orphans are reaped, status and signals pass.

Each test forks the process that calls ``run_reaped`` (it marks itself a subreaper, which
must not leak into the pytest process) and reads what happened from a pipe.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.reaper import run_reaped

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _in_child(body) -> dict:  # type: ignore[no-untyped-def]
    """Run ``body()`` (returning a JSON-able value) in a forked child; its value."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        value: object = None
        try:
            value = body()
        except BaseException as exc:      # noqa: BLE001 - reported to the test
            value = {"raised": repr(exc)}
        finally:
            os.write(write, json.dumps(value).encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return "gone"


def test_an_orphan_is_reaped_by_the_lane_not_left_a_zombie(tmp_path: Path) -> None:
    """The worker starts a grandchild and lets its parent exit: the grandchild is adopted
    by the reaper; once it exits it is reaped (gone), not a zombie waiting for PID 1."""
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    pidfile = tmp_path / "orphan"

    def body() -> dict:
        def work() -> None:
            # sh starts the orphan in the background and exits at once
            subprocess.run(["sh", "-c", f'cat {fifo} > /dev/null & echo $! > {pidfile}'],
                           check=True)
            orphan = int(pidfile.read_text())
            adopted = int(Path(f"/proc/{orphan}/stat").read_text()
                          .rsplit(")", 1)[-1].split()[1])
            (tmp_path / "adopted").write_text(str(adopted))
            with fifo.open("w") as fh:          # the orphan reads this and exits
                fh.write("x")
            fd = os.pidfd_open(orphan)          # block until it has exited
            try:
                import select
                select.select([fd], [], [], 60)
            finally:
                os.close(fd)
        status = run_reaped(work)
        orphan = int(pidfile.read_text())
        return {"status": status, "me": os.getpid(), "adopted_by": int(
            (tmp_path / "adopted").read_text()), "orphan_state": _state(orphan)}

    seen = _in_child(body)
    if seen.get("status") is None:
        pytest.skip("this host refuses PR_SET_CHILD_SUBREAPER")
    assert seen["status"] == 0, seen
    assert seen["adopted_by"] == seen["me"], seen    # the orphan went to the reaper
    assert seen["orphan_state"] == "gone", seen       # and was reaped, not left a zombie


def test_the_worker_status_and_a_raised_error_come_back() -> None:
    def body() -> dict:
        def fails() -> None:
            raise RuntimeError("boom")
        return {"ok": run_reaped(lambda: None), "raised": run_reaped(fails)}

    seen = _in_child(body)
    if seen.get("ok") is None:
        pytest.skip("this host refuses PR_SET_CHILD_SUBREAPER")
    assert seen == {"ok": 0, "raised": 1}


def test_a_signal_to_the_reaper_reaches_the_worker_once(tmp_path: Path) -> None:
    """SIGTERM sent to the reaper is passed on; the worker (in a group of its own) sees it
    exactly once and decides itself how to end."""
    ready, log = tmp_path / "ready", tmp_path / "log"

    def body() -> dict:
        def work() -> None:
            got: list[int] = []
            signal.signal(signal.SIGTERM, lambda n, _f: got.append(n))
            ready.write_text(str(os.getpgrp() == os.getpid()))
            while not got:
                signal.pause()
            log.write_text(str(len(got)))

        pid = os.getpid()
        helper = os.fork()
        if helper == 0:                     # sends SIGTERM to the reaper once it is ready
            try:
                import time
                deadline = time.monotonic() + 60
                while not ready.exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
                os.kill(pid, signal.SIGTERM)
            finally:
                os._exit(0)
        status = run_reaped(work)
        return {"status": status, "own_group": ready.read_text() if ready.exists() else "",
                "signals": log.read_text() if log.exists() else ""}

    seen = _in_child(body)
    if seen.get("status") is None:
        pytest.skip("this host refuses PR_SET_CHILD_SUBREAPER")
    assert seen == {"status": 0, "own_group": "True", "signals": "1"}
