"""Hostile HTTP requests to the reference registry (``oci-conform-registry serve``).

The server runs as its own process on a free loopback port with temp storage, seeded with
one pushed image so requests reach deep code. An input is a JSON script: raw request bytes
sent in a few steps with short pauses (a slow sender, bounded to about a second), and
whether the request is complete (so a missing answer is a hang, not a wait for bytes the
script never sends). After each input a health probe must answer within the time limit.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from typing import Any

from fuzzlib import bytemut, jsonmut
from fuzzlib.pool import env_for, peak_rss_kb
from fuzzlib.record import Outcome, Problem
from fuzzlib.targets import Target

REPO_NAME = "fuzz/app"
LAYER = b"fuzz layer bytes\n" * 10
CONFIG = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
UPLOAD = "{UPLOAD}"
# RFC 9110: a method the server does not know gets 501; that 5xx is the right answer
KNOWN_METHODS = {b"GET", b"HEAD", b"PUT", b"POST", b"PATCH", b"DELETE", b"OPTIONS",
                 b"TRACE", b"CONNECT"}


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def seed_manifest() -> bytes:
    return json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(CONFIG), "size": len(CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha(LAYER), "size": len(LAYER)}]}).encode()


METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"] * 4 + [
    "OPTIONS", "TRACE", "CONNECT", "get", "FOO", "", "G ET", "GET\x00", "PROPFIND"]
NAMES = [REPO_NAME] * 6 + ["fuzz/new", "", "A", "a" * 300, "../..", "fuzz/../etc", "%2e%2e",
                           "fuzz//app", "fuzz/app/", "fuzz/\u00e9", "fuzz/a\x00b", "-a",
                           "a" * 5000, "fuzz/app/blobs/uploads", "v2", ".", "a/" * 200 + "b"]


def _refs() -> list[str]:
    return ["latest"] * 3 + [sha(seed_manifest())] * 3 + [
        "sha256:" + "0" * 64, "sha256:bad", "sha512:" + "0" * 128, "sha256:" + "A" * 64,
        "LATEST", "a" * 129, "-x", "..", "%2e%2e", "x:y", "sha256:", ":", "latest\x00",
        "md5:" + "0" * 32, "sha256:" + "0" * 63]


def _digests() -> list[str]:
    return [sha(LAYER), sha(CONFIG), sha(LAYER)] + _refs()[3:]


def _query(rng: random.Random) -> str:
    pairs = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        key = rng.choice(["digest", "mount", "from", "digest-algorithm", "tag", "n", "last",
                          "artifactType", "scope", "service", "x"])
        value = rng.choice(_digests() + ["", "-1", "0", "99999999999999999999", "x",
                                         "sha512", "sha256", "blake3", REPO_NAME, "a" * 3000,
                                         "%zz", "%00", "\u00e9"])
        pairs.append(f"{key}={value}")
    if rng.random() < 0.03:
        pairs += [f"tag=t{i}" for i in range(rng.choice([33, 500]))]
    return ("?" + "&".join(pairs)) if pairs else ""


def _path(rng: random.Random) -> str:
    name, ref, digest = rng.choice(NAMES), rng.choice(_refs()), rng.choice(_digests())
    templates = [f"/v2/{name}/manifests/{ref}"] * 4 + [f"/v2/{name}/blobs/{digest}"] * 3 + [
        f"/v2/{name}/blobs/uploads/", f"/v2/{name}/blobs/uploads/{UPLOAD}",
        f"/v2/{name}/blobs/uploads/{UPLOAD}", f"/v2/{name}/blobs/uploads/{ref}",
        f"/v2/{name}/tags/list", f"/v2/{name}/referrers/{digest}", "/v2/", "/v2", "/token",
        "/", "*", "http://127.0.0.1/v2/", "/v2/../../etc/passwd", "//v2//", "/v2/" + "x" * 9000,
        f"/v2/{name}/manifests/", f"/v2/{name}/blobs/", "/v2/%2e%2e/%2e%2e/x"]
    return rng.choice(templates) + _query(rng)


def _body(rng: random.Random, path: str) -> bytes:
    if "/manifests/" in path and rng.random() < 0.8:
        return jsonmut.mutate_json(rng, seed_manifest()) if rng.random() < 0.8 \
            else seed_manifest()
    roll = rng.randrange(5)
    if roll == 0:
        return b""
    if roll == 1:
        return LAYER
    if roll == 2:
        return bytemut.mutate(rng, LAYER)
    if roll == 3:
        return rng.randbytes(rng.choice([1, 100, 5000, 70000]))
    return b"\0" * rng.choice([1 << 16, 1 << 20])


def _headers(rng: random.Random, path: str, body: bytes) -> tuple[list[str], bytes, bool]:
    """(header lines, body as sent, complete?) with lies about the length on purpose."""
    lines = ["Host: 127.0.0.1"] if rng.random() < 0.95 else rng.choice(
        [[], ["Host: " + "h" * 5000], ["Host: a", "Host: b"], ["Host: \u00e9vil:99999"]])
    if rng.random() < 0.6:
        lines.append("Content-Type: " + rng.choice(jsonmut.INTERESTING_STRINGS[10:17] + [
            "application/vnd.oci.image.index.v1+json", "", "x" * 2000, "application/json"]))
    for name, values in (("Range", ["bytes=0-3", "bytes=-5", "bytes=5-", "bytes=9-1",
                                    "bytes=0-0,2-3", "bytes=-0", "bytes=99999999999999999999-"]),
                         ("Content-Range", ["0-10", "bytes 0-10", "5-1", "0-0", "x",
                                            "0-99999999999999999999", "-1-2"]),
                         ("Authorization", ["Basic " + "A" * 3000, "Bearer x.y.z", "Basic Og==",
                                            "Basic !!!", "Bearer", "Digest a=b"]),
                         ("Accept", ["*/*", "application/vnd.oci.image.index.v1+json", ""])):
        if rng.random() < 0.08:
            lines.append(f"{name}: {rng.choice(values)}")
    complete = True
    mode = rng.randrange(10)
    if mode < 6:
        lines.append(f"Content-Length: {len(body)}")
    elif mode == 6:                                     # chunked, maybe badly framed
        lines.append("Transfer-Encoding: chunked")
        step = rng.choice([1, 7, 4096])
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + step]), body[i:i + step])
                          for i in range(0, len(body), step)) + b"0\r\n\r\n"
        if rng.random() < 0.3:
            chunks = bytemut.mutate(rng, chunks)
            complete = False
        body = chunks
    elif mode == 7:                                     # claims more than it sends
        lines.append(f"Content-Length: {len(body) + rng.choice([1, 1000, 2 ** 40])}")
        complete = False
    elif mode == 8:
        lines.append("Content-Length: " + rng.choice(["-1", "abc", "1e3", "", "0x10",
                                                       "99999999999999999999999", "5, 5"]))
        complete = False
    else:                                               # claims less: the rest is a next request
        lines.append(f"Content-Length: {max(len(body) - rng.choice([1, 10]), 0)}")
        complete = False
    if rng.random() < 0.02:
        lines += [f"X-Pad-{i}: {'v' * 100}" for i in range(rng.choice([100, 2000]))]
    return lines, body, complete


def generate(rng: random.Random) -> bytes:
    method = rng.choice(METHODS)
    path = _path(rng)
    body = _body(rng, path) if method in ("PUT", "POST", "PATCH") or rng.random() < 0.1 else b""
    lines, body, complete = _headers(rng, path, body)
    version = "HTTP/1.1" if rng.random() < 0.95 else rng.choice(["HTTP/1.0", "HTTP/2.0", "",
                                                                 "HTTP/9", "FOO"])
    head = f"{method} {path} {version}".rstrip() + "\r\n" + "".join(h + "\r\n" for h in lines)
    raw = head.encode("utf-8", "surrogatepass") + b"\r\n" + body
    if rng.random() < 0.05:
        raw = bytemut.mutate(rng, raw)
        complete = False
    steps = [raw]
    if rng.random() < 0.05:                               # a slow sender
        cuts = sorted(rng.randrange(len(raw) + 1) for _ in range(rng.choice([1, 3])))
        steps = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    pause = jsonmut.big(rng, [0.0, 0.01], [0.05, 0.3]) if len(steps) > 1 else 0.0
    script = {"steps": [base64.b64encode(s).decode() for s in steps], "pause": pause,
              "complete": complete and method in ("GET", "HEAD", "PUT", "POST", "PATCH",
                                                  "DELETE") and "Host:" in head}
    return json.dumps(script).encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exchange(port: int, raw: bytes, deadline: float) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=deadline) as s:
        s.sendall(raw)
        return _read_answer(s, deadline)


HEAD_END = b"\r\n\r\n"
NO_BODY = (b" 204", b" 304")


def _framed_answer(s: socket.socket, seconds: float, head_request: bool
                   ) -> tuple[bytes, bool]:
    """(one whole answer, may the connection carry another?) on a kept-alive connection.

    Bounded by ``seconds``; an answer we cannot frame (no length, chunked, cut short)
    ends the connection's reuse and is read to its close or the deadline."""
    end = time.monotonic() + seconds
    got = b""
    while True:
        head, sep, rest = got.partition(HEAD_END)
        if sep:
            status_line = head.split(b"\r\n", 1)[0]
            lower = head.lower()
            reusable = status_line.startswith(b"HTTP/1.1") and b"connection: close" not in lower
            if head_request or any(status_line[8:].startswith(c) for c in NO_BODY):
                return head + sep, reusable
            m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)\s*(?:\r\n|$)", head + b"\r\n")
            if m and b"transfer-encoding" not in lower:
                if len(rest) >= int(m.group(1)):
                    return got, reusable and len(rest) == int(m.group(1))
            elif not m:
                reusable = False                  # framed by the close: read to it
        left = end - time.monotonic()
        if left <= 0:
            return got, False
        s.settimeout(max(left, 0.01))
        try:
            chunk = s.recv(1 << 16)
        except OSError:
            return got, False
        if not chunk:
            return got, False
        got += chunk


