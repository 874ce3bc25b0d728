"""Limits that keep hostile peers from holding the registry: how many connections it serves
at once, how long a request's line and headers may take to arrive, and how slowly a body
may drip.

- ``Reaper``: one thread that shuts down sockets whose deadline passed (a peer that sends
  its headers one byte a minute never finishes a blocking read on its own).
- ``Pace``: a body must keep up an average rate after a grace period.
- ``Refuser``: past the connection limit, one thread answers ``429 TOOMANYREQUESTS`` (JSON,
  ``Retry-After``) and closes, so the excess costs no thread per connection.
"""
from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from oci_conform.reference.registry.errors import ApiError


@dataclass(frozen=True)
class Limits:
    """The registry's bounds on connections, waits, body rates and sizes."""

    max_connections: int = 256        # served at once; more are answered 429
    idle_seconds: float = 60.0        # a read that gets nothing this long ends the connection
    header_seconds: float = 30.0      # beyond the idle wait, for the request line and headers
    body_grace_seconds: float = 60.0  # a body may be slow this long ...
    min_body_rate: int = 16 * 1024    # ... then must average at least this many bytes/s
    manifest_slots: int = 4           # manifests read and parsed at once (memory bound)
    manifest_wait_seconds: float = 30.0   # wait for a slot this long, then 429
    max_open_uploads: int = 10_000    # upload sessions open at once; more get 429


def too_many(message: str) -> ApiError:
    return ApiError(429, "TOOMANYREQUESTS", message, headers={"Retry-After": "1"})


class Gate:
    """At most ``slots`` holders at once; a caller that waits too long gets a 429."""

    def __init__(self, slots: int, wait_seconds: float, what: str):
        self._slots = threading.BoundedSemaphore(max(slots, 1))
        self.wait_seconds, self.what = wait_seconds, what

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise too_many(f"too many {self.what} at once; retry later")
        try:
            yield
        finally:
            self._slots.release()


class SlowPeer(Exception):
    """The peer sends its body slower than the limits allow."""


class Pace:
    """Checks that ``received`` bytes arrived no slower than the limits allow."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.start = time.monotonic()

    def check(self, received: int) -> None:
        elapsed = time.monotonic() - self.start
        allowed = self.limits.body_grace_seconds + received / max(self.limits.min_body_rate, 1)
        if elapsed > allowed:
            raise SlowPeer(f"body arrives slower than {self.limits.min_body_rate} bytes/s "
                           f"({received} bytes in {elapsed:.0f} s)")


class Reaper:
    """Shuts down sockets whose deadline has passed; checked every ``period`` seconds."""

    def __init__(self, period: float = 0.25):
        self.period = period
        self._deadlines: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="registry-reaper", daemon=True)
        self._thread.start()

    def arm(self, sock: socket.socket, seconds: float) -> None:
        with self._lock:
            self._deadlines[sock] = time.monotonic() + seconds

    def disarm(self, sock: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(sock, None)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            now = time.monotonic()
            with self._lock:
                late = [s for s, when in self._deadlines.items() if when <= now]
                for sock in late:
                    del self._deadlines[sock]
            for sock in late:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def too_many_answer() -> bytes:
    body = json.dumps({"errors": [{"code": "TOOMANYREQUESTS", "message":
                                   "too many connections; retry later"}]}).encode()
    head = ("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n"
            "Docker-Distribution-API-Version: registry/2.0\r\n\r\n")
    return head.encode() + body


class Refuser:
    """One thread that answers connections over the limit with a 429 and closes them."""

    READ_SECONDS = 1.0

    def __init__(self, backlog: int = 64):
        self._queue: queue.Queue[socket.socket | None] = queue.Queue(maxsize=backlog)
        self._thread = threading.Thread(target=self._run, name="registry-refuser", daemon=True)
        self._thread.start()

    def refuse(self, sock: socket.socket) -> None:
        try:
            self._queue.put_nowait(sock)
        except queue.Full:
            sock.close()

    def _run(self) -> None:
        while (sock := self._queue.get()) is not None:
            try:
                self._answer(sock)
            except OSError:
                pass
            finally:
                sock.close()

    def _answer(self, sock: socket.socket) -> None:
        # Read the request head first (briefly) so that closing does not reset the
        # connection under a client that is still sending it.
        sock.settimeout(0.2)
        deadline, seen = time.monotonic() + self.READ_SECONDS, b""
        while b"\r\n\r\n" not in seen and len(seen) < 65536 and time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            seen += chunk
        sock.sendall(too_many_answer())
        sock.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(timeout=5)
