#!/usr/bin/env python3
"""Reference registry against Debian's docker-registry 2.8.2, same machine, same run.

One client for both servers, curl (so the client is not what is compared), and the
servers alternate round by round (reference, docker-registry, docker-registry,
reference, ...), so load that drifts on this shared host hits both alike:

  * push: POST then one monolithic PUT of a 256 MiB blob (random bytes: neither server
    compresses, so this is storage plus hashing);
  * pull: GET of that blob to /dev/null (page cache warm for both: the push just wrote
    it); pulls are cheap and noisy, so each round takes several, alternating servers;
  * head-burst: 2,000 manifest HEADs over 8 keep-alive connections
    (curl --parallel --parallel-max 8).

The baseline is docker-registry itself: the Go registry of the distribution project, the
implementation most registries derive from, configured as Debian ships it (in-memory blob
descriptor cache; access log off, like ours). Prints min/median/max per server and figure,
the per-round ratio spread and the ratio of medians docker-registry / reference (above
1.0: the reference registry is faster), and each server's CPU time per figure (read from
/proc: on a loaded shared host the steadier figure). Target: >= 1.0 on every figure.

Run as:  .venv/bin/python benchmarks/reference_registry.py [--size-mib 256] [--rounds 5]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import Series, machine_line, process_cpu, ratio_line, table  # noqa: E402
from oci_conform.drivers.docker_registry import DockerRegistry  # noqa: E402
from oci_conform.reference.registry.server import free_port  # noqa: E402


def start_reference(storage: Path, code: Path | None = None
                    ) -> tuple[subprocess.Popen[bytes], str]:
    """The reference registry in a child process; from the source tree ``code`` when given
    (``python -m`` puts its working folder first on the import path)."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(code)) if code else None
    proc = subprocess.Popen([sys.executable, "-m", "oci_conform.reference.registry", "serve",
                             "--listen", f"127.0.0.1:{port}", "--storage", str(storage)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=str(code) if code else None, env=env)
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
    # -T streams the file (PUT); --data-binary would read it all into curl's memory first
    curl("-H", "Content-Type: application/octet-stream", "-T", str(path),
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


FIGURES = ("push", "pull", "head-burst")


def sample(series: Series, pid: int, step: Callable[[], object]) -> None:
    """Time one step (wall) and the server's CPU during it."""
    cpu = process_cpu(pid)
    series.seconds.append(timed(step))
    series.cpu.append(process_cpu(pid) - cpu)


def measure(servers: dict[str, tuple[str, int]], blob: Path, digest: str, rounds: int,
            burst: int, pulls: int, workdir: Path) -> dict[str, dict[str, Series]]:
    """Each round: push on each server, then ``pulls`` pulls alternating between servers,
    then a HEAD burst on each; the order flips every round (A B, then B A). One untimed
    warm-up round first."""
    results = {name: {f: Series(name) for f in FIGURES} for name in servers}
    for url, _ in servers.values():
        push_manifest(url, "bench/small")
        push_blob(url, "bench/warm", blob, digest)
        curl("-o", "/dev/null", f"{url}/v2/bench/warm/blobs/{digest}")
        head_burst(url, "bench/small", burst, workdir)
    names = list(servers)
    for n in range(rounds):
        order = names if n % 2 == 0 else names[::-1]
        repo = f"bench/big{n}"
        for name in order:
            url, pid = servers[name]
            sample(results[name]["push"], pid,
                   lambda u=url, r=repo: push_blob(u, r, blob, digest))
        for k in range(pulls):
            for name in order if k % 2 == 0 else order[::-1]:
                url, pid = servers[name]
                sample(results[name]["pull"], pid,
                       lambda u=url, r=repo: curl("-o", "/dev/null",
                                                  f"{u}/v2/{r}/blobs/{digest}"))
        for name in order:
            url, pid = servers[name]
            sample(results[name]["head-burst"], pid,
                   lambda u=url: head_burst(u, "bench/small", burst, workdir))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=2000, help="HEAD requests per round")
    parser.add_argument("--pulls", type=int, default=4, help="pulls per server per round")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also run the reference registry from this source tree (e.g. "
                             "`git archive OLD oci_conform | tar -x -C DIR`), as a third "
                             "server, to show a change's effect in the same run")
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
        procs: list[subprocess.Popen[bytes]] = []
        try:
            ref_proc, ref_url = start_reference(work / "ref-storage")
            procs.append(ref_proc)
            servers = {"reference": (ref_url, ref_proc.pid)}
            if args.before:
                old_proc, old_url = start_reference(work / "old-storage", args.before)
                procs.append(old_proc)
                servers["reference before"] = (old_url, old_proc.pid)
            # docker-registry as Debian ships it: with its in-memory blob descriptor cache
            os.environ["REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR"] = "inmemory"
            with DockerRegistry() as docker:
                version = docker.version
                assert docker.process is not None
                servers["docker-registry"] = (docker.url, docker.process.pid)
                results = measure(servers, blob, digest, args.rounds, args.burst, args.pulls,
                                  work)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
    print(f"reference registry vs docker-registry {version}: blob {args.size_mib} MiB, "
          f"head-burst = {args.burst} HEADs over 8 connections, {args.rounds} alternating "
          f"rounds after one warm-up ({args.pulls} pulls per server per round); client: curl; "
          "server CPU from /proc")
    for figure in FIGURES:
        ref, dock = results["reference"][figure], results["docker-registry"][figure]
        old = results.get("reference before", {}).get(figure)
        print(f"{figure}:")
        print(table([ref, dock, *([old] if old else [])]))
        print("  " + ratio_line(dock, ref, "(above 1.0: the reference registry is faster)"))
        if old:
            print("  " + ratio_line(old, ref, "(above 1.0: the change made it faster)"))
    print(machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