def _salvage(s: socket.socket) -> bytes:
    """What the server sent before it closed on us (an early answer to a body it refused)."""
    try:
        s.settimeout(0.2)
        return s.recv(1 << 16)
    except OSError:
        return b""


def _read_answer(s: socket.socket, seconds: float) -> bytes:
    """Bytes of the first answer: headers plus its Content-Length, or up to close/time-out."""
    end = time.monotonic() + seconds
    got = b""
    while time.monotonic() < end:
        s.settimeout(max(end - time.monotonic(), 0.01))
        try:
            chunk = s.recv(1 << 16)
        except TimeoutError:
            break
        except OSError:
            break
        if not chunk:
            break
        got += chunk
        head, sep, rest = got.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if m and len(rest) >= int(m.group(1)):
                break
            if got.startswith(b"HTTP/") and b" 1" in head[:13]:
                continue
    return got


def _head(script: dict[str, Any]) -> bytes:
    try:
        raw = b"".join(base64.b64decode(s) for s in script["steps"])
    except (ValueError, KeyError, TypeError):
        return b""
    return raw.split(b"\r\n\r\n", 1)[0]


def _odd_coding(script: dict[str, Any]) -> bool:
    """A Transfer-Encoding other than chunked: RFC 9112 says 501 is the answer to a transfer
    coding the server does not understand."""
    codings = re.findall(rb"(?im)^transfer-encoding:[ \t]*(.*?)[ \t]*$", _head(script))
    return any(c.lower() != b"chunked" for c in codings)


