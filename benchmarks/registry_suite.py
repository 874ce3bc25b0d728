"""Registry suite benchmark: suite wall time, and 256 MiB blob transfer against curl.

Starts Debian's docker-registry on loopback, then measures in the same run:

1. the whole registry suite (write mode, profile v1.1): wall time against the time spent
   inside its HTTP calls (the baseline: what the registry itself takes);
2. uploading a 256 MiB blob (monolithic PUT, body streamed from disk) with the suite's
   RegistryClient vs ``curl --upload-file``, same registry, same file, alternating;
3. downloading it with ``RegistryClient.download_digest`` (hashes the raw bytes while
   reading) vs ``curl URL | openssl dgst -sha256``: the same work with the fastest common
   tools (OpenSSL's SHA-256 uses SHA-NI; Debian's sha256sum does not and is ~4x slower, so
   it would flatter the client). ``curl -o /dev/null`` (no hashing) is printed as well.

Rounds alternate (client, curl, curl, client, ...); prints min/median/max, CPU time and
the ratio client / curl per figure (below 1.0: the client is faster).
Usage: .venv/bin/python benchmarks/registry_suite.py [--runs N] [--size-mib N]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import Series, alternate, machine_line, ratio_line, run_timed, table  # noqa: E402,I001
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


def download_client(client: RegistryClient, digest: str, size: int) -> tuple[float, int, float]:
    cpu = _self_cpu()
    started = time.perf_counter()
    _resp, got, n, _ = client.download_digest(f"/v2/{REPO}/blobs/{digest}")
    took = time.perf_counter() - started
    assert got == digest and n == size
    client.take()
    return took, -1, _self_cpu() - cpu


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def download_curl(url: str, hash_it: bool) -> tuple[float, int, float]:
    if hash_it:
        return run_timed(f"set -o pipefail; curl -sS --fail {shlex.quote(url)} "
                         "| openssl dgst -sha256 > /dev/null", shell=True)
    return run_timed(["curl", "-sS", "--fail", "-o", "/dev/null", url])


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
        walls = Series("suite wall", [x[0] for x in suite])
        http = Series("inside HTTP calls", [x[3] for x in suite])
        print(f"suite: {suite[0][1]} outcomes, {suite[0][2]} HTTP exchanges per run")
        print(table([walls, http]))
        print("  " + ratio_line(walls, http, "(harness overhead: wall / time in HTTP)"))
        blob = Path(tmp) / "blob.bin"
        digest = make_blob(blob, size)
        with RegistryClient(reg.url, timeout=600.0) as client:
            up_c, up_k = Series("RegistryClient PUT"), Series("curl --upload-file")

            def up(fn):  # type: ignore[no-untyped-def]
                def run() -> float:
                    took = fn()
                    delete_blob(client, digest)
                    return took
                return run

            alternate([(up_c, up(lambda: upload_client(client, blob, digest, size))),
                       (up_k, up(lambda: upload_curl(client, blob, digest)))], args.runs)
            upload_client(client, blob, digest, size)
            url = f"{reg.url}/v2/{REPO}/blobs/{digest}"
            down_c = Series("RegistryClient.download_digest")
            down_h = Series("curl | openssl dgst -sha256")
            down_k = Series("curl -o /dev/null")
            alternate([(down_c, lambda: download_client(client, digest, size)),
                       (down_h, lambda: download_curl(url, True)),
                       (down_k, lambda: download_curl(url, False))], args.runs)
        print(f"upload of {args.size_mib} MiB (monolithic PUT), {args.runs} alternating rounds:")
        print(table([up_c, up_k]))
        print("  " + ratio_line(up_c, up_k, "(below 1: the client is faster)"))
        print(f"download of {args.size_mib} MiB with its digest checked:")
        print(table([down_c, down_h, down_k]))
        print("  " + ratio_line(down_c, down_h, "(the fair baseline; below 1: client faster)"))
        print("  " + ratio_line(down_c, down_k, "(curl without hashing, for reference)"))
        print(machine_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
