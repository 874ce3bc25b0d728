#!/usr/bin/env python3
"""Runtime suite overhead: wall time of the suite against the runtime calls it makes.

For each runtime, the suite runs sequentially (--jobs 1) and with --jobs 2.  The
baseline is measured in the same run: the sum of the recorded durations of every
bare runtime invocation the suite made (create, start, state, kill, delete, ...), each
timed from its fork to the end of a blocking ``wait()`` (a watchdog thread enforces the
deadline, so no polling rounds a call up).  The printed ratio is wall /
sum-of-invocations, with min/median/max over ``--repeat`` rounds: 1.0 would mean the
harness adds nothing; below 1.0 means concurrency overlapped calls.

    .venv/bin/python benchmarks/runtime_suite.py [--group state] [--repeat 3] [--runtime runc=runc]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oci_conform.catalog.loader import default_catalog  # noqa: E402
from oci_conform.suites.base import RunContext, Selection  # noqa: E402
from oci_conform.suites.runtime import SUITE, parse_runtime, select  # noqa: E402


def one_run(spec: str | None, name: str, selection: Selection, jobs: int
            ) -> tuple[float, float, int, int]:
    """(wall seconds, sum of invocation seconds, invocations, cases)."""
    with tempfile.TemporaryDirectory(prefix="oc-bench-") as tmp:
        ctx = RunContext(catalog=default_catalog(), workdir=Path(tmp), selection=selection,
                         jobs=jobs)
        impls = [parse_runtime(spec)] if spec else [
            i for i in SUITE.default_implementations(ctx) if i.name == name]
        if not impls or not impls[0].available:
            raise SystemExit(f"{name}: not available")
        start = time.monotonic()
        for _ in SUITE.run(impls[0], ctx):
            pass
        wall = time.monotonic() - start
        target = ctx.cache["runtime_targets"][impls[0].name]
        return wall, target.ledger.total(), len(target.ledger.calls), len(
            select(SUITE.cases(), selection))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runtime", action="append", default=[], metavar="NAME=COMMAND")
    ap.add_argument("--group", action="append", default=[])
    ap.add_argument("-k", "--text", default="")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    selection = Selection((), tuple(args.group), args.text)
    targets = [(s, s.split("=", 1)[0]) for s in args.runtime] or [(None, "runc"),
                                                                    (None, "crun")]
    print(f"{'runtime':8} {'jobs':>4} {'cases':>5} {'calls':>6} {'wall s':>8} "
          f"{'calls s':>8}  wall/calls min/median/max")
    for spec, name in targets:
        for jobs in (1, 2):
            runs = [one_run(spec, name, selection, jobs) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            calls = statistics.median(r[1] for r in runs)
            ratios = [r[0] / r[1] for r in runs if r[1]]
            spread = (f"{min(ratios):.2f}/{statistics.median(ratios):.2f}/{max(ratios):.2f}"
                      if ratios else "n/a")
            print(f"{name:8} {jobs:>4} {runs[0][3]:>5} {runs[0][2]:>6} {wall:>8.1f} "
                  f"{calls:>8.1f}  {spread}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