def _odd_version(script: dict[str, Any]) -> bool:
    """The request line names an HTTP version other than 1.0 and 1.1 (505 is the answer)."""
    try:
        line = base64.b64decode(script["steps"][0]).split(b"\r\n", 1)[0]
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return not line.endswith((b" HTTP/1.1", b" HTTP/1.0"))


class RegistryDriver:
    """One reference registry process for the whole target."""

    def __init__(self, settings: Any, box: Any):
        self.settings, self.box = settings, box
        self.log_path = box.root / "registry.log"
        self.extra: dict[str, Any] = {"status_counts": {}}
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak = 0
        self.start()

    def start(self) -> None:
        self.port = _free_port()
        storage = self.box.root / "registry-storage"
        storage.mkdir(exist_ok=True)
        log = open(self.log_path, "ab")
        nice = self.settings.nice
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fuzzlib.registry_host", "serve", "--listen",
             f"127.0.0.1:{self.port}", "--storage", str(storage), "--profile", "dev"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env_for(self.box.root),
            start_new_session=True, preexec_fn=(lambda: os.nice(nice)) if nice else None)
        log.close()
        self.log_offset = 0
        for _ in range(400):
            if self._healthy(0.5):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"reference registry did not start; see {self.log_path}")
        self._seed()
        self.log_offset = self.log_path.stat().st_size
        self.conn: socket.socket | None = None        # kept alive for well-framed requests
        self.probe: socket.socket | None = None       # kept alive for the health probe

    def _request(self, method: str, path: str, body: bytes = b"",
                 ctype: str = "application/octet-stream") -> bytes:
        raw = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        return _exchange(self.port, raw, 10.0)

    def _seed(self) -> None:
        for blob in (LAYER, CONFIG):
            self._request("POST", f"/v2/{REPO_NAME}/blobs/uploads/?digest={sha(blob)}", blob)
        self._request("PUT", f"/v2/{REPO_NAME}/manifests/latest", seed_manifest(),
                      "application/vnd.oci.image.manifest.v1+json")

    def _healthy(self, seconds: float) -> bool:
        """GET /v2/ answers 200 within ``seconds`` (on a kept-alive connection when it can:
        a new one each time would cost more than most inputs)."""
        probe = b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        for _attempt in range(2):
            try:
                if getattr(self, "probe", None) is None:
                    self.probe = socket.create_connection(("127.0.0.1", self.port),
                                                          timeout=seconds)
                assert self.probe is not None
                self.probe.sendall(probe)
                got, reusable = _framed_answer(self.probe, seconds, False)
            except OSError:
                got, reusable = b"", False
            if not reusable:
                self._drop("probe")
            if got:
                return got.startswith(b"HTTP/1.1 200") or got.startswith(b"HTTP/1.0 200")
        return False

    def _drop(self, name: str) -> None:
        sock = getattr(self, name, None)
        if sock is not None:
            sock.close()
        setattr(self, name, None)

    def _upload_path(self) -> str:
        got = self._request("POST", f"/v2/{REPO_NAME}/blobs/uploads/")
        m = re.search(rb"(?i)\r\nlocation:\s*(\S+)", got)
        return m.group(1).decode().rsplit("/", 1)[-1] if m else "none"

    def restart(self) -> None:
        self.close()
        self.start()

    def run(self, target: Target, data: bytes, full: bool = True) -> Outcome:
        try:
            script = json.loads(data)
            steps = [base64.b64decode(s) for s in script["steps"]]
        except (ValueError, KeyError, TypeError):
            return Outcome([], "bad-script")
        if any(UPLOAD.encode() in s for s in steps):
            upload = self._upload_path().encode()
            steps = [s.replace(UPLOAD.encode(), upload) for s in steps]
        started = time.perf_counter()
        if script.get("complete") and len(steps) == 1 and b" HTTP/1.1\r\n" in steps[0][:9000]:
            answer, closed = self._on_kept_alive(steps[0])
            self.extra["kept_alive"] = self.extra.get("kept_alive", 0) + 1
        else:
            answer, closed = self._on_own_connection(script, steps)
        elapsed = time.perf_counter() - started
        return self._judge(script, answer, elapsed, closed, steps[0][:16])

    def _on_kept_alive(self, raw: bytes) -> tuple[bytes, bool]:
        """A well-framed request on the kept-alive connection (a new one if it was closed)."""
        limit = self.settings.time_limit
        head_request = raw.startswith(b"HEAD ")
        for attempt in range(2):
            sent = False
            try:
                if self.conn is None:
                    self.conn = socket.create_connection(("127.0.0.1", self.port),
                                                         timeout=limit)
                self.conn.sendall(raw)
                sent = True
                answer, reusable = _framed_answer(self.conn, limit, head_request)
            except OSError:
                answer, reusable = b"", False
            if not sent and self.conn is not None:     # hung up while we sent: an early
                answer = _salvage(self.conn)            # answer may still be readable
            if not reusable:
                self._drop("conn")
            if answer or attempt:       # the first try may meet a connection the server
                return answer, not sent  # closed while idle; a fresh one must answer
        return b"", False

    def _on_own_connection(self, script: dict[str, Any], steps: list[bytes]
                           ) -> tuple[bytes, bool]:
        """A request with hostile framing, maybe sent slowly, on a connection of its own.

        When the script is not a complete request we close our sending side once it is out:
        the server sees the end at once instead of waiting out its idle timeout."""
        limit = self.settings.time_limit
        answer, closed = b"", False
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=limit) as s:
                try:
                    for i, step in enumerate(steps):
                        if i and script.get("pause"):
                            time.sleep(min(float(script["pause"]), 0.5))
                        s.sendall(step)
                    if not script.get("complete"):
                        s.shutdown(socket.SHUT_WR)
                except OSError:
                    closed = True       # the server answered early and hung up: no hang
                answer, _ = _framed_answer(s, limit, steps[0].startswith(b"HEAD "))
        except OSError:
            closed = True
        return answer, closed

    def _judge(self, script: dict[str, Any], answer: bytes, elapsed: float, closed: bool,
               start: bytes) -> Outcome:
        problems = []
        status = answer[9:12].decode("ascii", "replace") if answer.startswith(b"HTTP/") else ""
        if answer and not status:
            status = "no-status-line"        # an HTTP/0.9-style answer to a bad request line
        counts = self.extra["status_counts"]
        counts[status or "none"] = counts.get(status or "none", 0) + 1
        unknown_method = start.split(b" ", 1)[0] not in KNOWN_METHODS
        if status.startswith("5") and not (status == "501" and unknown_method) \
                and not (status == "501" and _odd_coding(script)) \
                and not (status == "505" and _odd_version(script)):
            first = answer.split(b"\r\n\r\n", 1)[-1][:200].decode("utf-8", "replace")
            problems.append(Problem("5xx", f"answered {status}: {first}"))
        elif not status and script.get("complete") and not closed:
            problems.append(Problem("hang", "no answer to a complete request within "
                                            f"{self.settings.time_limit:g} s"))
        problems += self._log_problems()
        assert self.proc is not None
        if self.proc.poll() is not None:
            problems.append(Problem("crash", f"server exited with {self.proc.returncode}"))
            self.restart()
        elif not self._healthy(self.settings.time_limit):
            problems.append(Problem("hang", "server stopped answering its health probe"))
            self.restart()
        self.peak = max(self.peak, peak_rss_kb(self.proc.pid))
        return Outcome(problems, status or "none", elapsed, self.peak)

    def _log_problems(self) -> list[Problem]:
        """Tracebacks the server wrote since the last input (attributed to this one)."""
        if os.stat(self.log_path).st_size <= self.log_offset:
            return []
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset)
            text = f.read().decode("utf-8", "replace")
            self.log_offset = f.tell()
        if "Traceback (most recent call last)" not in text:
            return []
        from fuzzlib.campaign import frame_of, project_frame_of
        block = text[text.rfind("Traceback (most recent call last)"):]
        last = block.strip().splitlines()[-1][:300]
        return [Problem("crash", f"server traceback: {last}", frame_of(block),
                        project_frame_of(block), block)]

    def close(self) -> None:
        self._drop("conn")
        self._drop("probe")
        if self.proc is None:
            return
        self.peak = max(self.peak, peak_rss_kb(self.proc.pid))
        self.extra["peak_server_rss_mib"] = round(self.peak / 1024, 1)
        try:
            threads = len(os.listdir(f"/proc/{self.proc.pid}/task"))
            self.extra["server_threads_at_end"] = threads
        except OSError:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        self.proc = None


TARGET = Target("registry-http", "registry",
                "raw HTTP requests to oci-conform-registry serve (methods, paths, names, "
                "digests, headers, bodies, length lies, chunked, slow senders)", generate)
