"""Registry suite benchmark: suite wall time, and 256 MiB blob throughput against curl.

Starts Debian's docker-registry on loopback, then measures in the same run:

1. the whole registry suite (write mode, profile v1.1): wall time against the time spent
   inside its HTTP calls (the baseline: what the registry itself takes);
2. uploading a 256 MiB blob (monolithic PUT, body streamed from disk) with the suite's
   RegistryClient vs ``curl --upload-file``, same registry, same file;
3. downloading it with ``RegistryClient.download_digest`` (hashes raw bytes while reading)
   vs ``curl -o /dev/null`` and vs ``curl | sha256sum`` (same work as the client).

Medians of ``--runs`` runs (default 3); ratios are client time / curl time (lower is better).
Usage: .venv/bin/python benchmarks/registry_suite.py [--runs N] [--size-mib N]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.docker_registry import DockerRegistry
from oci_conform.drivers.registry_http import RegistryClient, StreamBody
from oci_conform.suites.registry.runner import RegistryRun, RunOptions

REPO = "bench/blob"


def make_blob(path: Path, size: int) -> str:
    hasher = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            out.write(block)
            hasher.update(block)
            left -= len(block)
    return "sha256:" + hasher.hexdigest()


def file_blocks(path: Path, block: int = 1 << 20):
    with open(path, "rb") as src:
        while data := src.read(block):
            yield data


def start_upload(client: RegistryClient) -> str:
    resp = client.request("POST", f"/v2/{REPO}/blobs/uploads/", headers={"Content-Length": "0"})
    assert resp.status_code == 202, resp.status_code
    return client.url(resp.headers["Location"])


def delete_blob(client: RegistryClient, digest: str) -> None:
    client.request("DELETE", f"/v2/{REPO}/blobs/{digest}")
    client.take()


def upload_client(client: RegistryClient, path: Path, digest: str, size: int) -> float:
    loc = start_upload(client)
    started = time.perf_counter()
    resp = client.request("PUT", loc, params={"digest": digest},
                          data=StreamBody(file_blocks(path), size),
                          headers={"Content-Type": "application/octet-stream"})
    took = time.perf_counter() - started
    assert resp.status_code == 201, resp.status_code
    client.take()
    return took


def upload_curl(client: RegistryClient, path: Path, digest: str) -> float:
    loc = start_upload(client)
    sep = "&" if "?" in loc else "?"
    started = time.perf_counter()
    done = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                           "-H", "Expect:",
                           "-H", "Content-Type: application/octet-stream", "--upload-file",
                           str(path), f"{loc}{sep}digest={digest}"],
                          capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - started
    assert done.stdout.strip() == "201", (done.stdout, done.stderr)
    client.take()
    return took


def download_client(client: RegistryClient, digest: str, size: int) -> float:
    started = time.perf_counter()
    _resp, got, n, _ = client.download_digest(f"/v2/{REPO}/blobs/{digest}")
    took = time.perf_counter() - started
    assert got == digest and n == size
    client.take()
    return took


def download_curl(url: str, hash_it: bool) -> float:
    started = time.perf_counter()
    if hash_it:
        done = subprocess.run(f"curl -sS '{url}' | sha256sum", shell=True,
                              capture_output=True, text=True, timeout=600)
    else:
        done = subprocess.run(["curl", "-sS", "-o", "/dev/null", url], capture_output=True,
                              text=True, timeout=600)
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    return took


class CountingClient(RegistryClient):
    """A RegistryClient that also keeps the time of every exchange (the HTTP baseline)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http_seconds = 0.0
        self.count = 0

    def _record(self, ex):
        self.http_seconds += ex.duration
        self.count += 1
        super()._record(ex)


def suite_time(url: str) -> tuple[float, int, int, float]:
    """Wall time of the whole suite, outcomes, exchanges, and time spent inside HTTP calls."""
    catalog = default_catalog()
    with CountingClient(url) as client:
        started = time.perf_counter()
        run = RegistryRun(client, catalog, "docker-registry", RunOptions(profile="v1.1"))
        results = list(run.run())
        took = time.perf_counter() - started
    return took, len(results), client.count, client.http_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=256)
    args = parser.parse_args()
    if not shutil.which("curl"):
        print("curl is not installed", file=sys.stderr)
        return 2
    size = args.size_mib << 20
    with DockerRegistry() as reg, tempfile.TemporaryDirectory() as tmp:
        print(f"docker-registry {reg.version} at {reg.url}; {args.runs} runs; "
              f"blob {args.size_mib} MiB")
        suite = [suite_time(reg.url) for _ in range(args.runs)]
        wall = statistics.median(s[0] for s in suite)
        http = statistics.median(s[3] for s in suite)
        print(f"suite: median {wall:.2f} s wall, {suite[0][1]} outcomes, {suite[0][2]} HTTP "
              f"exchanges; {http:.2f} s inside HTTP calls -> harness overhead ratio "
              f"wall/HTTP {wall / http:.2f}")
        blob = Path(tmp) / "blob.bin"
        digest = make_blob(blob, size)
        with RegistryClient(reg.url, timeout=(10.0, 600.0)) as client:
            up_c, up_k = [], []
            for _ in range(args.runs):
                up_c.append(upload_client(client, blob, digest, size))
                delete_blob(client, digest)
                up_k.append(upload_curl(client, blob, digest))
                if _ != args.runs - 1:
                    delete_blob(client, digest)
            url = f"{reg.url}/v2/{REPO}/blobs/{digest}"
            down_c = [download_client(client, digest, size) for _ in range(args.runs)]
            down_k = [download_curl(url, False) for _ in range(args.runs)]
            down_h = [download_curl(url, True) for _ in range(args.runs)]
        mib = size / (1 << 20)

        def line(name: str, times: list[float]) -> float:
            med = statistics.median(times)
            print(f"  {name:34s} median {med:7.3f} s  {mib / med:8.1f} MiB/s")
            return med

        print("upload (monolithic PUT of the blob):")
        a = line("RegistryClient (streamed)", up_c)
        b = line("curl --upload-file (no Expect)", up_k)
        print(f"  ratio client/curl: {a / b:.2f}")
        print("download (GET of the blob):")
        c = line("RegistryClient.download_digest", down_c)
        d = line("curl -o /dev/null", down_k)
        e = line("curl | sha256sum", down_h)
        print(f"  ratio client/curl: {c / d:.2f}; client/(curl|sha256sum): {c / e:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
