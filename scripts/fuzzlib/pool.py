"""A watchdog over one worker process: a job that does not answer in time is a hang.

The worker is killed (its whole process group) and a fresh one started; its peak RSS is
read from /proc before the kill. Workers are recycled after ``recycle`` jobs so a leak in
one input does not bleed into the peak RSS of later ones.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent          # scripts/fuzzlib
REPO = HERE.parent.parent


def env_for(sandbox: Path) -> dict[str, str]:
    """The environment of every process we start: our code first, a private HOME/TMPDIR."""
    env = dict(os.environ)
    paths = [str(REPO), str(HERE.parent)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["HOME"] = str(sandbox / "home")
    env["TMPDIR"] = str(sandbox / "tmp")
    env.pop("GITHUB_ACTIONS", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    return env


TICKS = os.sysconf("SC_CLK_TCK")
WALL_FACTOR = 4      # a job may wait (not compute) this many time limits before a hang


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a live process (0.0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def peak_rss_kb(pid: int) -> int:
    """VmHWM of a live process (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class Worker:
    """One worker process and its two pipes."""

    def __init__(self, sandbox: Path, memory_mib: int, nice: int):
        job_r, self._job_w = os.pipe()
        self._ans_r, ans_w = os.pipe()
        log = open(sandbox / "worker.log", "ab")
        preexec = (lambda: os.nice(nice)) if nice else None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fuzzlib.worker", str(job_r), str(ans_w), str(memory_mib)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(job_r, ans_w),
            env=env_for(sandbox), cwd="/", start_new_session=True, preexec_fn=preexec)
        log.close()
        os.close(job_r)
        os.close(ans_w)
        self._buf = b""
        self.jobs = 0
        try:
            ready = self.read(120.0)
        except EOFError:
            ready = None
        if not ready or not ready.get("ready"):
            self.kill()
            raise RuntimeError("the fuzz worker did not start; see worker.log in the run folder")

    def send(self, job: dict[str, Any]) -> None:
        os.write(self._job_w, json.dumps(job).encode() + b"\n")
        self.jobs += 1

    def read(self, timeout: float) -> dict[str, Any] | None:
        """The next answer line, or None on time-out; EOFError when the worker went away."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._ans_r], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._ans_r, 1 << 16)
            if not chunk:
                raise EOFError("the worker closed its answer pipe")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return dict(json.loads(line))

    def kill(self) -> int:
        """Kill the worker's process group; returns its peak RSS (KiB) seen just before."""
        rss = peak_rss_kb(self.proc.pid)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for fd in (self._job_w, self._ans_r):
            try:
                os.close(fd)
            except OSError:
                pass
        return rss

    def close(self) -> None:
        try:
            os.close(self._job_w)               # EOF: the worker leaves its loop
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class Runner:
    """Runs jobs on a worker with a per-job time limit, restarting it after a hang."""

    def __init__(self, sandbox: Path, time_limit: float, memory_mib: int = 1024,
                 nice: int = 0, recycle: int = 10000, cpu_aware: bool = True):
        self.sandbox, self.time_limit = sandbox, time_limit
        # cpu_aware: on a loaded host a job can be starved of the CPU for seconds; it is a
        # hang when it has computed for the time limit, or waited WALL_FACTOR times it
        # (a blocking read). Off: the wall clock alone (deadline tests).
        self.cpu_aware = cpu_aware
        self.memory_mib, self.nice, self.recycle = memory_mib, nice, recycle
        self.worker: Worker | None = None
        self._next_id = 0

    def _ensure(self) -> Worker:
        if self.worker is None or self.worker.jobs >= self.recycle:
            self.restart()
        assert self.worker is not None
        return self.worker

    def restart(self) -> None:
        if self.worker is not None:
            self.worker.close()
        self.worker = Worker(self.sandbox, self.memory_mib, self.nice)

    def run(self, argv: list[str], cwd: Path, stdin: Path | None = None,
            markers: tuple[str, ...] = (), tier: str = "cli") -> dict[str, Any]:
        """The worker's answer, or {'code': 'hang'|'died', ...} when it gave none."""
        worker = self._ensure()
        self._next_id += 1
        dump_to = self.sandbox / "hang-stack.txt"
        job = {"id": self._next_id, "argv": argv, "cwd": str(cwd),
               "stdin": str(stdin) if stdin else None, "markers": list(markers), "tier": tier,
               "dump_after": max(self.time_limit - 0.3, 0.1), "dump_to": str(dump_to)}
        dump_to.write_text("")
        started = time.perf_counter()
        cpu_at_start = cpu_seconds(worker.proc.pid)
        worker.send(job)
        try:
            answer = worker.read(self.time_limit)
            while answer is None and self.cpu_aware:
                used = cpu_seconds(worker.proc.pid) - cpu_at_start
                waited = time.perf_counter() - started
                if used >= self.time_limit or waited >= WALL_FACTOR * self.time_limit:
                    break
                answer = worker.read(min(self.time_limit - used,
                                         WALL_FACTOR * self.time_limit - waited, 1.0))
            alive = True
        except EOFError:
            answer, alive = None, False
        if answer is not None:
            return answer
        if not alive:
            try:
                worker.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        cpu = round(cpu_seconds(worker.proc.pid) - cpu_at_start, 2)
        rss = worker.kill()
        self.worker = None
        elapsed = time.perf_counter() - started
        try:
            stack = dump_to.read_text()
        except OSError:
            stack = ""
        # a stack dump means the job outlived its time: a hang, even when the dumping
        # itself (faulthandler reads frames from another thread) brought the worker down
        if alive or stack:
            return {"code": "hang", "elapsed": elapsed, "maxrss_kb": rss, "stack": stack,
                    "cpu": cpu}
        return {"code": "died", "elapsed": elapsed, "maxrss_kb": rss,
                "exception": f"worker exited with {worker.proc.returncode}"}

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None
