"""Benchmark: start-up cost of the ``oci-conform`` command, against a bare interpreter.

Three commands, alternating rounds (A B C, then C B A, ...), each a fresh process:
  * ``python -c pass`` with the same interpreter: the floor no Python CLI can beat;
  * ``oci-conform --help``;
  * ``oci-conform config validate FILE`` on runc's own generated config.json (a real
    command doing real work on one small file).
Prints min/median/max wall time and peak RSS of each, and what each command costs beyond
the bare interpreter. Target: each oci-conform command < 100 ms wall.

    .venv/bin/python benchmarks/startup.py [--rounds 20]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import Series, alternate, machine_line, run_timed, table  # noqa: E402,I001

BIN = Path(sys.executable).parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    if not shutil.which("runc"):
        print("runc is not installed (apt-get install runc)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        subprocess.run(["runc", "spec"], cwd=tmp, check=True, capture_output=True, timeout=60)
        config = str(Path(tmp) / "config.json")
        bare, helps, validate = (Series("python -c pass"), Series("oci-conform --help"),
                                 Series("oci-conform config validate"))
        ours = str(BIN / "oci-conform")
        alternate([(bare, lambda: run_timed([sys.executable, "-c", "pass"])),
                   (helps, lambda: run_timed([ours, "--help"])),
                   (validate, lambda: run_timed([ours, "config", "validate", config],
                                                ok_codes=(0, 1)))], args.rounds, warmup=2)
    print(f"start-up, {args.rounds} alternating rounds after two warm-ups "
          "(wall includes /usr/bin/time's own fork and exec):")
    print(table([bare, helps, validate], "ms"))
    for s in (helps, validate):
        extra = (s.median - bare.median) * 1000
        verdict = "meets" if s.median < 0.1 else "misses"
        print(f"  {s.name}: median {s.median * 1000:.0f} ms, {extra:.0f} ms beyond the bare "
              f"interpreter; {verdict} the < 100 ms target")
    print(machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
