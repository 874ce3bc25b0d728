"""Benchmark: ``oci-conform report merge`` of many CI results files (time and peak RSS).

The inputs are real results: the registry suite run against the reference registry
(evidence with HTTP exchanges) and ``oci-conform config validate`` run on a few config
files (runc's and crun's generated configs and our fixtures: real findings), each results
file then given its own implementation names, as if from its own CI job, and cut to
``--outcomes`` outcomes (a seed with fewer is repeated under further names). The default
is 50 files x 2,000 outcomes (100,000 outcomes in; a seed that judges one clause twice
for one file, as the config checks may, merges into fewer).

Measured, alternating rounds:
  * the merge command, wall time and peak RSS (``/usr/bin/time -v``);
  * a floor for context: one Python process that only ``json.load``s every file and
    ``json.dump``s their outcome lists into one file (no checks, no precedence rules).
    Any merge in Python reads and writes at least that much.
Then, once: the size and render time of the HTML report of the merged results, and
``--rounds`` fresh loads of it in headless Chromium (``benchmarks/report_html.py``): time
to interactive (navigation start to the matrix built) and time to show one cell's evidence.
Targets: merge < 5 s and < 500 MiB; the HTML < 30 MB and interactive in < 3 s.

On a loaded host wall time is mostly the share of a core the process was given: the CPU
time (user + system) of each contender is printed beside it.

    .venv/bin/python benchmarks/report_merge.py [--files 50] [--outcomes 2000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import Series, alternate, machine_line, ratio_line, run_timed, table  # noqa: E402,I001
from benchmarks.report_html import page_figures  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FLOOR = ("import json, sys\n"
         "out = []\n"
         "for name in sys.argv[2:]:\n"
         "    with open(name, 'rb') as f:\n"
         "        out.extend(json.load(f)['results'])\n"
         "with open(sys.argv[1], 'w') as f:\n"
         "    json.dump({'results': out}, f)\n")


def seed_results(folder: Path, per_run: int = 6) -> list[dict]:
    """A few real results documents from ``config validate`` on ``per_run`` files each."""
    pool = sorted((REPO / "fixtures" / "config" / "bad").glob("*.json"))
    pool += sorted((REPO / "fixtures" / "config" / "good").glob("*.json"))
    for name, argv in (("runc", ["runc", "spec"]), ("crun", ["crun", "spec"])):
        if shutil.which(argv[0]):
            where = folder / f"gen-{name}"
            where.mkdir()
            if subprocess.run(argv, cwd=where, capture_output=True, check=False,
                              timeout=60).returncode == 0:
                pool.insert(0, where / "config.json")
    seeds = [registry_seed(folder)]
    for n in range(3):
        files = [str(p) for p in pool[n * per_run:(n + 1) * per_run]]
        out = folder / f"seed{n}.json"
        subprocess.run([str(BIN / "oci-conform"), "config", "validate", *files,
                        "--results", str(out), "-o", "/dev/null"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       timeout=600)
        seeds.append(json.loads(out.read_text()))
    return seeds


def registry_seed(folder: Path) -> dict:
    """Real results of the registry suite against the reference registry: outcomes whose
    evidence holds HTTP exchanges (the heaviest evidence a CI job produces)."""
    from oci_conform.reference.registry import RegistryConfig, RegistryServer
    out = folder / "seed-registry.json"
    with RegistryServer(RegistryConfig(folder / "registry")) as server:
        subprocess.run([str(BIN / "oci-conform"), "registry", "test", server.url,
                        "--results", str(out), "-o", "/dev/null"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       timeout=900)
    return json.loads(out.read_text())


def job_results(seed: dict, job: int, outcomes: int) -> dict:
    """``seed`` as the results of CI job ``job``: its own implementation names, ``outcomes``
    outcomes (the seed's outcomes repeated under further names when it has fewer)."""
    doc = dict(seed)
    impls, results = [], []
    rounds = 0
    while len(results) < outcomes:
        rename = {i["name"]: f"job{job:02d}-{rounds}:{Path(i['name']).name}"
                  for i in seed["implementations"]}
        impls += [{**i, "name": rename[i["name"]]} for i in seed["implementations"]]
        results += [{**r, "implementation": rename[r["implementation"]]}
                    for r in seed["results"]]
        rounds += 1
    kept = results[:outcomes]
    used = {r["implementation"] for r in kept}
    doc["implementations"] = [i for i in impls if i["name"] in used]
    doc["results"] = kept
    doc["started"] = f"2026-12-01T{job % 24:02d}:00:00+00:00"
    doc["finished"] = f"2026-12-01T{job % 24:02d}:30:00+00:00"
    return doc


def _spread(name: str, values: list[float]) -> str:
    values = sorted(values)
    return (f"{name} min/median/max {values[0]:.0f}/{values[len(values) // 2]:.0f}/"
            f"{values[-1]:.0f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--outcomes", type=int, default=2000, help="outcomes per file")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-merge-") as tmp:
        folder = Path(tmp)
        seeds = seed_results(folder)
        inputs = []
        for job in range(args.files):
            path = folder / f"results-{job:02d}.json"
            path.write_text(json.dumps(job_results(seeds[job % len(seeds)], job,
                                                   args.outcomes)))
            inputs.append(str(path))
        size = sum(Path(p).stat().st_size for p in inputs)
        merged = folder / "merged.json"
        (folder / "floor.py").write_text(FLOOR)
        ours, floor = Series("report merge"), Series("json load+dump floor")
        merge_cmd = [str(BIN / "oci-conform"), "report", "merge", *inputs, "-o", str(merged)]
        floor_cmd = [sys.executable, str(folder / "floor.py"), str(folder / "floor.json"),
                     *inputs]
        alternate([(ours, lambda: run_timed(merge_cmd)),
                   (floor, lambda: run_timed(floor_cmd))], args.rounds)
        count = len(json.loads(merged.read_text())["results"])
        print(f"report merge of {args.files} files x {args.outcomes} outcomes "
              f"({size / 1e6:.0f} MB of input; {count} outcomes merged), "
              f"{args.rounds} alternating rounds after a warm-up:")
        print(table([ours, floor]))
        print("  " + ratio_line(ours, floor, "(merge / the floor of reading and writing)"))
        peak = ours.peak_mib() or -1
        print(f"  targets: < 5 s (median {ours.median:.2f} s), < 500 MiB (peak {peak:.0f} MiB)")
        html = folder / "merged.html"
        seconds, rss, cpu = run_timed([str(BIN / "oci-conform"), "report", "render",
                                       str(merged), "--format", "html", "-o", str(html)])
        print(f"  HTML of the merge: {html.stat().st_size / 1e6:.1f} MB (target < 30 MB), "
              f"rendered in {seconds:.2f} s (CPU {cpu:.2f} s), peak RSS {rss / 1024:.0f} MiB")
        figures = page_figures(html, args.rounds)
        print("  in Chromium, " + _spread("interactive", figures["interactive_ms"])
              + " (target < 3,000 ms); " + _spread("first cell's evidence shown",
                                                   figures["first_cell_ms"]))
        print(machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
