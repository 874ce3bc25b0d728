"""Benchmark: start-up cost of the ``oci-conform`` command, against a bare interpreter.

Three commands, alternating rounds (A B C, then C B A, ...), each a fresh process:
  * ``python -c pass`` with the same interpreter: the floor no Python CLI can beat;
  * ``oci-conform --help``;
  * ``oci-conform config validate FILE`` on runc's own generated config.json (a real
    command doing real work on one small file).
Prints min/median/max wall time, CPU time and peak RSS of each, and what each command costs
beyond the bare interpreter. Target: each oci-conform command < 100 ms wall on a quiet host
(on a loaded host, the CPU time is the steadier figure).

Bytecode: all three run with compiled bytecode, as after ``pip install`` (which compiles
it): ``PYTHONDONTWRITEBYTECODE`` is dropped and ``PYTHONPYCACHEPREFIX`` points into the
benchmark's temp folder, so the warm-up rounds write the ``.pyc`` files there and the clone
is left untouched. The runtime catalog cache (``OCI_CONFORM_CACHE``) is in that folder too,
filled by the warm-ups: several clones on one host would otherwise evict each other's entry.
``--importtime`` also prints, per command, the imports that cost most
(``python -X importtime``, cumulative microseconds, the smallest of 5 runs).

    .venv/bin/python benchmarks/startup.py [--rounds 20] [--importtime]
"""
from __future__ import annotations

import argparse
import os
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
    ap.add_argument("--importtime", action="store_true",
                    help="also print the costliest imports of each command")
    args = ap.parse_args()
    if not shutil.which("runc"):
        print("runc is not installed (apt-get install runc)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        subprocess.run(["runc", "spec"], cwd=tmp, check=True, capture_output=True, timeout=60)
        config = str(Path(tmp) / "config.json")
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        # the runtime catalog's cache of this clone alone (clones on one host share ~/.cache)
        os.environ["OCI_CONFORM_CACHE"] = str(Path(tmp) / "catalog-cache")
        bare, helps, validate = (Series("python -c pass"), Series("oci-conform --help"),
                                 Series("oci-conform config validate"))
        ours = str(BIN / "oci-conform")
        alternate([(bare, lambda: run_timed([sys.executable, "-c", "pass"])),
                   (helps, lambda: run_timed([ours, "--help"])),
                   (validate, lambda: run_timed([ours, "config", "validate", config],
                                                ok_codes=(0, 1)))], args.rounds, warmup=2)
        if args.importtime:
            for argv in (["--help"], ["config", "validate", config]):
                print(f"costliest imports of oci-conform {' '.join(argv[:2])} (cumulative us):")
                for micros, name in costliest_imports(argv):
                    print(f"  {micros:>7}  {name}")
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


def costliest_imports(argv: list[str], runs: int = 5, top: int = 12) -> list[tuple[int, str]]:
    """The top-level imports of one command by cumulative time, each the least of ``runs``."""
    best: dict[str, int] = {}
    script = f"import sys; from oci_conform.cli import main; sys.exit(main({argv!r}))"
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", script],
                              capture_output=True, text=True, timeout=120, check=False)
        for line in done.stderr.splitlines():
            parts = line.split("|")
            if len(parts) != 3 or not parts[1].strip().isdigit():
                continue
            name = parts[2].rstrip()
            if name.startswith("  "):       # nested: counted in its top-level import
                continue
            micros = int(parts[1])
            best[name.strip()] = min(micros, best.get(name.strip(), micros))
    return sorted(((v, k) for k, v in best.items()), reverse=True)[:top]


if __name__ == "__main__":
    sys.exit(main())
