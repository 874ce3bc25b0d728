#!/usr/bin/env python3
"""Time per finding as documents carry 1k, 10k and 100k findings (flat is the target).

Documents (each entry breaks one rule, so N entries make about N findings):

- ``index``: an image index with N manifest descriptors whose digest is malformed;
- ``image-config``: an image config with N ``config.Env`` entries without ``=``;
- ``runtime-config``: a runtime ``config.json`` with N ``process.env`` entries without ``=``.

The denominator is N, the number of bad entries (each one a finding the checks must make);
the command may report fewer (outcomes cap their findings list), which is printed beside.
Each measurement runs the real command line (``python -m oci_conform image
validate-document ... --format json`` or ``config validate``) as a subprocess with a
deadline, and takes its CPU time (user + system; the wall clock on a loaded host is mostly the
wait for a core); the same command on the same document with one entry is timed in the same
round as the baseline (start-up, catalog), and per-finding time is (t(N) - t(1)) / N.
Rounds alternate the sizes. Prints min/median/max per size and the ratio of the largest
size's median per-finding time to the smallest's (1.0 = linear).

    python benchmarks/findings_scaling.py [--rounds 3] [--sizes 1000,10000,100000]
        [--kinds index,image-config,runtime-config] [--timeout 300] [--total 100000]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def index_doc(n: int) -> dict:
    """Short entries (no mediaType, a malformed digest) so 100k stay under the 8 MiB cap."""
    return {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"digest": "x", "size": i} for i in range(n)]}


def image_config_doc(n: int) -> dict:
    return {"architecture": "amd64", "os": "linux",
            "config": {"Env": [f"NOEQUALS{i}" for i in range(n)]},
            "rootfs": {"type": "layers", "diff_ids": []}}


def runtime_config_doc(n: int) -> dict:
    return {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
            "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0},
                        "env": [f"NOEQUALS{i}" for i in range(n)]},
            "linux": {"namespaces": [{"type": "mount"}]}}


KINDS = {
    "index": (index_doc, ["image", "validate-document", "--media-type", "index"]),
    "image-config": (image_config_doc, ["image", "validate-document", "--media-type", "config"]),
    "runtime-config": (runtime_config_doc, ["config", "validate"]),
}


def _child_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def run(argv: list[str], paths: list[Path], results: Path, timeout: float
        ) -> tuple[float, int]:
    """(CPU seconds, findings) of one command; seconds is inf on a time-out.

    CPU time (user + system of the child), not the wall clock: on a shared, loaded host the
    wall clock mostly measures the wait for a core, which swamps the per-finding cost."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "oci_conform", *argv, *map(str, paths), "--format", "json",
           "-o", os.devnull, "--results", str(results)]
    started = _child_cpu()
    try:
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return float("inf"), 0
    took = _child_cpu() - started
    try:
        doc = json.loads(results.read_text())
        findings = sum(len(r.get("findings", [])) for r in doc.get("results", []))
    except (OSError, ValueError):
        findings = 0
    return took, findings


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--kinds", default=",".join(KINDS))
    p.add_argument("--total", type=int, default=100000,
                   help="bad entries judged per command: a size of N is N-entry documents "
                        "given total/N times in one command, so start-up noise weighs the "
                        "same at every size (default 100000)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds one command may take (default 300)")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    status = 0
    with tempfile.TemporaryDirectory(prefix="findings-scaling-") as tmp:
        folder = Path(tmp)
        for kind in args.kinds.split(","):
            make, argv = KINDS[kind]
            paths: dict[int, list[Path]] = {}
            copies = {n: max(1, args.total // n) for n in sizes}
            for n in sizes:
                text = json.dumps(make(n))
                paths[n] = [folder / f"{kind}-{n}-{i}.json" for i in range(copies[n])]
                for path in paths[n]:
                    path.write_text(text)
            one = json.dumps(make(1))
            base_paths = {}
            for k in set(copies.values()):
                base_paths[k] = [folder / f"{kind}-1-{i}.json" for i in range(k)]
                for path in base_paths[k]:
                    path.write_text(one)
            per: dict[int, list[float]] = {n: [] for n in sizes}
            found: dict[int, int] = {}
            timed_out: set[int] = set()
            for _ in range(args.rounds):
                for n in sizes:
                    if n in timed_out:
                        continue
                    base, _ = run(argv, base_paths[copies[n]], folder / "r.json", args.timeout)
                    took, findings = run(argv, paths[n], folder / "r.json", args.timeout)
                    if took == float("inf"):
                        timed_out.add(n)
                        continue
                    found[n] = findings // copies[n]
                    per[n].append(max(took - base, 0.0) / (n * copies[n]))
            print(f"{kind}: CPU time per finding (N-entry documents x total/N in one command; "
                  "baseline: as many 1-entry documents)")
            medians = {}
            for n in sizes:
                if n in timed_out:
                    print(f"  {n:>7} entries: over {args.timeout:g} s (timed out)")
                    status = 1
                    continue
                xs = per[n]
                if found.get(n, 0) < 2 <= n:
                    print(f"  {n:>7} entries: refused whole ({found.get(n, 0)} finding; "
                          "over a size limit?): not a scaling figure")
                    status = 1
                    continue
                medians[n] = statistics.median(xs)
                print(f"  {n:>7} entries x{copies[n]:<4} ({found.get(n, 0):>5} findings listed): "
                      f"min {min(xs) * 1e6:9.1f} us  median {medians[n] * 1e6:9.1f} us  "
                      f"max {max(xs) * 1e6:9.1f} us")
            usable = {n: m for n, m in medians.items() if m > 0}   # 0: lost in start-up noise
            if len(usable) >= 2:
                lo, hi = min(usable), max(usable)
                print(f"  ratio per-finding median {hi} / {lo}: "
                      f"{usable[hi] / usable[lo]:.2f} (flat = 1.0)")
    return status


if __name__ == "__main__":
    sys.exit(main())
