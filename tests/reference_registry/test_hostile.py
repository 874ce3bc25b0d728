"""Hostile clients against the reference registry: raw sockets with lying framing, bad
numbers, unknown methods, racing requests, a full disk, and username probing by timing."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oci_conform.reference.registry import RegistryConfig, RegistryServer
from oci_conform.reference.registry.auth import AuthConfig, Authenticator, _apr1
from oci_conform.reference.registry.limits import Limits
from oci_conform.reference.registry.server import free_port
from tests.reference_registry.conftest import OCI_INDEX, OCI_MANIFEST, Client, sha256
from tests.reference_registry.test_faults import start_server


def exchange(address: str, raw: bytes, timeout: float = 10.0) -> bytes:
    """Send ``raw`` and read until the server closes (or ``timeout``)."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(raw)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def split_answer(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


def json_error(answer: bytes) -> tuple[int, str]:
    """Status and first error code; fails when the body is not the spec's JSON error."""
    status, headers, body = split_answer(answer)
    assert headers.get("content-type") == "application/json", answer[:300]
    length = int(headers["content-length"])
    return status, json.loads(body[:length])["errors"][0]["code"]


def new_upload(client: Client, repo: str = "lib/app") -> str:
    r = client.http.post(client.url(f"/v2/{repo}/blobs/uploads/"))
    assert r.status_code == 202, r.text
    return str(r.headers["Location"])


# ---- 1. request body framing ------------------------------------------------------------

