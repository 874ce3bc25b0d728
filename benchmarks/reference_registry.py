#!/usr/bin/env python3
"""Reference registry against Debian's docker-registry, same machine, same run.

Measures, with curl as the one client for both servers (so the client is not what is
compared):
  * push of a 256 MiB blob (POST, then PUT of the whole file), and its pull;
  * a burst of small manifest HEAD requests from 8 concurrent connections
    (curl --parallel --parallel-max 8).
Prints the median of several rounds for each server and the ratio
docker-registry time / reference time (above 1.0: the reference registry is faster).

Run as:  .venv/bin/python benchmarks/reference_registry.py [--size-mib 256] [--rounds 3]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from oci_conform.drivers.docker_registry import DockerRegistry  # noqa: E402
from oci_conform.reference.registry.server import free_port  # noqa: E402


def start_reference(storage: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "oci_conform.reference.registry", "serve",
                             "--listen", f"127.0.0.1:{port}", "--storage", str(storage)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/v2/", timeout=1)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("reference registry did not start")


def curl(*args: str) -> str:
    return subprocess.run(["curl", "-sS", "--fail", *args], capture_output=True, text=True,
                          check=True, timeout=600).stdout


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def push_blob(url: str, repo: str, path: Path, digest: str) -> None:
    headers = curl("-X", "POST", "-D", "-", "-o", "/dev/null", f"{url}/v2/{repo}/blobs/uploads/")
    location = next(line.split(":", 1)[1].strip() for line in headers.splitlines()
                    if line.lower().startswith("location:"))
    if location.startswith("/"):
        location = url + location
    sep = "&" if "?" in location else "?"
    curl("-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", f"@{path}",
         "-o", "/dev/null", f"{location}{sep}digest={digest}")


def push_manifest(url: str, repo: str) -> None:
    config = b"{}"
    cfg_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(config)
        handle.flush()
        push_blob(url, repo, Path(handle.name), cfg_digest)
    body = json.dumps({"schemaVersion": 2,
                       "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": cfg_digest, "size": 2}, "layers": []})
    r = requests.put(f"{url}/v2/{repo}/manifests/v1", data=body, timeout=30,
                     headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    r.raise_for_status()


def head_burst(url: str, repo: str, count: int, workdir: Path) -> None:
    cfg = workdir / "burst.cfg"
    accept = "application/vnd.oci.image.manifest.v1+json"
    cfg.write_text("".join(f'url = "{url}/v2/{repo}/manifests/v1"\n-o /dev/null\n'
                           for _ in range(count)))
    subprocess.run(["curl", "-sS", "--no-progress-meter", "--fail", "-I",
                    "-H", f"Accept: {accept}", "--parallel",
                    "--parallel-max", "8", "-K", str(cfg)], check=True, timeout=600,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(url: str, blob: Path, digest: str, rounds: int, burst: int,
            workdir: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"push": [], "pull": [], "head-burst": []}
    push_manifest(url, "bench/small")
    for n in range(rounds):
        repo = f"bench/big{n}"
        times["push"].append(timed(lambda r=repo: push_blob(url, r, blob, digest)))
        times["pull"].append(timed(lambda r=repo: curl("-o", "/dev/null",
                                                       f"{url}/v2/{r}/blobs/{digest}")))
        times["head-burst"].append(timed(lambda: head_burst(url, "bench/small", burst, workdir)))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, default=2000, help="HEAD requests per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oci-conform-bench-") as tmp:
        work = Path(tmp)
        blob = work / "blob.bin"
        hasher = hashlib.sha256()
        with open(blob, "wb") as handle:
            for _ in range(args.size_mib):
                chunk = os.urandom(1 << 20)
                hasher.update(chunk)
                handle.write(chunk)
        digest = "sha256:" + hasher.hexdigest()
        ref_proc, ref_url = start_reference(work / "ref-storage")
        try:
            with DockerRegistry() as docker:
                results = {}
                # Alternate the two servers round by round so drift hits both alike.
                for name, url in (("docker-registry", docker.url), ("reference", ref_url)):
                    results[name] = measure(url, blob, digest, args.rounds, args.burst, work)
        finally:
            ref_proc.terminate()
            ref_proc.wait(10)
    print(f"{'figure':<12} {'docker-registry s':>18} {'reference s':>12} "
          f"{'ratio (docker/ref)':>19}")
    for figure in ("push", "pull", "head-burst"):
        d = statistics.median(results["docker-registry"][figure])
        r = statistics.median(results["reference"][figure])
        print(f"{figure:<12} {d:>18.3f} {r:>12.3f} {d / r:>19.2f}")
    print(f"(blob {args.size_mib} MiB; head-burst = {args.burst} HEAD requests over 8 "
          f"connections; medians of {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
