"""Benchmark: the same small matrix at ``--jobs 1`` (columns in turn) and ``--jobs 2`` (lanes).

The baseline is the matrix itself run one column after another, as every release before
this one did: the same columns, the same cases, the same host, in alternating rounds, so
load that drifts hits both alike. By default the runtime suite on runc and crun (each its
own lane) over one case group; ``--args`` gives any other matrix arguments. Each round's
results are compared: the outcomes must be the same cells with the same values.

    .venv/bin/python benchmarks/matrix_jobs.py [--rounds 3] [--group state]
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import Series, alternate, machine_line, ratio_line, run_timed, table  # noqa: E402,I001

BIN = Path(sys.executable).parent


def _cells(path: Path) -> list[tuple[str, str, str, str]]:
    data = json.loads(path.read_text())
    return [(r["clause"], r["implementation"], r.get("case", ""), r["outcome"])
            for r in data["results"]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--group", default="state")
    ap.add_argument("--args", default="", help="matrix arguments instead of the default")
    args = ap.parse_args()
    matrix_args = shlex.split(args.args) or [
        "--suite", "runtime", "--runtime", "runc=runc", "--runtime", "crun=crun",
        "--only-given", "--group", args.group]
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as tmp:
        folder = Path(tmp)
        seen: dict[int, list] = {}

        def run(jobs: int) -> tuple[float, int, float]:
            reports = folder / f"jobs{jobs}"
            got = run_timed([str(BIN / "oci-conform"), "matrix", *matrix_args, "--jobs",
                             str(jobs), "--reports", str(reports), "-o", "/dev/null"],
                            ok_codes=(0, 1, 3))
            cells = _cells(reports / "results.json")
            if seen.setdefault(jobs, cells) != cells:
                print(f"warning: --jobs {jobs} gave other outcomes than its first round")
            return got

        one, two = Series("matrix --jobs 1"), Series("matrix --jobs 2")
        alternate([(two, lambda: run(2)), (one, lambda: run(1))], args.rounds)
        same = seen[1] == seen[2]
        print(f"matrix {' '.join(matrix_args)}: {args.rounds} alternating rounds after a "
              "warm-up:")
        print(table([two, one]))
        print("  " + ratio_line(two, one, "(lanes / columns in turn)"))
        print(f"  outcomes at --jobs 1 and 2: {'the same' if same else 'DIFFERENT'} "
              f"({len(seen[1])} cells)")
        print(machine_line())
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
