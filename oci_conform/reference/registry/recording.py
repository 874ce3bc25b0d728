"""Recording mode: every exchange the registry serves, as one JSON line each.

A line holds the method, path, query, request headers (secrets redacted with
``model.evidence.redact_headers``), the status, the response headers, the body sizes both
ways and the start and end times (seconds since the epoch, and the duration). The file is
bounded: past ``limit`` bytes further exchanges are counted, not written, and one last
line says how many were dropped. When recording is off the server holds no recorder and
pays one ``is None`` test per request.

``seq`` numbers exchanges in the order they completed (start times give the order they
began: a client may send its next request on another connection first). The client suite
(``suites/registry_clients``) reads these files back with :func:`load`.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_conform.model.evidence import redact_headers, redact_url

DEFAULT_LIMIT = 64 * 1024 * 1024      # bytes of JSON lines kept per recording
MAX_LINE = 64 * 1024                  # one exchange line (huge header sets are cut)
MAX_HEADER_VALUE = 2000               # characters kept of one header value


@dataclass
class Exchange:
    """One recorded exchange, as :func:`load` gives it back."""

    seq: int
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    status: int
    response_headers: dict[str, str]
    request_bytes: int
    response_bytes: int
    start: float
    end: float
    peer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str:
        """A request header, matched without regard to case ('' when absent)."""
        return _lookup(self.request_headers, name)

    def response_header(self, name: str) -> str:
        return _lookup(self.response_headers, name)


def _lookup(headers: Mapping[str, str], name: str) -> str:
    low = name.lower()
    return next((v for k, v in headers.items() if k.lower() == low), "")


def _headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict; a repeated name keeps its values joined by ', '."""
    out: dict[str, str] = {}
    for name, value in items:
        text = str(value)[:MAX_HEADER_VALUE]
        out[name] = f"{out[name]}, {text}" if name in out else text
    return redact_headers(out)


class Recorder:
    """Appends exchanges to ``path`` (created or truncated), thread-safe, at most ``limit``
    bytes. Refuses a path that exists and is not a regular file."""

    def __init__(self, path: Path, limit: int = DEFAULT_LIMIT):
        self.path = Path(path)
        self.limit = max(int(limit), 0)
        if self.path.exists() and not self.path.is_file():
            raise ValueError(f"--record {self.path}: exists and is not a regular file")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        self._file = os.fdopen(fd, "w", encoding="utf-8")
        self._lock = threading.Lock()
        self._seq = 0
        self.written = 0
        self.dropped = 0

    def record(self, *, method: str, target: str, request_headers: Iterable[tuple[str, str]],
               status: int, response_headers: Iterable[tuple[str, str]], request_bytes: int,
               response_bytes: int, start: float, end: float, peer: str = "") -> None:
        path, _, query = target.partition("?")
        entry = {"method": method[:16], "path": path[:4096],
                 "query": redact_url("http://x/?" + query[:4096]).split("?", 1)[1]
                 if query else "",
                 "request_headers": _headers(request_headers), "status": status,
                 "response_headers": _headers(response_headers),
                 "request_bytes": request_bytes, "response_bytes": response_bytes,
                 "start": round(start, 6), "end": round(end, 6),
                 "duration": round(end - start, 6), "peer": peer}
        with self._lock:
            if self._file.closed:
                return
            self._seq += 1
            entry = {"seq": self._seq, **entry}
            line = json.dumps(entry, separators=(",", ":"))
            if len(line) > MAX_LINE:
                entry["request_headers"], entry["response_headers"] = {}, {}
                entry["cut"] = "headers over the line limit"
                line = json.dumps(entry, separators=(",", ":"))
            if self.written + len(line) + 1 > self.limit:
                self.dropped += 1
                return
            self._file.write(line + "\n")
            self._file.flush()
            self.written += len(line) + 1

    def close(self) -> None:
        with self._lock:
            if self._file.closed:
                return
            if self.dropped:
                self._file.write(json.dumps({"dropped": self.dropped,
                                             "limit": self.limit}) + "\n")
            self._file.close()


def load(path: Path, limit: int = DEFAULT_LIMIT + MAX_LINE) -> tuple[list[Exchange], int]:
    """The exchanges of a recording and how many it dropped; reads at most ``limit`` bytes
    (a line cut by that bound, or one that is not an exchange, is skipped)."""
    out: list[Exchange] = []
    dropped = 0
    for data in _lines(path, limit):
        if "dropped" in data:
            dropped = int(data.get("dropped") or 0)
            continue
        try:
            out.append(Exchange(
                seq=int(data["seq"]), method=str(data["method"]), path=str(data["path"]),
                query=str(data.get("query", "")),
                request_headers=dict(data.get("request_headers") or {}),
                status=int(data["status"]), response_headers=dict(
                    data.get("response_headers") or {}),
                request_bytes=int(data.get("request_bytes", 0)),
                response_bytes=int(data.get("response_bytes", 0)),
                start=float(data["start"]), end=float(data["end"]),
                peer=str(data.get("peer", ""))))
        except (KeyError, TypeError, ValueError):
            continue
    return out, dropped


def _lines(path: Path, limit: int) -> Iterator[dict[str, Any]]:
    from oci_conform.drivers.files import open_regular
    try:
        with open_regular(path) as fh:
            raw = fh.read(limit)
    except OSError:
        return
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            yield data
