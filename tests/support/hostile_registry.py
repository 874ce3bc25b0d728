"""A hostile registry for tests: a loopback HTTP server with scripted misbehaviour per path.

Each route maps (method, path regex) to a *behaviour*: a function that writes the whole
answer on the handler. Behaviours here cover what a peer can do to a client: drip bytes
(1 byte every N seconds, in the headers or the body), lie about ``Content-Length``, send
garbage, a gzip bomb or huge headers, redirect or answer 202 with a ``Location`` on another
origin, ask for basic credentials or point a bearer challenge at a token realm elsewhere.
Every request received is recorded (method, path, headers), so a test can check what an
origin was sent. Run two of them for two origins (another port on 127.0.0.1 is another
origin)::

    with HostileRegistry() as reg, HostileRegistry() as other:
        reg.on("POST", r"/v2/.+/blobs/uploads/", answer(202, headers={
            "Location": other.url + "/upload/1"}))
        ...
        other.seen     # what the other origin received

This is a test double for faults a real registry cannot be made to show; it is not a
registry.
"""
from __future__ import annotations

import base64
import gzip
import io
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_REQUEST_BODY = 4 << 20

Behaviour = Callable[["_Handler"], None]


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class HostileRegistry:
    """A threaded loopback server; ``on`` scripts a route, ``seen`` lists requests."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Behaviour]] = []
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def on(self, method: str, pattern: str, behaviour: Behaviour) -> HostileRegistry:
        """Answer ``method`` on paths fully matching ``pattern`` with ``behaviour`` (later
        routes win over earlier ones)."""
        self.routes.insert(0, (method.upper(), re.compile(pattern), behaviour))
        return self

    def requests_to(self, pattern: str) -> list[Seen]:
        rx = re.compile(pattern)
        return [s for s in list(self.seen) if rx.fullmatch(s.path.split("?", 1)[0])]

    def _route(self, method: str, path: str) -> Behaviour:
        bare = path.split("?", 1)[0]
        for want, rx, behaviour in self.routes:
            if want in (method, "*") and rx.fullmatch(bare):
                return behaviour
        return answer(404, _error("NAME_UNKNOWN"), {"Content-Type": "application/json"})

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def __enter__(self) -> HostileRegistry:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: HostileRegistry

    def log_message(self, *_args: Any) -> None:
        pass

    def _serve(self) -> None:
        self.owner._record(Seen(self.command, self.path, dict(self.headers.items())))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, MAX_REQUEST_BODY))
        try:
            self.owner._route(self.command, self.path)(self)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
             length: int | None = None) -> None:
        """Status, headers (Content-Length = ``length`` or the body's), then the body."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def stopped(self) -> bool:
        return self.owner.stopping.is_set()


def _handler_class(owner: HostileRegistry) -> type[_Handler]:
    return type("Handler", (_Handler,), {"owner": owner})


def _error(code: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": code.lower()}]}).encode()


# ---------------------------------------------------------------- behaviours

def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Behaviour:
    """A plain answer."""
    return lambda h: h.send(status, body, headers)


def json_answer(status: int, doc: Any, headers: dict[str, str] | None = None) -> Behaviour:
    body = json.dumps(doc).encode()
    return answer(status, body, {"Content-Type": "application/json", **(headers or {})})


def drip(length: int, interval: float, headers: dict[str, str] | None = None) -> Behaviour:
    """Promise ``length`` bytes, then send one byte every ``interval`` seconds."""
    def run(h: _Handler) -> None:
        h.send_response(200)
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(length))
        h.end_headers()
        h.wfile.flush()
        for _ in range(length):
            if h.stopped():
                break
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(interval)
        h.close_connection = True
    return run


def drip_headers(interval: float) -> Behaviour:
    """Send the status line and headers one byte every ``interval`` seconds, forever."""
    def run(h: _Handler) -> None:
        head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 100000
        for byte in head:
            if h.stopped():
                break
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(interval)
        h.close_connection = True
    return run


def lie_length(declared: int, body: bytes) -> Behaviour:
    """Declare ``declared`` bytes, send ``body`` (shorter), close."""
    def run(h: _Handler) -> None:
        h.send(200, body, {"Content-Type": "application/json"}, length=declared)
        h.close_connection = True
    return run


def garbage(size: int, content_type: str = "application/json") -> Behaviour:
    """``size`` bytes of noise (not JSON, not UTF-8) with a JSON content type."""
    noise = bytes((i * 131 + 7) % 256 for i in range(size))
    return answer(200, noise, {"Content-Type": content_type})


def gzip_bomb(expanded: int, headers: dict[str, str] | None = None) -> Behaviour:
    """A gzip body that expands to ``expanded`` zero bytes, sent with Content-Encoding."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        block = b"\0" * (1 << 20)
        for _ in range(expanded // len(block)):
            gz.write(block)
    body = buf.getvalue()
    return answer(200, body, {"Content-Encoding": "gzip",
                              "Content-Type": "application/json", **(headers or {})})


def huge_headers(count: int, size: int) -> Behaviour:
    """``count`` headers of ``size`` bytes each."""
    return answer(200, b"{}", {f"X-Big-{i}": "z" * size for i in range(count)})


def require_basic(username: str, password: str, then: Behaviour) -> Behaviour:
    """401 with a basic challenge unless the request carries these credentials."""
    wanted = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def run(h: _Handler) -> None:
        if h.headers.get("Authorization") == wanted:
            then(h)
        else:
            h.send(401, _error("UNAUTHORIZED"), {"Content-Type": "application/json",
                                                 "WWW-Authenticate": 'Basic realm="hostile"'})
    return run


def require_bearer(realm: str, token: str, then: Behaviour) -> Behaviour:
    """401 with a bearer challenge naming ``realm`` unless ``Bearer token`` is sent."""
    def run(h: _Handler) -> None:
        if h.headers.get("Authorization") == f"Bearer {token}":
            then(h)
        else:
            h.send(401, _error("UNAUTHORIZED"), {
                "Content-Type": "application/json",
                "WWW-Authenticate": f'Bearer realm="{realm}",service="hostile",'
                                    'scope="registry:catalog:*"'})
    return run


def redirect(status: int, location: str) -> Behaviour:
    return answer(status, b"", {"Location": location})


def ok() -> Behaviour:
    """``GET /v2/`` as a registry answers it."""
    return json_answer(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"})
