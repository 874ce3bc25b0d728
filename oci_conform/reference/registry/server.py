"""HTTP for the reference registry: Python's threading HTTP server, streaming both ways.

Why this stack: it is in the standard library (no dependency to vet or pin), runs one
thread per connection (concurrent clients; blocking file and socket I/O releases the
GIL), speaks HTTP/1.1 keep-alive, and lets us stream request bodies straight from the
socket (Content-Length or chunked) and send blobs from a file in 1 MiB pieces on a blocking
socket (see blobsend.py for why not ``sendfile``).
benchmarks/reference_registry.py measures it against Debian's docker-registry.
"""
from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import SplitResult, parse_qs, urlsplit

from oci_conform.reference.registry.api import (
    Body,
    RegistryApi,
    Request,
    Response,
    error_response,
)
from oci_conform.reference.registry.auth import AuthConfig, Authenticator, load_htpasswd
from oci_conform.reference.registry.blobsend import send_file
from oci_conform.reference.registry.bodies import BadBody, body_framing
from oci_conform.reference.registry.errors import (
    ApiError,
    internal_error,
    is_no_space,
    storage_full,
)
from oci_conform.reference.registry.limits import Limits, Pace, Reaper, Refuser
from oci_conform.reference.registry.recording import DEFAULT_LIMIT, Recorder
from oci_conform.reference.registry.storage import Storage

