#!/usr/bin/env python3
"""Runtime suite overhead: wall time of the suite against the runtime calls it makes.

The suite runs in this process with ``--jobs`` 1 (and 2 unless ``--jobs`` says otherwise).
The baseline is measured in the same run, so load hits both alike: the sum of the
durations of every bare runtime invocation the suite made (create, start, state, kill,
delete, ...), each timed from just before its fork to the end of a blocking ``wait()``
(a watchdog thread enforces the deadline, so no polling round-up inflates a call; see
tests/runtime/test_waits.py).  That sum is the fair limit: whatever harness does the same
checks must make those calls, one after another at jobs 1.  The printed ratio is
wall / sum-of-invocations with min/median/max over ``--repeat`` rounds: 1.0 would mean
the harness adds nothing; below 1.0 means concurrency overlapped calls.

Also printed per run: the harness's own time per case ((wall - calls) / cases), the CPU
time of this process (the harness: bundles, probes, judging, JSON) and of its reaped
children (the runtimes), and the load average before and after.

    .venv/bin/python benchmarks/runtime_suite.py [--runtime runc=runc] [--jobs 1]
        [--repeat 3] [--group state] [-k TEXT]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oci_conform.catalog.loader import default_catalog  # noqa: E402
from oci_conform.suites.base import RunContext, Selection  # noqa: E402
from oci_conform.suites.runtime import SUITE, parse_runtime, select  # noqa: E402


@dataclass(frozen=True)
class Run:
    wall: float           # seconds, the whole suite
    calls: float          # seconds, the sum of the bare runtime calls
    ncalls: int
    cases: int
    cpu_self: float       # CPU seconds of this process (the harness)
    cpu_children: float   # CPU seconds of reaped children (runtimes, helpers)
    load: tuple[float, float]  # 1-minute load average before, after

    @property
    def ratio(self) -> float:
        return self.wall / self.calls if self.calls else float("nan")


def one_run(spec: str | None, name: str, selection: Selection, jobs: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="oc-bench-") as tmp:
        ctx = RunContext(catalog=default_catalog(), workdir=Path(tmp), selection=selection,
                         jobs=jobs)
        impls = [parse_runtime(spec)] if spec else [
            i for i in SUITE.default_implementations(ctx) if i.name == name]
        if not impls or not impls[0].available:
            raise SystemExit(f"{name}: not available")
        load0 = os.getloadavg()[0]
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0, start = time.process_time(), time.monotonic()
        for _ in SUITE.run(impls[0], ctx):
            pass
        wall, cpu = time.monotonic() - start, time.process_time() - cpu0
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        target = ctx.cache["runtime_targets"][impls[0].name]
        return Run(wall, target.ledger.total(), len(target.ledger.calls),
                   len(select(SUITE.cases(), selection)), cpu,
                   (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime),
                   (load0, os.getloadavg()[0]))


def spread(values: list[float], fmt: str = ".2f") -> str:
    return (f"{min(values):{fmt}}/{statistics.median(values):{fmt}}/{max(values):{fmt}}"
            if values else "n/a")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runtime", action="append", default=[], metavar="NAME=COMMAND")
    ap.add_argument("--jobs", action="append", type=int, default=[])
    ap.add_argument("--group", action="append", default=[])
    ap.add_argument("-k", "--text", default="")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    selection = Selection((), tuple(args.group), args.text)
    targets = [(s, s.split("=", 1)[0]) for s in args.runtime] or [(None, "runc"),
                                                                    (None, "crun")]
    print(f"{'runtime':8} {'jobs':>4} {'cases':>5} {'calls':>6} {'wall s':>7} {'calls s':>7} "
          f"{'own ms/case':>11} {'cpu self':>8} {'cpu kids':>8} {'load':>11}  "
          "wall/calls min/median/max")
    for spec, name in targets:
        for jobs in args.jobs or [1, 2]:
            runs = []
            for _ in range(args.repeat):
                r = one_run(spec, name, selection, jobs)
                runs.append(r)
                own = (r.wall - r.calls) / r.cases * 1000 if r.cases else 0.0
                print(f"{name:8} {jobs:>4} {r.cases:>5} {r.ncalls:>6} {r.wall:>7.1f} "
                      f"{r.calls:>7.1f} {own:>11.0f} {r.cpu_self:>8.1f} "
                      f"{r.cpu_children:>8.1f} {r.load[0]:>5.1f}-{r.load[1]:<5.1f}  "
                      f"{r.ratio:.2f}", flush=True)
            print(f"{name:8} {jobs:>4} median wall {statistics.median(r.wall for r in runs):.1f}"
                  f" s, calls {statistics.median(r.calls for r in runs):.1f} s; "
                  f"wall/calls {spread([r.ratio for r in runs])} (min/median/max of "
                  f"{len(runs)})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
