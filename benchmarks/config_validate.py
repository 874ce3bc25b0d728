"""Benchmark: ``oci-conform config validate`` against ``check-jsonschema`` in the same run.

Two measurements, each printed as a ratio (check-jsonschema time / ours, >1 = we are faster):

1. start-up on a single file: the whole command, median of several runs (hyperfine when
   installed, else a timing loop), on the config.json that ``runc spec`` writes;
2. 1,000 configs in one process: one command over 1,000 config files (real generated
   configs, the good fixtures and the bad fixtures, repeated).

check-jsonschema gets an equivalent schema: ours, with its shared definitions inlined
into one file so it needs no network. It checks the schema only; we also run the
semantic checks, so the comparison favours it.

check-jsonschema is not a dependency: ``.venv/bin/pip install check-jsonschema``.
Run: ``.venv/bin/python benchmarks/config_validate.py [--runs N] [--files N]``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OURS = [str(BIN / "oci-conform"), "config", "validate"]
THEIRS = [str(BIN / "check-jsonschema")]


def inlined_schema(folder: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from oci_conform.checks.runtime_config.schema import validator
    path = folder / "runtime-config.inlined.schema.json"
    path.write_text(json.dumps(validator("config").schema))
    return path


def sample_configs(folder: Path) -> list[Path]:
    """Real generated configs plus our fixtures, as the pool the 1,000 files are drawn from."""
    pool = sorted((REPO / "fixtures" / "config" / "good").glob("*.json"))
    pool += sorted((REPO / "fixtures" / "config" / "bad").glob("*.json"))
    for name, argv in (("runc", ["runc", "spec"]), ("rootless", ["runc", "spec", "--rootless"]),
                       ("crun", ["crun", "spec"])):
        if shutil.which(argv[0]):
            where = folder / f"gen-{name}"
            where.mkdir()
            if subprocess.run(argv, cwd=where, capture_output=True, check=False).returncode == 0:
                pool.insert(0, where / "config.json")
    return pool


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one run."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_time(argv: list[str], runs: int) -> tuple[float, float]:
    """(median wall, median CPU) over ``runs`` runs after one warm-up."""
    run_once(argv)   # warm the page cache
    samples = [run_once(argv) for _ in range(runs)]
    return (statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples))


def hyperfine(ours: list[str], theirs: list[str], runs: int, folder: Path) -> tuple[float, float]:
    out = folder / "hyperfine.json"
    import shlex
    subprocess.run(["hyperfine", "--warmup", "2", "--runs", str(runs), "-N", "-i",
                    "--export-json", str(out), shlex.join(ours), shlex.join(theirs)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    data = json.loads(out.read_text())["results"]
    cpu = [d["user"] + d["system"] for d in data]
    print(f"  CPU time (user+system, mean): oci-conform {cpu[0] * 1000:.0f} ms, "
          f"check-jsonschema {cpu[1] * 1000:.0f} ms, ratio {cpu[1] / cpu[0]:.2f}x")
    return data[0]["median"], data[1]["median"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    if not (BIN / "check-jsonschema").exists():
        print("check-jsonschema is not installed in this environment: "
              f"{BIN / 'pip'} install check-jsonschema", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-config-") as tmp:
        folder = Path(tmp)
        schema = inlined_schema(folder)
        pool = sample_configs(folder)
        single = pool[0]
        theirs_single = [*THEIRS, "--schemafile", str(schema), str(single)]
        ours_single = [*OURS, str(single)]
        print(f"single file: {single.name} ({single.stat().st_size} bytes)")
        if shutil.which("hyperfine"):
            ours_t, theirs_t = hyperfine(ours_single, theirs_single, args.runs, folder)
            how = "hyperfine median"
        else:
            ours_t, theirs_t = median_time(ours_single, args.runs)[0], median_time(
                theirs_single, args.runs)[0]
            how = "median of runs"
        print(f"  start-up ({how}, {args.runs} runs): oci-conform {ours_t * 1000:.0f} ms, "
              f"check-jsonschema {theirs_t * 1000:.0f} ms, ratio {theirs_t / ours_t:.2f}x")

        many = folder / "many"
        many.mkdir()
        files = []
        for i in range(args.files):
            target = many / f"{i:04d}-config.json"
            shutil.copy(pool[i % len(pool)], target)
            files.append(str(target))
        runs = max(3, args.runs // 5)
        ours_many, ours_cpu = median_time([*OURS, *files, "-o", str(folder / "out.txt")], runs)
        theirs_many, theirs_cpu = median_time([*THEIRS, "--schemafile", str(schema), *files],
                                              runs)
        print(f"{args.files} configs in one process (median of {runs}): "
              f"oci-conform {ours_many:.2f} s ({ours_many / args.files * 1000:.1f} ms/file), "
              f"check-jsonschema {theirs_many:.2f} s "
              f"({theirs_many / args.files * 1000:.1f} ms/file), "
              f"ratio {theirs_many / ours_many:.2f}x; CPU ratio {theirs_cpu / ours_cpu:.2f}x")
        print("(ratio = check-jsonschema time / oci-conform time; above 1 means oci-conform is "
              "faster; oci-conform also runs every semantic check and reports each clause;\n"
              " on a loaded machine wall time is noisy, the CPU ratio is the steadier figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