@pytest.mark.parametrize("size_line", [b"-1", b"-0x10", b"0x10", b"1_0", b"+a", b"\xd9\xa1"])
def test_invalid_chunk_size_is_refused_at_once(registry, client: Client, size_line: bytes) -> None:
    loc = new_upload(client)
    head = (f"PATCH {loc} HTTP/1.1\r\nHost: {registry.address}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    host, port = registry.address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        # The junk after the size line never ends: the server must answer without it.
        sock.sendall(head + size_line + b"\r\n")
        try:
            sock.sendall(b"j" * (1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass      # refused already, its answer sent: the server stopped reading
        sock.settimeout(5)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + \
                    int(split_answer(answer)[1].get("content-length", "0")):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            pytest.fail(f"no answer to chunk size {size_line!r}: the server waits for EOF")
    assert json_error(answer) == (400, "BLOB_UPLOAD_INVALID")
    status = client.http.get(client.url(loc))
    assert status.status_code == 204 and status.headers["Range"] == "0-0"


@pytest.mark.parametrize("length", ["-1", "+5", "1_0", "\u0661", "5, 6", " 0x5"])
def test_invalid_content_length_is_a_400_json_error(registry, client: Client,
                                                    length: str) -> None:
    loc = new_upload(client)
    raw = (f"PATCH {loc} HTTP/1.1\r\nHost: {registry.address}\r\n"
           f"Content-Length: {length}\r\n\r\n").encode() + b"12345" * 3
    assert json_error(exchange(registry.address, raw, timeout=5)) == (400, "SIZE_INVALID")
    assert client.http.get(client.url(loc)).headers["Range"] == "0-0"


def test_two_different_content_lengths_are_refused(registry, client: Client) -> None:
    loc = new_upload(client)
    raw = (f"PATCH {loc} HTTP/1.1\r\nHost: {registry.address}\r\nContent-Length: 3\r\n"
           "Content-Length: 5\r\n\r\n12345").encode()
    assert json_error(exchange(registry.address, raw, timeout=5)) == (400, "SIZE_INVALID")


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_memory_stays_bounded_under_a_hostile_body(tmp_path: Path) -> None:
    """A server process gets 96 MiB after a chunk size of -1, and a 96 MiB chunked PATCH
    in odd-sized chunks: its RSS must not grow by the body size."""
    port = free_port()
    proc = start_server(tmp_path / "store", port)
    try:
        address, client = f"127.0.0.1:{port}", Client(f"http://127.0.0.1:{port}")
        before = peak_rss_kib(proc.pid)
        loc = new_upload(client)
        host = f"Host: {address}\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"PATCH {loc} HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\n\r\n-1\r\n"
                         .encode())
            try:
                for _ in range(96):
                    sock.sendall(b"z" * (1 << 20))
            except (BrokenPipeError, ConnectionResetError):
                pass     # the server answered and hung up: what we want
        block = os.urandom(3 << 20)
        data = block * 32

        def body() -> Iterator[bytes]:
            for i in range(0, len(data), 777_777):
                yield data[i:i + 777_777]

        r = client.http.patch(client.url(loc), data=body(), timeout=120)
        assert r.status_code == 202 and r.headers["Range"] == f"0-{len(data) - 1}"
        grown = (peak_rss_kib(proc.pid) - before) // 1024
        assert grown < 40, f"peak RSS grew by {grown} MiB for a 96 MiB body"
    finally:
        proc.terminate()
        proc.wait(10)


# ---- 2. numbers in queries ---------------------------------------------------------------

@pytest.mark.parametrize("n", ["%C2%B2", "%D9%A1", "-1", "1e3", "0x10", "9" * 5000, "+1", " 1"])
def test_non_ascii_or_non_decimal_n_is_a_400(client: Client, n: str) -> None:
    client.put_manifest("lib/app", "v1", client.image("lib/app"))
    for path in ("/v2/lib/app/tags/list", "/v2/_catalog"):
        r = client.http.get(client.url(f"{path}?n={n}"))
        assert r.status_code == 400, (path, n, r.status_code, r.text[:200])
        assert r.headers["Content-Type"] == "application/json"
        assert r.json()["errors"][0]["code"] in {"UNSUPPORTED", "SIZE_INVALID"}


def test_huge_but_decimal_n_returns_everything(client: Client) -> None:
    client.put_manifest("lib/app", "v1", client.image("lib/app"))
    r = client.http.get(client.url("/v2/lib/app/tags/list?n=" + "9" * 40))
    assert r.status_code == 200 and r.json()["tags"] == ["v1"] and "Link" not in r.headers


# ---- 3. racing requests on one upload ------------------------------------------------------

def test_patch_racing_the_closing_put_gets_a_clean_4xx(client: Client) -> None:
    data = os.urandom(1 << 20)
    loc = new_upload(client)
    put_started = threading.Event()
    results: dict[str, requests.Response] = {}

    def slow_body() -> Iterator[bytes]:
        yield data[:4096]
        put_started.set()
        time.sleep(1.0)        # the PATCH below arrives while this PUT holds the session
        yield data[4096:]

    def put() -> None:
        results["put"] = requests.put(client.url(loc), params={"digest": sha256(data)},
                                      data=slow_body(), timeout=30)

    worker = threading.Thread(target=put)
    worker.start()
    assert put_started.wait(10)
    time.sleep(0.2)
    patch = requests.patch(client.url(loc), data=b"late chunk", timeout=30)
    worker.join(30)
    assert results["put"].status_code == 201
    assert patch.status_code in (404, 416), (patch.status_code, patch.text)
    assert patch.json()["errors"][0]["code"] in ("BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID")
    assert client.http.get(client.url(f"/v2/lib/app/blobs/{sha256(data)}")).content == data


def test_many_racing_writes_never_answer_500(client: Client) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def fire(method: str, url: str, **kw: object) -> None:
        r = requests.request(method, url, timeout=30, **kw)   # type: ignore[arg-type]
        with lock:
            statuses.append(r.status_code)

    for round_ in range(12):
        data = os.urandom(200_000) + bytes([round_])
        url = client.url(new_upload(client))
        threads = [threading.Thread(target=fire, args=("PUT", url),
                                    kwargs={"params": {"digest": sha256(data)}, "data": data}),
                   threading.Thread(target=fire, args=("PATCH", url), kwargs={"data": data}),
                   threading.Thread(target=fire, args=("DELETE", url)),
                   threading.Thread(target=fire, args=("GET", url))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert statuses and all(s < 500 for s in statuses), statuses


# ---- 4. methods and requests the HTTP layer refuses -----------------------------------------

@pytest.mark.parametrize("raw", [
    b"FROB /v2/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"BREW /v2/lib/app/manifests/v1 HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_unknown_method_gets_a_json_unsupported(registry, raw: bytes) -> None:
    answer = exchange(registry.address, raw, timeout=5)
    status, code = json_error(answer)
    assert status in (405, 501) and code == "UNSUPPORTED"


@pytest.mark.parametrize("raw, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /v2/\r\n\r\n", 400),              # HTTP/0.9: no version, no status line back
    (b"GET /v2/ HTTP/9.9\r\nHost: x\r\n\r\n", 505),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET /v2/ HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n", 431),
])
def test_malformed_requests_get_json_errors(registry, raw: bytes, status: int) -> None:
    assert json_error(exchange(registry.address, raw, timeout=5))[0] == status


def test_internal_errors_leave_one_log_line_and_no_traceback(tmp_path: Path) -> None:
    """A real fault (the storage folder made unwritable under the server): a JSON 500 or
    507, one log line on stderr, no traceback."""
    port = free_port()
    log = tmp_path / "stderr.log"
    import sys
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "oci_conform.reference.registry", "serve",
                                 "--listen", f"127.0.0.1:{port}", "--storage",
                                 str(tmp_path / "store")], stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        client = Client(f"http://127.0.0.1:{port}")
        loc = new_upload(client)
        upload_id = loc.rsplit("/", 1)[1]
        folder = tmp_path / "store" / "uploads" / upload_id
        (folder / "data").unlink()
        (folder / "data").mkdir()          # now the data "file" cannot be opened for append
        r = client.http.patch(client.url(loc), data=b"abc")
        assert r.status_code >= 500 and r.headers["Content-Type"] == "application/json"
        assert r.json()["errors"][0]["code"]
        exchange(f"127.0.0.1:{port}", b"FROB / HTTP/1.1\r\n\r\n", timeout=5)
    finally:
        proc.terminate()
        proc.wait(10)
    text = log.read_text()
    assert "Traceback" not in text, text
    lines = [x for x in text.splitlines() if "internal error" in x or "Error" in x]
    assert len(lines) == 1, text


# ---- 5. username probing by timing -------------------------------------------------------------

def test_password_check_costs_the_same_for_unknown_users() -> None:
    users = {"alice": _apr1(b"right-password", b"saltsalt"),
             "bob": "{SHA}" + "0" * 27 + "="}
    auth = Authenticator(AuthConfig(users=users))
    import base64

    def header(user: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:wrong-password".encode()).decode()

    known, unknown = header("alice"), header("mallory")
    samples: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(41):
        for label, value in (("known", known), ("unknown", unknown)):
            # CPU time of this thread: the work done, whatever else loads the machine.
            t0 = time.thread_time()
            for _ in range(5):
                assert auth.basic_user(value) is None
            samples[label].append(time.thread_time() - t0)
    ratio = statistics.median(samples["known"]) / statistics.median(samples["unknown"])
    assert 0.8 < ratio < 1.25, f"known/unknown user CPU time ratio {ratio:.2f}"


# ---- 6. a full disk ---------------------------------------------------------------------------

@pytest.fixture()
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "small"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def test_full_disk_keeps_the_session_resumable(small_tmpfs: Path) -> None:
    with RegistryServer(RegistryConfig(small_tmpfs / "storage")) as srv:
        client = Client(srv.url)
        first, rest = os.urandom(1 << 20), os.urandom(1 << 20)
        loc = new_upload(client)
        r = client.http.patch(client.url(loc), data=first, headers={"Content-Range":
                                                                    f"0-{len(first) - 1}"})
        assert r.status_code == 202
        too_big = os.urandom(6 << 20)
        r = client.http.patch(client.url(loc), data=too_big)
        assert r.status_code == 507, (r.status_code, r.text)
        assert r.headers["Content-Type"] == "application/json"
        err = r.json()["errors"][0]
        assert "space" in err["message"] and err["detail"]["cause"] == "ENOSPC"
        assert r.headers["Range"] == f"0-{len(first) - 1}"
        status = client.http.get(client.url(loc))
        assert status.status_code == 204 and status.headers["Range"] == f"0-{len(first) - 1}", \
            status.text
        upload_id = loc.rsplit("/", 1)[1]
        on_disk = small_tmpfs / "storage" / "uploads" / upload_id / "data"
        assert on_disk.stat().st_size == len(first)
        # The client resumes where the Range says and the blob verifies.
        r = client.http.put(client.url(loc), params={"digest": sha256(first + rest)}, data=rest,
                            headers={"Content-Range": f"{len(first)}-{len(first + rest) - 1}"})
        assert r.status_code == 201, r.text
        got = client.http.get(client.url(f"/v2/lib/app/blobs/{sha256(first + rest)}"))
        assert got.content == first + rest
        # A manifest push on a full disk gets a JSON 507 too, and nothing half-written.
        filler = small_tmpfs / "filler"
        with open(filler, "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [],
                           "annotations": {"pad": "x" * 200_000}}).encode()
        r = client.put_manifest("lib/app", "full", body, media_type=OCI_INDEX)
        assert r.status_code == 507 and r.json()["errors"][0]["detail"]["cause"] == "ENOSPC"
        filler.unlink()
        assert client.http.get(client.url("/v2/lib/app/manifests/full")).status_code == 404


# ---- numbers in headers ------------------------------------------------------------------------

def test_huge_numbers_in_range_headers_are_no_500(client: Client) -> None:
    digest = client.push_blob("lib/app", b"0123456789")
    url = client.url(f"/v2/lib/app/blobs/{digest}")
    huge = "9" * 5000
    assert client.http.get(url, headers={"Range": f"bytes=2-{huge}"}).content == b"23456789"
    assert client.http.get(url, headers={"Range": f"bytes={huge}-"}).status_code == 416
    loc = new_upload(client)
    r = client.http.patch(client.url(loc), data=b"x", headers={"Content-Range": f"0-{huge}"})
    assert r.status_code == 416 and r.json()["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
    assert client.http.get(client.url(loc)).headers["Range"] == "0-0"


# ---- peers that hold connections ---------------------------------------------------------------

def test_connections_over_the_limit_get_429_and_slots_come_back(tmp_path: Path) -> None:
    config = RegistryConfig(tmp_path / "s", limits=Limits(max_connections=3))
    with RegistryServer(config) as srv:
        host, port = srv.address.split(":")
        idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(3)]
        try:
            time.sleep(0.3)
            r = requests.get(f"{srv.url}/v2/", timeout=10)
            assert r.status_code == 429 and r.headers["Retry-After"] == "1"
            assert r.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
        finally:
            for sock in idle:
                sock.close()
        deadline = time.monotonic() + 10
        while requests.get(f"{srv.url}/v2/", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "slots were not given back"
            time.sleep(0.1)


def test_headers_dripped_byte_by_byte_are_cut_off(tmp_path: Path) -> None:
    limits = Limits(idle_seconds=2.0, header_seconds=1.0)
    with RegistryServer(RegistryConfig(tmp_path / "s", limits=limits)) as srv:
        host, port = srv.address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /v2/ HTTP/1.1\r\n")
            try:
                while time.monotonic() - started < 15:
                    sock.sendall(b"X")          # each byte well inside the idle wait
                    time.sleep(0.5)
            except (BrokenPipeError, ConnectionResetError):
                pass
            held = time.monotonic() - started
    assert held < 6, f"a header drip held the connection {held:.1f} s"


def test_a_dripping_body_is_cut_off_and_the_session_kept(tmp_path: Path) -> None:
    limits = Limits(body_grace_seconds=1.0, min_body_rate=1000)
    with RegistryServer(RegistryConfig(tmp_path / "s", limits=limits)) as srv:
        client = Client(srv.url)
        loc = new_upload(client)
        host, port = srv.address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                         .encode())
            started, answer = time.monotonic(), b""
            sock.settimeout(0.2)
            while time.monotonic() - started < 15 and b"\r\n\r\n" not in answer:
                try:
                    sock.sendall(b"d" * 10)
                    answer += sock.recv(65536)
                except TimeoutError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
            held = time.monotonic() - started
            sock.settimeout(5)
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):     # the rest of the answer, to the close
                    answer += chunk
        assert answer.startswith(b"HTTP/1.1 400") and b"slower" in answer, answer[:300]
        assert held < 6
        assert client.http.get(client.url(loc)).headers["Range"] == "0-0"


def test_open_upload_sessions_are_bounded(tmp_path: Path) -> None:
    with RegistryServer(RegistryConfig(tmp_path / "s", limits=Limits(max_open_uploads=3))) as srv:
        client = Client(srv.url)
        sessions = [new_upload(client) for _ in range(3)]
        r = client.http.post(client.url("/v2/lib/app/blobs/uploads/"))
        assert r.status_code == 429 and r.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
        assert client.http.delete(client.url(sessions[0])).status_code == 204
        new_upload(client)


def test_manifest_pushes_wait_for_a_parsing_slot(tmp_path: Path) -> None:
    """One slot: a push whose body is still arriving holds it; another push that cannot
    get it in time is a 429, and succeeds once the first is done."""
    limits = Limits(manifest_slots=1, manifest_wait_seconds=0.5)
    with RegistryServer(RegistryConfig(tmp_path / "s", limits=limits)) as srv:
        client = Client(srv.url)
        body = client.image("lib/app")
        host, port = srv.address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall((f"PUT /v2/lib/app/manifests/slow HTTP/1.1\r\nHost: x\r\n"
                          f"Content-Type: {OCI_MANIFEST}\r\nContent-Length: {len(body)}\r\n\r\n")
                         .encode() + body[:10])
            time.sleep(0.3)
            r = client.put_manifest("lib/app", "fast", body)
            assert r.status_code == 429 and r.headers["Retry-After"] == "1"
            slow.sendall(body[10:])
            slow.settimeout(10)
            assert slow.recv(65536).startswith(b"HTTP/1.1 201")
        assert client.put_manifest("lib/app", "fast", body).status_code == 201
