"""Benchmark: ``exec`` of ``true`` in a running container, reference runtime vs runc and
crun, in the same run (one long-running container per runtime; execs interleaved).

    sudo .venv/bin/python benchmarks/reference_runtime_exec.py [--runs 11]

Each exec is timed from the call to the runtime's own exit (it waits for the process and
passes its status through), with a blocking wait (see reference_runtime.call).  Rounds
alternate through ``_common.alternate``; the spreads and ratios are ``_common``'s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Series, alternate, machine_line, ratio_line, table  # noqa: E402
from reference_runtime import call, runtimes  # noqa: E402

from oci_conform.drivers.bundle import base_config, build_base_rootfs, write_bundle  # noqa: E402


def _exec(cmd: list[str], root: Path, cid: str, log: Path) -> Callable[[], float]:
    def once() -> float:
        t0 = time.perf_counter()
        call([*cmd, "--root", str(root), "exec", cid, "true"], log)
        return time.perf_counter() - t0
    return once


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="oci-conform-bench-exec-"))
    parent = f"oci-conform-bench-{uuid.uuid4().hex[:6]}"
    rts = runtimes()
    log = work / "calls.log"
    started: list[tuple[list[str], Path, str]] = []
    try:
        base = build_base_rootfs(work / "base")
        for name, cmd in rts.items():
            cfg = base_config("1.0.2", ["sleep", "1000"], work / "results", f"/{parent}/{name}")
            cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/results"]
            bundle = write_bundle(work / f"bundle-{name}", cfg, base)
            root = work / f"root-{name}"
            cid = f"bench-{name}"
            call([*cmd, "--root", str(root), "create", "--bundle", str(bundle), cid], log)
            started.append((cmd, root, cid))
            call([*cmd, "--root", str(root), "start", cid], log)
        series = {name: Series(name) for name in rts}
        alternate([(series[name], _exec(cmd, root, cid, log))
                   for (name, cmd), (_, root, cid) in zip(rts.items(), started, strict=True)],
                  rounds=args.runs, warmup=args.warmup)
        print(f"exec true, {args.runs} rounds (alternating order):")
        print(table(list(series.values()), "ms"))
        for name in rts:
            if name != "runc" and "runc" in series:
                print("  " + ratio_line(series[name], series["runc"], "(target: within 3x)"
                                        if name == "reference" else ""))
        print(machine_line())
    finally:
        for cmd, root, cid in started:
            try:
                call([*cmd, "--root", str(root), "delete", "--force", cid], log)
            except RuntimeError:
                pass
        shutil.rmtree(work, ignore_errors=True)
        for hier in Path("/sys/fs/cgroup").iterdir():
            sub = hier / parent
            if sub.is_dir():
                for child in sorted(sub.iterdir(), reverse=True):
                    if child.is_dir():
                        child.rmdir()
                sub.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
