"""Crash safety and robustness: SIGKILL in the middle of uploads, restart, and a fuzz of
the HTTP API that must never produce a 500."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oci_conform.reference.registry.server import free_port
from tests.reference_registry.conftest import Client, sha256


def start_server(storage: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "oci_conform.reference.registry", "serve",
                             "--listen", f"127.0.0.1:{port}", "--storage", str(storage)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 200:
                return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the registry did not start")


def test_sigkill_mid_upload_keeps_committed_data_and_no_partial_blob(tmp_path: Path) -> None:
    storage, port = tmp_path / "store", free_port()
    proc = start_server(storage, port)
    base = f"http://127.0.0.1:{port}"
    client = Client(base)
    try:
        committed = [client.push_blob("crash/repo", os.urandom(200_000)) for _ in range(3)]
        manifest = client.image("crash/repo", [b"layer-one"])
        assert client.put_manifest("crash/repo", "v1", manifest).status_code == 201
        # An upload session with one chunk accepted, to resume after the restart.
        loc = client.http.post(client.url("/v2/crash/repo/blobs/uploads/")).headers["Location"]
        resumable = os.urandom(300_000)
        r = client.http.patch(client.url(loc), data=resumable[:100_000],
                              headers={"Content-Range": "0-99999"})
        assert r.status_code == 202
        # A big upload killed halfway through its body.
        partial = os.urandom(8 << 20)
        loc2 = client.http.post(client.url("/v2/crash/repo/blobs/uploads/")).headers["Location"]
        sent = threading.Event()

        def slow_body():
            for i in range(0, len(partial), 1 << 20):
                yield partial[i:i + (1 << 20)]
                if i >= 3 << 20:
                    sent.set()
                    time.sleep(5)

        def upload() -> None:
            try:
                requests.put(client.url(loc2), params={"digest": sha256(partial)},
                             data=slow_body(), timeout=20)
            except requests.RequestException:
                pass

        worker = threading.Thread(target=upload, daemon=True)
        worker.start()
        assert sent.wait(20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        worker.join(30)
    finally:
        proc.kill()
        proc.wait(10)

    proc = start_server(storage, port)
    try:
        for digest in committed:
            body = requests.get(f"{base}/v2/crash/repo/blobs/{digest}", timeout=10).content
            assert sha256(body) == digest
        got = requests.get(f"{base}/v2/crash/repo/manifests/v1", timeout=10)
        assert got.status_code == 200 and got.content == manifest
        assert requests.head(f"{base}/v2/crash/repo/blobs/{sha256(partial)}",
                             timeout=10).status_code == 404
        # Every stored blob is complete: its bytes hash to its name.
        for path in (storage / "blobs").glob("sha256/*/*"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
        # The interrupted session resumes where it stood.
        status = requests.get(client.url(loc), timeout=10)
        assert status.status_code == 204 and status.headers["Range"] == "0-99999"
        r = requests.put(client.url(loc), params={"digest": sha256(resumable)},
                         data=resumable[100_000:],
                         headers={"Content-Range": f"100000-{len(resumable) - 1}"}, timeout=10)
        assert r.status_code == 201
        assert requests.get(f"{base}/v2/crash/repo/blobs/{sha256(resumable)}",
                            timeout=10).content == resumable
    finally:
        proc.terminate()
        proc.wait(10)


def test_concurrent_pushes_of_the_same_blob(client: Client) -> None:
    data = os.urandom(2 << 20)
    results: list[int] = []

    def push() -> None:
        r = client.http.post(client.url("/v2/race/repo/blobs/uploads/"))
        results.append(requests.put(client.url(r.headers["Location"]),
                                    params={"digest": sha256(data)}, data=data,
                                    timeout=30).status_code)

    threads = [threading.Thread(target=push) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201] * 6
    assert client.http.get(client.url(f"/v2/race/repo/blobs/{sha256(data)}")).content == data


METHODS = st.sampled_from(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"])
SEGMENTS = st.sampled_from(["v2", "a", "lib", "manifests", "blobs", "uploads", "tags", "list",
                            "referrers", "..", "%2e%2e", "UP", "sha256:" + "a" * 64, "sha256:x",
                            "latest", "", "a" * 300, "\u00e9", "_x", "token", "_catalog"])
QUERY = st.sampled_from(["", "?digest=sha256:zz", "?n=-1", "?n=abc", "?last=", "?mount=x&from=y",
                         "?digest-algorithm=sha1", "?tag=bad tag", "?artifactType=",
                         "?n=%C2%B2", "?n=" + "9" * 5000, "?grant_type=password"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=METHODS, segments=st.lists(SEGMENTS, min_size=1, max_size=7), query=QUERY,
       body=st.binary(max_size=64), headers=st.dictionaries(
           st.sampled_from(["Content-Range", "Range", "Content-Type", "Content-Length",
                            "Authorization"]),
           st.sampled_from(["0-1", "bytes=5-2", "-", "garbage", "99999999999999999999",
                            "bytes=0-" + "9" * 5000, "0-" + "9" * 5000, "-1",
                            "application/vnd.oci.image.manifest.v1+json", "Basic !!!"]),
           max_size=3))
def test_fuzz_never_answers_500(registry, method, segments, query, body, headers) -> None:
    path = "/" + "/".join(segments) + query
    host, port = registry.address.split(":")
    head = [f"{method} {path} HTTP/1.1", f"Host: {registry.address}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items() if k != "Content-Length"]
    head.append(f"Content-Length: {headers.get('Content-Length', len(body))}")
    raw = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + body
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1."), answer[:200]
    assert int(status_line.split()[1]) < 500, (path, answer[:500])