# A front wraps the API: given the request and the API's own handler, it answers. The
# client suite uses one to make the registry misbehave on purpose (faults named per case).
Front = Callable[[Request, Callable[[Request], Response]], Response]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oci-conform-registry"
    api: RegistryApi   # set on the subclass made per server, with the next two
    limits: Limits = Limits()
    reaper: Reaper | None = None
    recorder: Recorder | None = None    # recording mode (off: one `is None` test a request)
    front: Front | None = None
    timeout = Limits.idle_seconds
    _received = 0                       # request body bytes read (counted when recording)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the peer's delayed ACK add ~40 ms to every small keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def log_fault(self, text: str) -> None:
        """One line on stderr for a fault of the registry itself (never a traceback)."""
        sys.stderr.write(f"oci-conform-registry: {self.address_string()} {text}\n")
        sys.stderr.flush()

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Errors the HTTP layer finds (request line, headers, unknown method) get the
        spec's JSON error body like every other answer."""
        short = self.responses.get(code, ("error", ""))[0]
        self.log_message("code %d, message %s", code, message or short)
        self.close_connection = True
        err = ApiError(code, "UNSUPPORTED", message or short)
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"   # an unparsed request line: answer with headers
        self._send(error_response(err))

    def handle_one_request(self) -> None:
        """One request; its line and headers must arrive within the idle wait plus the
        header allowance, however slowly the peer drips them."""
        if self.reaper is not None:
            self.reaper.arm(self.connection, self.limits.idle_seconds +
                            self.limits.header_seconds)
        try:
            super().handle_one_request()
        finally:
            if self.reaper is not None:
                self.reaper.disarm(self.connection)

    def parse_request(self) -> bool:
        """The standard parse, minus HTTP/0.9 (a request line without a version)."""
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(400, "a request line needs an HTTP version")
            return False
        return True

    def _body(self) -> Body:
        chunks, length, reusable = body_framing(
            cast(BinaryIO, self.rfile), self.headers.get("Transfer-Encoding") or "",
            self.headers.get_all("Content-Length") or [], Pace(self.limits))
        if not reusable:
            self.close_connection = True
        if self.recorder is not None:
            chunks = self._counting(chunks)
        return Body(chunks, length)

    def _counting(self, chunks: Callable[[], Any]) -> Callable[[], Any]:
        def counted() -> Any:
            for chunk in chunks():
                self._received += len(chunk)
                yield chunk
        return counted

    def _answer(self, url: SplitResult) -> Response:
        body = self._body()
        host = self.headers.get("Host") or "{}:{}".format(*bound_address(self.server))
        req = Request(self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                      cast(Mapping[str, str], self.headers), body, base_url=f"http://{host}")
        resp = self.api.handle(req) if self.front is None else self.front(req, self.api.handle)
        if not body.consumed and (body.length or body.length is None):
            self.close_connection = True   # unread body: do not reuse this connection
        return resp

    def _serve(self) -> None:
        if self.recorder is None:
            self._serve_one()
            return
        start, self._received = time.time(), 0
        sent = self._serve_one()
        self.recorder.record(
            method=self.command, target=self.path, request_headers=self.headers.items(),
            status=sent.status if sent else 0,
            response_headers=self._sent_headers(sent) if sent else [],
            request_bytes=self._received,
            response_bytes=0 if sent is None or sent.head or self.command == "HEAD"
            else sent.length, start=start, end=time.time(), peer=self.address_string())

    def _sent_headers(self, resp: Response) -> list[tuple[str, str]]:
        """The headers ``_send`` writes for ``resp``, in order."""
        extra = [("Docker-Distribution-API-Version", "registry/2.0"),
                 ("Content-Length", str(resp.length))]
        return [*resp.headers, *extra, *([("Connection", "close")]
                                        if self.close_connection else [])]

    def _serve_one(self) -> Response | None:
        """Answer one request; the response sent (None when the peer went away)."""
        if self.reaper is not None:
            self.reaper.disarm(self.connection)   # headers are in; the body has its pace
        url = urlsplit(self.path)
        try:
            resp = self._answer(url)
        except ApiError as err:
            resp, self.close_connection = error_response(err), True
        except BadBody as exc:
            resp = error_response(ApiError(400, "BLOB_UPLOAD_INVALID", str(exc)))
            self.close_connection = True
        except (ConnectionError, TimeoutError):
            self.close_connection = True      # the peer went away or stalled mid-body
            return None
        except Exception as exc:  # never a traceback page: a spec error body and a log line
            if is_no_space(exc):
                resp = error_response(storage_full())
            else:
                self.log_fault(f"internal error on {self.command} {url.path[:200]}: {exc!r}")
                resp = error_response(internal_error())
            self.close_connection = True
        return self._send(resp)

    def _send(self, resp: Response) -> Response:
        handle = None
        if resp.file and resp.file[2] > 0 and not (resp.head or self.command == "HEAD"):
            try:
                handle = open(resp.file[0], "rb")   # before the status line: it may be gone
            except OSError as exc:
                self.log_fault(f"cannot open {resp.file[0].name}: {exc.strerror}")
                self.close_connection = True
                resp = error_response(internal_error())
        with handle if handle is not None else contextlib.nullcontext():
            self.send_response(resp.status)
            for name, value in resp.headers:
                self.send_header(name, value)
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            self.send_header("Content-Length", str(resp.length))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if handle is not None and resp.file:
                self.wfile.flush()
                self._send_blob(handle, resp.file[1], resp.file[2])
            elif resp.body and not (resp.head or self.command == "HEAD"):
                self.wfile.write(resp.body)
        return resp

    def _send_blob(self, handle: BinaryIO, offset: int, count: int) -> None:
        """Blob bytes from the file; a reader slower than the body rate floor is cut off."""
        if self.reaper is not None:
            self.reaper.arm(self.connection, self.limits.body_grace_seconds +
                            count / max(self.limits.min_body_rate, 1))
        try:
            sent = send_file(self.connection, handle, offset, count, self.limits.idle_seconds)
        finally:
            if self.reaper is not None:
                self.reaper.disarm(self.connection)
        if sent < count:     # the file shrank under us: the framing is broken, hang up
            self.close_connection = True

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _serve
    do_OPTIONS = do_TRACE = do_CONNECT = _serve   # answered 405 UNSUPPORTED by the API


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    verbose = False

    recorder: Recorder | None = None

    def __init__(self, address: tuple[str, int], limits: Limits):
        super().__init__(address, Handler)
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self.reaper = Reaper()
        self.refuser = Refuser()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in its own thread, or answer 429 when all slots are busy."""
        if not self._slots.acquire(blocking=False):
            self.refuser.refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def server_close(self) -> None:
        super().server_close()
        self.reaper.stop()
        self.refuser.stop()
        if self.recorder is not None:
            self.recorder.close()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is normal; anything else is one log line."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) and not self.verbose:
            return
        sys.stderr.write(f"oci-conform-registry: error serving {client_address}: {exc!r}\n")


@dataclass
class RegistryConfig:
    """How to start the reference registry: storage, address, profile and auth."""

    storage: Path
    host: str = "127.0.0.1"
    port: int = 0                       # 0 = a free port
    profile: str = "dev"
    read_only: bool = False
    htpasswd: Path | None = None
    token_auth: bool = False            # bearer tokens from our own /token endpoint
    anonymous_pull: bool = False
    verbose: bool = False
    users: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    record: Path | None = None          # recording mode: every exchange as a JSON line here
    record_limit: int = DEFAULT_LIMIT   # bytes of recording kept; later exchanges counted
    front: Front | None = None          # wraps the API (fault injection by the client suite)


def bound_address(server: Any) -> tuple[str, int]:
    """The (host, port) a server listens on, as text and number."""
    host, port = server.server_address[:2]
    return (host.decode() if isinstance(host, bytes) else str(host)), int(port)


def build_server(config: RegistryConfig) -> _Server:
    users = dict(config.users)
    if config.htpasswd:
        users.update(load_htpasswd(config.htpasswd))
    server = _Server((config.host, config.port), config.limits)
    host, port = bound_address(server)
    auth = AuthConfig(users=users, anonymous_pull=config.anonymous_pull,
                      token_realm=f"http://{host}:{port}/token"
                      if config.token_auth and users else "")
    api = RegistryApi(Storage(config.storage), Authenticator(auth), config.profile,
                      config.read_only, config.limits)
    if config.record is not None:
        try:
            server.recorder = Recorder(config.record, config.record_limit)
        except BaseException:
            server.server_close()
            raise
    server.RequestHandlerClass = type("BoundHandler", (Handler,), {
        "api": api, "limits": config.limits, "reaper": server.reaper,
        "timeout": config.limits.idle_seconds, "recorder": server.recorder,
        "front": staticmethod(config.front) if config.front else None})
    server.verbose = config.verbose
    return server


class RegistryServer(contextlib.AbstractContextManager["RegistryServer"]):
    """The reference registry in a background thread of this process, on loopback."""

    def __init__(self, config: RegistryConfig):
        self.config = config
        self._server = build_server(config)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="oci-conform-registry", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def address(self) -> str:
        host, port = bound_address(self._server)
        return f"{host}:{port}"

    def start(self) -> RegistryServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
