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
deadline; the same command on the same document with one entry is timed in the same round
as the baseline (start-up, catalog), and per-finding time is (t(N) - t(1)) / N.
Rounds alternate the sizes. Prints min/median/max per size and the ratio of the largest
size's median per-finding time to the smallest's (1.0 = linear).

    python benchmarks/findings_scaling.py [--rounds 3] [--sizes 1000,10000,100000]
        [--kinds index,image-config,runtime-config] [--timeout 300]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


def run(argv: list[str], path: Path, results: Path, timeout: float) -> tuple[float, int]:
    """(seconds, findings) of one command; seconds is inf on a time-out."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "oci_conform", *argv, str(path), "--format", "json",
           "-o", os.devnull, "--results", str(results)]
    started = time.perf_counter()
    try:
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return float("inf"), 0
    took = time.perf_counter() - started
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
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds one command may take (default 300)")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    status = 0
    with tempfile.TemporaryDirectory(prefix="findings-scaling-") as tmp:
        folder = Path(tmp)
        for kind in args.kinds.split(","):
            make, argv = KINDS[kind]
            paths = {}
            for n in [1, *sizes]:
                paths[n] = folder / f"{kind}-{n}.json"
                paths[n].write_text(json.dumps(make(n)))
            per: dict[int, list[float]] = {n: [] for n in sizes}
            found: dict[int, int] = {}
            timed_out: set[int] = set()
            for _ in range(args.rounds):
                base, _ = run(argv, paths[1], folder / "r.json", args.timeout)
                for n in sizes:
                    if n in timed_out:
                        continue
                    took, findings = run(argv, paths[n], folder / "r.json", args.timeout)
                    if took == float("inf"):
                        timed_out.add(n)
                        continue
                    found[n] = findings
                    per[n].append(max(took - base, 0.0) / n)
            print(f"{kind}: time per finding (baseline: the same command, 1 entry)")
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
                print(f"  {n:>7} entries ({found.get(n, 0):>5} findings listed): "
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
