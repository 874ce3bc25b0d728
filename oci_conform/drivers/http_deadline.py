"""Total deadlines for HTTP requests made with ``requests`` (headers and body together).

``requests`` only bounds each socket read, so a peer that sends one byte every few seconds
keeps a request alive forever. Here every request gets a ``Deadline``; a single watchdog
thread shuts the request's socket down when it passes, which ends any read in progress.
The socket is found through the connection class the ``DeadlineAdapter`` installs: each
connection remembers the deadline of the request it is serving, so a pooled connection
reused by a later request is never cut by an earlier request's deadline.
"""
from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class DeadlineExceeded(requests.exceptions.Timeout):
    """A request (or the run it belongs to) ran past its total deadline."""


class Deadline:
    """One request's deadline: ``expires`` on the monotonic clock."""

    __slots__ = ("expires", "what", "limit", "conn", "done", "fired")

    def __init__(self, expires: float, what: str, limit: str = "its deadline"):
        self.expires = expires
        self.what = what
        self.limit = limit              # which deadline it is, for messages
        self.conn: Any = None
        self.done = False
        self.fired = False

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def bind(self, conn: Any) -> None:
        self.conn = conn
        conn._oci_deadline = self

    def finish(self) -> None:
        self.done = True

    def fire(self) -> None:
        """Cut the request off: shut its socket (only while the connection still serves it)."""
        if self.done:
            return
        self.fired = True
        conn = self.conn
        if conn is None or getattr(conn, "_oci_deadline", None) is not self:
            return
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Watchdog:
    """One daemon thread firing deadlines in expiry order (finished ones are dropped)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._cond:
            heapq.heappush(self._heap, (deadline.expires, next(self._seq), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="http-deadlines",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(30.0)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _, _, due = heapq.heappop(self._heap)
            due.fire()


WATCHDOG = _Watchdog()
_current = threading.local()


def start(seconds: float, what: str, *, until: float | None = None) -> Deadline:
    """A deadline ``seconds`` from now (or at ``until`` if sooner), watched, and made the
    current one of this thread: the next connection that sends a request binds to it."""
    expires = time.monotonic() + seconds
    limit = f"its deadline of {seconds:g}s"
    if until is not None and until < expires:
        expires, limit = until, "the run's deadline"
    deadline = Deadline(expires, what, limit)
    WATCHDOG.watch(deadline)
    _current.deadline = deadline
    return deadline


def _bind_current(conn: Any) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None and not deadline.done:
        deadline.bind(conn)
    else:
        conn._oci_deadline = None


class _Conn(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _bind_current(self)
        super().request(*args, **kwargs)


class _TLSConn(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _bind_current(self)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Conn


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConn


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections can be cut off by their request's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


def mount(session: requests.Session) -> None:
    """Route every http(s) request of ``session`` through a ``DeadlineAdapter``."""
    session.mount("http://", DeadlineAdapter())
    session.mount("https://", DeadlineAdapter())
