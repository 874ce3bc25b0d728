"""Benchmark: `oci-conform image validate` on a layout with >= 1 GiB of layers, against
hashing the same blobs with sha256sum (and `zcat | sha256sum` for the gzip layers, which
is what checking their DiffIDs costs), measured in the same run. Prints medians and the
ratio, and the peak RSS of the validator (from /usr/bin/time -v, else getrusage).

    python benchmarks/image_validate.py [--gib 1.0] [--runs 3] [--keep DIR]

Targets (issue 5): ratio <= 1.5, peak memory < 150 MiB whatever the layer size.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

CHUNK = 1 << 20


class _Random:
    """A file-like source of n pseudo-random (incompressible) bytes, seeded, made in chunks."""

    def __init__(self, n: int, seed: int):
        import random
        self.left = n
        self.rng = random.Random(seed)
        self.counter = 0

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return self.rng.randbytes(n)


def _layer_tar(path: Path, size: int, seed: int, text: bool) -> None:
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo(f"data/blob-{seed}.bin")
        info.size = size
        tar.addfile(info, _Text(size, seed) if text else _Random(size, seed))


class _Text(_Random):
    """Compressible bytes (repeated text with a counter), like real text-heavy layers."""

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        line = b"".join(b"line %08d of layer %d: the quick brown fox\n" % (i, self.counter)
                        for i in range(4096))
        out = (line * (n // len(line) + 1))[:n]
        self.counter += 1
        self.left -= n
        return out


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def build_layout(root: Path, gib: float) -> dict:
    """Two uncompressed layers of random bytes and one gzip layer, >= ``gib`` GiB of blobs."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    total = int(gib * (1 << 30))
    plan = [("tar", int(total * 0.35), False), ("tar", int(total * 0.35), False),
            ("gzip", int(total * 0.31), False)]
    layers, diff_ids, gz = [], [], []
    for i, (kind, size, text) in enumerate(plan):
        raw = root / f"layer{i}.tar"
        _layer_tar(raw, size, i, text)
        diff = _sha256_file(raw)
        if kind == "gzip":
            out = root / f"layer{i}.tar.gz"
            with out.open("wb") as f:
                subprocess.run(["gzip", "-1", "-c", str(raw)], stdout=f, check=True)
            raw.unlink()
            raw = out
        digest = _sha256_file(raw)
        final = blobs / digest
        raw.rename(final)
        if kind == "gzip":
            gz.append(final)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar"
                       + ("+gzip" if kind == "gzip" else ""),
                       "digest": "sha256:" + digest, "size": final.stat().st_size})
        diff_ids.append("sha256:" + diff)
    def blob(obj: dict, mt: str) -> dict:
        data = json.dumps(obj).encode()
        d = hashlib.sha256(data).hexdigest()
        (blobs / d).write_bytes(data)
        return {"mediaType": mt, "digest": "sha256:" + d, "size": len(data)}
    config = blob({"architecture": "amd64", "os": "linux",
                   "rootfs": {"type": "layers", "diff_ids": diff_ids}},
                  "application/vnd.oci.image.config.v1+json")
    manifest = blob({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": config, "layers": layers},
                    "application/vnd.oci.image.manifest.v1+json")
    manifest["platform"] = {"architecture": "amd64", "os": "linux"}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return {"blob_bytes": sum(p.stat().st_size for p in blobs.iterdir()), "gzip_layers": gz,
            "uncompressed_layer_bytes": sum(plan[i][1] for i in range(len(plan)))}


def timed(cmd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, executable="/bin/bash")
    return time.perf_counter() - start


def validator_run(layout: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS KiB, exit code) of one validation in a child process."""
    cmd = [sys.executable, "-m", "oci_conform", "image", "validate", f"oci:{layout}",
           "--format", "json", "-o", os.devnull]
    start = time.perf_counter()
    if shutil.which("time") and Path("/usr/bin/time").exists():
        p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        return seconds, int(m.group(1)) if m else -1, p.returncode
    p = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=1.0, help="GiB of layer blobs (default 1.0)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="build (or reuse) the layout here")
    args = ap.parse_args()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="oci-bench-"))
    layout = tmp / "layout"
    try:
        if not (layout / "index.json").exists():
            print(f"building a layout with {args.gib} GiB of layers in {layout} ...",
                  file=sys.stderr)
            info = build_layout(layout, args.gib)
        else:
            gz = [p for p in (layout / "blobs/sha256").iterdir()
                  if p.open("rb").read(2) == b"\x1f\x8b"]
            info = {"blob_bytes": sum(p.stat().st_size for p in (layout / "blobs/sha256")
                                      .iterdir()), "gzip_layers": gz}
        blobs = layout / "blobs" / "sha256"
        gz_cmds = "; ".join(f"zcat {p} | sha256sum" for p in info["gzip_layers"])
        baseline_cmd = f"sha256sum {blobs}/* ; {gz_cmds}"
        # coreutils sha256sum has no SHA-NI/AVX code on Debian 12 while Python's hashlib uses
        # OpenSSL, so the same hashing through `openssl dgst` is shown as a second baseline.
        ossl = shutil.which("openssl")
        ossl_cmd = (f"openssl dgst -sha256 {blobs}/* ; " + "; ".join(
            f"zcat {p} | openssl dgst -sha256" for p in info["gzip_layers"])) if ossl else ""
        timed(baseline_cmd)                                    # warm the page cache
        base, base_ossl, ours, peaks, codes = [], [], [], [], []
        for _ in range(args.runs):
            base.append(timed(baseline_cmd))
            if ossl_cmd:
                base_ossl.append(timed(ossl_cmd))
            seconds, peak, code = validator_run(layout)
            ours.append(seconds)
            peaks.append(peak)
            codes.append(code)
        b, o = statistics.median(base), statistics.median(ours)
        result = {"blob_bytes": info["blob_bytes"], "runs": args.runs,
                  "baseline_seconds_median": round(b, 3), "validate_seconds_median": round(o, 3),
                  "ratio": round(o / b, 3), "peak_rss_mib": round(max(peaks) / 1024, 1),
                  "validate_exit_codes": codes, "baseline": "sha256sum blobs + zcat|sha256sum "
                                                             "per gzip layer",
                  "load_average": os.getloadavg()[0]}
        if base_ossl:
            bo = statistics.median(base_ossl)
            result.update(openssl_baseline_seconds_median=round(bo, 3),
                          ratio_vs_openssl=round(o / bo, 3))
        result.update({
                  "targets": {"ratio": 1.5, "peak_rss_mib": 150}})
        print(json.dumps(result, indent=1))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
