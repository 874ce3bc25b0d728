"""Stress the cgroup code with concurrent setups and removals sharing a parent folder.

Run as ``python -m tests.reference_runtime.cgroup_race REL_PREFIX THREADS ROUNDS
[RESOURCES_JSON]`` in the mount namespace to test (the host, or the v2 view).  Each
round, every thread sets up ``REL_PREFIX/race<pid>-t<i>-r<round>`` at the same moment (moving a
``sleep`` of its own in), then all remove at the same moment.  Prints one JSON document:
the errors, the container folders that stayed, the shared folders that stayed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

from oci_conform.reference.runtime import cgroups

TOKEN = f"race{os.getpid()}"     # in every container folder name of this run


def _round(prefix: str, i: int, rnd: int, res: dict[str, Any], gate: threading.Barrier,
           out: dict[str, list[str]]) -> None:
    rel = f"{prefix}/{TOKEN}-t{i}-r{rnd}"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        gate.wait()
        try:
            folders = cgroups.setup(rel, res, sleeper.pid)
        except Exception as exc:   # noqa: BLE001 - every failure is a finding
            out["errors"].append(f"setup {rel}: {exc}")
            gate.wait()
            return
        leaves = [f for f in folders if f.endswith("/" + rel)]
        if not leaves or cgroups.pids_in(leaves) != [sleeper.pid]:
            out["errors"].append(f"setup {rel}: pid not in {leaves}")
        gate.wait()
        out["left"].extend(cgroups.remove(folders, rel.rsplit("/", 1)[-1]))
        out["left"].extend(f for f in leaves if os.path.isdir(f))
    finally:
        sleeper.kill()
        sleeper.wait()


def stress(prefix: str, threads: int, rounds: int, res: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, list[str]] = {"errors": [], "left": []}
    for rnd in range(rounds):
        gate = threading.Barrier(threads, timeout=60)
        workers = [threading.Thread(target=_round, args=(prefix, i, rnd, res, gate, out))
                   for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    roots = list(dict.fromkeys(cgroups.v1_hierarchies().values())) \
        if cgroups.mode() in ("v1", "hybrid") else []
    v2 = cgroups.v2_root()
    roots += [v2] if v2 else []
    shared = [f"{r}/{prefix}" for r in roots if os.path.isdir(f"{r}/{prefix}")]
    children = sorted(f"{s}/{c}" for s in shared for c in os.listdir(s)
                      if c.startswith(TOKEN + "-") and os.path.isdir(f"{s}/{c}"))
    others = any(not c.startswith(TOKEN + "-") and os.path.isdir(f"{s}/{c}")
                 for s in shared for c in os.listdir(s))
    return {"mode": cgroups.mode(), **out, "shared_left": shared, "children_left": children,
            "others_in_shared": others}


if __name__ == "__main__":
    res = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    print(json.dumps(stress(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), res)))
