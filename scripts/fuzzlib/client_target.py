"""Hostile registry answers to the project's registry client (a scripted loopback responder).

Two listeners in this process: origin A plays the registry, origin B is "another origin"
(redirect targets, token realms). A serves a small valid image so the client goes deep,
then misbehaves per the input's script: odd statuses, redirects across origins, auth
challenges with realms elsewhere, length lies, bad chunking, wrong digests and types,
mutated manifests, dripping bodies (bounded to a few seconds), early hang-ups.

The client runs as ``oci-conform image validate docker://A/fuzz/app:latest`` or, for one
input in four, ``oci-conform registry test A --read-only --username ... --password-stdin``
(the pull group) so credentials are in play. A leak is origin B receiving the password
or the token A issues, or either showing in the command's output.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fuzzlib import bytemut, jsonmut
from fuzzlib.record import Outcome, Problem
from fuzzlib.targets import Job, Target, _pick

USER, PASSWORD = "fuzzuser", "FUZZ-PW-3b9e51c0"
TOKEN = "FUZZ-TOKEN-77aa"
LAYER_TAR = gzip.compress(b"\0" * 1024, mtime=0)
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
    "type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(b"\0" * 1024).hexdigest()]}}
                    ).encode()
CLASSES = ("ping", "manifest", "blob", "token", "tags", "referrers", "upload", "other")


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest() -> bytes:
    return json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(CONFIG), "size": len(CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha(LAYER_TAR), "size": len(LAYER_TAR)}]}).encode()


def classify(path: str) -> str:
    if path.startswith("/token"):
        return "token"
    if path.rstrip("/") == "/v2":
        return "ping"
    for part, name in (("/manifests/", "manifest"), ("/blobs/uploads", "upload"),
                       ("/blobs/", "blob"), ("/tags/list", "tags"), ("/referrers/", "referrers")):
        if part in path:
            return name
    return "other"


def misbehaviour(rng: random.Random) -> dict[str, Any]:
    """One scripted fault for one class of request."""
    roll = rng.randrange(16)
    if roll == 0:
        return {"status": rng.choice([500, 502, 503, 404, 400, 418, 204, 206, 299, 999])}
    if roll == 1:
        return {"redirect": rng.choice(["B", "A", "loop", "closed", "file", "userinfo"])}
    if roll == 2:
        return {"challenge": rng.choice(["realm-B", "basic", "garbage", "huge", "realm-file",
                                         "no-realm", "realm-A"])}
    if roll == 3:
        return {"length": rng.choice(["more", "less", "absent", "garbage", "huge"])}
    if roll == 4:
        return {"chunked": rng.choice(["good", "bad"])}
    if roll == 5:
        return {"digest_header": rng.choice(["wrong", "garbage", "sha512"])}
    if roll == 6:
        return {"content_type": rng.choice(["", "text/html", "application/json",
                                            "application/vnd.oci.image.index.v1+json",
                                            "x" * 3000])}
    if roll == 7:
        return {"body": "mutate", "seed": rng.randrange(1 << 30)}
    if roll == 8:
        return {"body": "bytes", "seed": rng.randrange(1 << 30)}
    if roll == 9:
        return {"drip": rng.choice([0.05, 0.2])}
    if roll == 10:
        return {"hangup": rng.choice(["before", "headers", "mid-body"])}
    if roll == 11:
        return {"encoding": rng.choice(["gzip", "br", "deflate"])}
    if roll == 12:
        return {"stall": rng.choice([0.5, 2.0])}
    if roll == 13:
        return {"headers": rng.choice(["many", "long", "dup-length", "bad-location"])}
    if roll == 14:
        return {"body": "bomb"}
    return {}


def generate(rng: random.Random) -> bytes:
    faults = {}
    for _ in range(rng.choice([1, 1, 2, 3])):
        faults[rng.choice(CLASSES[:6])] = misbehaviour(rng)
    auth = rng.random() < 0.3
    return json.dumps({"faults": faults, "auth": auth, "once": rng.random() < 0.3}).encode()


class _State:
    def __init__(self) -> None:
        self.script: dict[str, Any] = {}
        self.seen_b: list[str] = []             # Authorization headers that reached B
        self.issued: set[str] = set()
        self.used: set[str] = set()
        self.lock = threading.Lock()
        self.ports: dict[str, int] = {}


def _handler(state: _State, origin: str) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 15

        def log_message(self, *_a: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if 0 < length < (1 << 20):
                self.rfile.read(length)
            auth = self.headers.get("Authorization") or ""
            if origin == "B":
                if auth:
                    with state.lock:
                        state.seen_b.append(auth[:200])
                self._plain(404, b"{}")
                return
            try:
                self._answer(auth)
            except (BrokenPipeError, ConnectionError):
                pass

        def _plain(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()
                   ) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _answer(self, auth: str) -> None:
            script = state.script
            kind = classify(self.path)
            if kind == "token":
                self._plain(200, json.dumps({"token": TOKEN, "access_token": TOKEN}).encode(),
                            [("Content-Type", "application/json")])
                return
            if script.get("auth") and kind != "ping" and not auth:
                self._plain(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                            [("WWW-Authenticate", 'Basic realm="fuzz"')])
                return
            fault = dict(script.get("faults", {}).get(kind, {}))
            if fault and script.get("once"):
                with state.lock:
                    script.setdefault("spent", []).append(kind)
                    if script["spent"].count(kind) > 1:
                        fault = {}
            status, headers, body = self._normal(kind)
            self._apply(fault, status, headers, body)

        def _normal(self, kind: str) -> tuple[int, list[tuple[str, str]], bytes]:
            if kind == "ping":
                return 200, [("Content-Type", "application/json")], b"{}"
            if kind == "manifest":
                m = manifest()
                return 200, [("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                             ("Docker-Content-Digest", sha(m))], m
            if kind == "blob":
                data = CONFIG if sha(CONFIG) in self.path else LAYER_TAR
                return 200, [("Content-Type", "application/octet-stream"),
                             ("Docker-Content-Digest", sha(data))], data
            if kind == "tags":
                return 200, [("Content-Type", "application/json")], \
                    json.dumps({"name": "fuzz/app", "tags": ["latest"]}).encode()
            if kind == "referrers":
                return 200, [("Content-Type", "application/vnd.oci.image.index.v1+json")], \
                    json.dumps({"schemaVersion": 2, "manifests": []}).encode()
            return 404, [("Content-Type", "application/json")], \
                b'{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}'

        def _apply(self, f: dict[str, Any], status: int, headers: list[tuple[str, str]],
                   body: bytes) -> None:
            a, b = state.ports["A"], state.ports["B"]
            if "stall" in f:
                time.sleep(f["stall"])
            if f.get("hangup") == "before":
                self.close_connection = True
                return
            if "status" in f:
                status = f["status"]
            if "redirect" in f:
                where = {"B": f"http://127.0.0.1:{b}{self.path}",
                         "A": f"http://127.0.0.1:{a}{self.path}", "loop": self.path,
                         "closed": "http://127.0.0.1:9/x", "file": "file:///etc/passwd",
                         "userinfo": f"http://u:p@127.0.0.1:{b}{self.path}"}[f["redirect"]]
                status, body = 307, b""
                headers = [("Location", where)]
            if "challenge" in f:
                realm = {"realm-B": f'Bearer realm="http://127.0.0.1:{b}/token",service="x"',
                         "realm-A": f'Bearer realm="http://127.0.0.1:{a}/token",service="x"',
                         "basic": 'Basic realm="fuzz"', "garbage": 'Bearer realm=,,,"=',
                         "huge": "Bearer realm=\"" + "x" * 20000 + "\"",
                         "realm-file": 'Bearer realm="file:///etc/passwd"',
                         "no-realm": "Bearer service=x"}[f["challenge"]]
                status, headers, body = 401, [("WWW-Authenticate", realm)], b"{}"
            if f.get("digest_header"):
                headers = [(k, v) for k, v in headers if k != "Docker-Content-Digest"]
                headers.append(("Docker-Content-Digest", {"wrong": sha(body + b"x"),
                                                          "garbage": "sha256:zz",
                                                          "sha512": "sha512:" + "0" * 128}[
                    f["digest_header"]]))
            if "content_type" in f:
                headers = [(k, v) for k, v in headers if k != "Content-Type"]
                headers.append(("Content-Type", f["content_type"]))
            if f.get("body") == "mutate":
                body = jsonmut.mutate_json(random.Random(f["seed"]), body or b"{}")
            elif f.get("body") == "bytes":
                body = bytemut.mutate(random.Random(f["seed"]), body)
            elif f.get("body") == "bomb":
                from fuzzlib.images import bomb
                body = bomb("gzip", 64 << 20)
            if f.get("encoding"):
                headers.append(("Content-Encoding", f["encoding"]))
                if f["encoding"] == "gzip":
                    body = gzip.compress(body, mtime=0)
            if f.get("headers") == "many":
                headers += [(f"X-F{i}", "v") for i in range(300)]
            elif f.get("headers") == "long":
                headers.append(("X-Long", "v" * 70000))
            elif f.get("headers") == "bad-location":
                headers.append(("Location", "http://[::1"))
            self._send(status, headers, body, f)

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes,
                  f: dict[str, Any]) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            length = {"more": len(body) + 100, "less": max(len(body) - 5, 0),
                      "huge": 10 << 30, "garbage": "12abc"}.get(f.get("length", ""), len(body))
            if "chunked" in f:
                self.send_header("Transfer-Encoding", "chunked")
            elif f.get("length") != "absent":
                self.send_header("Content-Length", str(length))
            if f.get("headers") == "dup-length":
                self.send_header("Content-Length", "1")
            if f.get("length") in ("more", "huge", "absent") or f.get("hangup"):
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if f.get("hangup") == "headers" or self.command == "HEAD":
                return
            if "chunked" in f:
                body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
                if f["chunked"] == "bad":
                    body = b"zz\r\n" + body
            if f.get("hangup") == "mid-body":
                body = body[: len(body) // 2]
            if "drip" in f:
                for i in range(0, min(len(body), 4096), 256):   # bounded: at most 16 pauses
                    self.wfile.write(body[i:i + 256])
                    self.wfile.flush()
                    time.sleep(f["drip"])
                body = body[4096:]
            self.wfile.write(body)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    return H


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """The client hanging up on a scripted fault is expected: no traceback noise."""


class ClientDriver:
    """The two listeners for the whole target, and the CLI worker that plays the client."""

    def __init__(self, settings: Any, box: Any):
        from fuzzlib.campaign import CliDriver
        self.state = _State()
        self.servers = []
        for origin in ("A", "B"):
            srv = _Server(("127.0.0.1", 0), _handler(self.state, origin))
            self.state.ports[origin] = srv.server_address[1]
            threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
            self.servers.append(srv)
        self.cli = CliDriver(settings, box)
        self.cli.runner.cpu_aware = False       # deadlines are wall-clock: judge by it
        self.cli.markers = (PASSWORD, TOKEN)
        self.box = box
        self.settings = settings
        self.extra: dict[str, Any] = {}

    def restart(self) -> None:
        self.cli.restart()

    def run(self, target: Target, data: bytes, full: bool = True) -> Outcome:
        try:
            script = json.loads(data)
        except ValueError:
            return Outcome([], "bad-script")
        with self.state.lock:
            self.state.script = script
            self.state.seen_b.clear()
        runner = self.cli.runner
        runner.time_limit = self.settings.time_limit + (
            0.0 if self._runs_suite(data) else scripted_delay(script))
        try:
            outcome = self.cli.run(Target(target.name, "cli", "", target.generate, self._job),
                                   data)
        finally:
            runner.time_limit = self.settings.time_limit
        with self.state.lock:
            seen = list(self.state.seen_b)
        secret_b = [h for h in seen if PASSWORD in _decode(h) or TOKEN in h]
        if secret_b:
            outcome.problems.append(Problem("leak", "credentials sent to another origin: "
                                                    f"{secret_b[0][:60]}..."))
        return outcome

    @staticmethod
    def _runs_suite(data: bytes) -> bool:
        return _pick(data, 4, 3) == 0

    def _job(self, data: bytes, folder: Path) -> Job:
        a = self.state.ports["A"]
        if self._runs_suite(data):
            pw = folder / "password"
            pw.write_text(PASSWORD + "\n")
            # the suite makes a hundred requests, each maybe stalled by the script: its own
            # run deadline, below the campaign's limit, must end it (else it is a hang)
            deadline = max(self.settings.time_limit - SUITE_SLACK, 1.0)
            return Job(["registry", "test", f"http://127.0.0.1:{a}", "--read-only",
                        "--namespace", "fuzz/app", "--username", USER, "--password-stdin",
                        "--group", "pull", "--format", "json", "--deadline", f"{deadline:g}",
                        "--request-timeout", f"{min(deadline, 2.0):g}"], pw)
        return Job(["image", "validate", f"docker://127.0.0.1:{a}/fuzz/app:latest"])

    def close(self) -> None:
        self.cli.close()
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()


SUITE_SLACK = 2.5      # seconds the suite may take past its own --deadline (start, report)
BLOB_REQUESTS = 2      # image validate reads two blobs (config, layer): a blob fault twice


def scripted_delay(script: dict[str, Any]) -> float:
    """The most time the script's own stalls and drips can add to ``image validate``
    (which has no run deadline of its own): the campaign's limit is on top of it, so a
    hang is time the client spends beyond what the peer made it wait."""
    total = 0.0
    for kind, fault in dict(script.get("faults") or {}).items():
        if not isinstance(fault, dict):
            continue
        each = float(fault.get("stall") or 0) + 16 * float(fault.get("drip") or 0)
        total += each * (BLOB_REQUESTS if kind == "blob" else 1)
    return total


def _decode(header: str) -> str:
    kind, _, value = header.partition(" ")
    if kind.lower() == "basic":
        try:
            return base64.b64decode(value + "==").decode("utf-8", "replace")
        except ValueError:
            return ""
    return header


TARGET = Target("client-http", "client",
                "hostile registry answers to the registry client (image validate docker://, "
                "registry test --read-only with credentials)", generate)
