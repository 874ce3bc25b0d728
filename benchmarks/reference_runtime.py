"""Benchmark: create + start + wait + delete of a trivial container, reference runtime vs
runc and crun, measured in the same run (interleaved, so host load hits all alike).

    sudo .venv/bin/python benchmarks/reference_runtime.py [--runs 15]

Prints the median and spread of one cycle per runtime and the ratio to runc.  crun runs
through the hide-cgroup2 wrapper on a hybrid-cgroup host (see DESIGN.md).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from oci_conform.drivers.bundle import base_config, build_base_rootfs, write_bundle
from oci_conform.host import cgroup_mode

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
    with log.open("ab") as fh:
        res = subprocess.run(argv, stdout=fh, stderr=fh, stdin=subprocess.DEVNULL,
                             timeout=60, check=False)
    if res.returncode != 0:
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


def cycle(cmd: list[str], root: Path, bundle: Path, work: Path) -> float:
    cid = f"bench-{uuid.uuid4().hex[:8]}"
    pidfile = work / f"{cid}.pid"
    log = work / "calls.log"
    t0 = time.perf_counter()
    call([*cmd, "--root", str(root), "create", "--bundle", str(bundle), "--pid-file",
          str(pidfile), cid], log)
    pid = int(pidfile.read_text())
    call([*cmd, "--root", str(root), "start", cid], log)
    wait_gone(pid)
    call([*cmd, "--root", str(root), "delete", cid], log)
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
        times: dict[str, list[float]] = {n: [] for n in rts}
        for i in range(args.warmup + args.runs):
            for name, cmd in rts.items():
                took = cycle(cmd, work / f"root-{name}", bundles[name], work)
                if i >= args.warmup:
                    times[name].append(took)
        base_med = statistics.median(times["runc"]) if "runc" in times else None
        print(f"create+start+wait+delete, {args.runs} runs each (interleaved), "
              f"load average {os.getloadavg()[0]:.1f}")
        for name, vals in times.items():
            med = statistics.median(vals)
            ratio = f"{med / base_med:5.2f}x runc" if base_med else ""
            print(f"  {name:<10} median {med * 1000:7.1f} ms  min {min(vals) * 1000:7.1f} ms  "
                  f"max {max(vals) * 1000:7.1f} ms  {ratio}")
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
