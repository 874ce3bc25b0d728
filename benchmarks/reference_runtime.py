"""Benchmark: create + start + wait + delete of a trivial container, reference runtime vs
runc and crun, measured in the same run (interleaved, so host load hits all alike).

    sudo .venv/bin/python benchmarks/reference_runtime.py [--runs 15]

Prints the min/median/max of one cycle per runtime, the median of each phase, and the
ratio to runc (of medians, and per round), through ``_common``: rounds alternate their
order (A B C, then C B A), so load that drifts hits every runtime alike.  crun runs
through the hide-cgroup2 wrapper on a hybrid-cgroup host (see DESIGN.md).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Series, alternate, machine_line, ratio_line, table  # noqa: E402

from oci_conform.drivers.bundle import base_config, build_base_rootfs, write_bundle  # noqa: E402
from oci_conform.host import cgroup_mode  # noqa: E402

HIDE = ["unshare", "-m", "sh", "-c",
        'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"']


def runtimes() -> dict[str, list[str]]:
    found = {"reference": [str(Path(sys.executable).parent / "oci-conform-runtime")]}
    if not Path(found["reference"][0]).exists():
        found["reference"] = [sys.executable, "-m", "oci_conform.reference.runtime"]
    if shutil.which("runc"):
        found["runc"] = ["runc"]
    if shutil.which("crun"):
        found["crun"] = (HIDE + ["crun"]) if cgroup_mode() == "hybrid" else ["crun"]
    return found


def call(argv: list[str], log: Path) -> None:
    """Run one runtime command; its exit is seen the moment it happens.

    ``subprocess.run(timeout=...)`` would poll for the exit with sleeps growing from
    0.5 ms to 50 ms, rounding every phase up to the next poll (8, 32, 64, 114 ms...):
    a blocking wait plus a watchdog timer measures the command itself.
    """
    with log.open("ab") as fh:
        proc = subprocess.Popen(argv, stdout=fh, stderr=fh, stdin=subprocess.DEVNULL)
        watchdog = threading.Timer(60, proc.kill)
        watchdog.start()
        try:
            code = proc.wait()
        finally:
            watchdog.cancel()
    if code != 0:
        raise RuntimeError(f"{' '.join(argv[-3:])} failed (see {log})")


def wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
            return
        time.sleep(0.001)
    raise RuntimeError(f"container process {pid} did not exit")


PHASES = ("create", "start", "wait", "delete")


def cycle(cmd: list[str], root: Path, bundle: Path, work: Path) -> list[float]:
    """One lifecycle; the time of each phase (create, start, wait, delete)."""
    cid = f"bench-{uuid.uuid4().hex[:8]}"
    pidfile = work / f"{cid}.pid"
    log = work / "calls.log"
    marks = [time.perf_counter()]
    call([*cmd, "--root", str(root), "create", "--bundle", str(bundle), "--pid-file",
          str(pidfile), cid], log)
    marks.append(time.perf_counter())
    pid = int(pidfile.read_text())
    call([*cmd, "--root", str(root), "start", cid], log)
    marks.append(time.perf_counter())
    wait_gone(pid)
    marks.append(time.perf_counter())
    call([*cmd, "--root", str(root), "delete", cid], log)
    marks.append(time.perf_counter())
    return [b - a for a, b in zip(marks, marks[1:], strict=False)]


def _lifecycle(cmd: list[str], root: Path, bundle: Path, work: Path,
               phases: list[list[float]]) -> Callable[[], tuple[float, int, float]]:
    """One cycle: (wall seconds, no RSS, CPU seconds of the runtime calls).  The CPU time
    (user + system of the waited-for calls and what they waited for) moves much less
    with the load of a shared host than the wall time does."""
    def once() -> tuple[float, int, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        took = cycle(cmd, root, bundle, work)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        phases.append(took)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return sum(took), -1, cpu
    return once


def interpreter_floor() -> float:
    """Four starts of this Python with site (what any 4-call Python CLI pays at least)."""
    t0 = time.perf_counter()
    for _ in range(4):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="oci-conform-bench-"))
    parent = f"oci-conform-bench-{uuid.uuid4().hex[:6]}"
    try:
        base = build_base_rootfs(work / "base")
        rts = runtimes()
        bundles = {}
        for name in rts:
            cfg = base_config("1.0.2", ["true"], work / "results", f"/{parent}/{name}")
            cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/results"]
            bundles[name] = write_bundle(work / f"bundle-{name}", cfg, base)
        series = {name: Series(name) for name in rts}
        phases: dict[str, list[list[float]]] = {name: [] for name in rts}
        floor = Series("floor")
        alternate([*((series[name], _lifecycle(cmd, work / f"root-{name}", bundles[name],
                                                work, phases[name]))
                     for name, cmd in rts.items()), (floor, interpreter_floor)],
                  rounds=args.runs, warmup=args.warmup)
        print(f"create+start+wait+delete, {args.runs} rounds (alternating order):")
        print(table([*series.values(), floor], "ms"))
        for name in rts:
            kept = phases[name][-args.runs:]
            split = "  ".join(f"{p} {statistics.median(c[k] for c in kept) * 1000:.0f}"
                              for k, p in enumerate(PHASES))
            print(f"  {name:<10} phases (median ms): {split}")
        if "runc" in series:
            for name in (*(n for n in rts if n != "runc"), "floor"):
                one = series[name] if name != "floor" else floor
                print("  " + ratio_line(one, series["runc"],
                                        "(target for reference: within 3x)"
                                        if name == "reference" else ""))
        print(f"  floor = 4 bare starts of {sys.executable} (what any 4-call Python CLI pays)")
        print(machine_line())
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for hier in Path("/sys/fs/cgroup").iterdir():
            for sub in (hier / parent, ):
                if sub.is_dir():
                    for child in sorted(sub.iterdir(), reverse=True):
                        if child.is_dir():
                            child.rmdir()
                    sub.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
