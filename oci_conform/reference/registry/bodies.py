"""Request body framing, read strictly and in bounded blocks.

A body is either ``Content-Length`` bytes or a chunked stream. Lengths and chunk sizes are
ASCII digits (hex digits for chunks) and nothing else: a sign, a ``0x`` prefix, an
underscore, a Unicode digit or a second differing ``Content-Length`` is refused before a
byte of the body is read. Every read asks for at most ``READ_CHUNK`` bytes, so memory stays
bounded whatever the peer sends; a ``Pace`` cuts off a body that drips.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from oci_conform.reference.registry.errors import ApiError
from oci_conform.reference.registry.limits import Pace, SlowPeer

READ_CHUNK = 1 << 20
LINE_LIMIT = 4096             # a chunk-size line or trailer line longer than this is refused
MAX_TRAILERS = 32
_DECIMAL = re.compile(rb"[0-9]{1,19}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class BadBody(Exception):
    """The request body is not what its framing says (bad chunk line, early end)."""


Chunks = Callable[[], Iterator[bytes]]


def content_length(values: list[str]) -> int | None:
    """The one Content-Length the headers give (None when absent); ApiError when any value
    is not plain ASCII decimal digits or two values differ."""
    if not values:
        return None
    found = set()
    for value in values:
        for item in value.split(","):
            raw = item.strip().encode("latin-1", "replace")
            if not _DECIMAL.fullmatch(raw):
                raise ApiError(400, "SIZE_INVALID", "Content-Length is not a decimal number",
                               {"Content-Length": value[:40]})
            found.add(int(raw))
    if len(found) != 1:
        raise ApiError(400, "SIZE_INVALID", "conflicting Content-Length values")
    return found.pop()


class _Reader:
    """Bounded reads from the socket, each followed by the pace check."""

    def __init__(self, rfile: BinaryIO, pace: Pace | None):
        self.rfile, self.pace, self.received = rfile, pace, 0

    def _count(self, data: bytes) -> bytes:
        self.received += len(data)
        if self.pace is not None:
            try:
                self.pace.check(self.received)
            except SlowPeer as exc:
                raise BadBody(str(exc)) from None
        return data

    def line(self, what: str) -> bytes:
        line = self._count(self.rfile.readline(LINE_LIMIT + 1))
        if not line:
            raise BadBody(f"connection closed inside a chunked body ({what})")
        if len(line) > LINE_LIMIT or not line.endswith(b"\n"):
            raise BadBody(f"{what} line longer than {LINE_LIMIT} bytes")
        return line

    def exactly(self, size: int, what: str) -> Iterator[bytes]:
        remaining = size
        while remaining > 0:
            # read1: at most one socket read, so the pace is checked as bytes trickle in
            data = self._count(self.rfile.read1(min(remaining, READ_CHUNK)))  # type: ignore[attr-defined]
            if not data:
                raise BadBody(f"connection closed {what}")
            remaining -= len(data)
            yield data


def _chunk_size(line: bytes) -> int:
    text = line.split(b";", 1)[0].strip(b" \t\r\n")
    if not _HEX.fullmatch(text):
        raise BadBody(f"malformed chunk size {text[:20]!r}")
    return int(text, 16)


def chunked(rfile: BinaryIO, pace: Pace | None = None) -> Iterator[bytes]:
    """The decoded data of a chunked body, block by block."""
    reader = _Reader(rfile, pace)
    while True:
        size = _chunk_size(reader.line("chunk size"))
        if size == 0:
            break
        yield from reader.exactly(size, "inside a chunk")
        if reader.line("chunk end").strip(b"\r\n"):
            raise BadBody("chunk data longer than its size")
    for _ in range(MAX_TRAILERS):
        if not reader.line("trailer").strip(b"\r\n"):
            return
    raise BadBody(f"more than {MAX_TRAILERS} trailer lines")


def sized(rfile: BinaryIO, length: int, pace: Pace | None = None) -> Iterator[bytes]:
    """Exactly ``length`` bytes, block by block."""
    yield from _Reader(rfile, pace).exactly(length, "before Content-Length bytes arrived")


def body_framing(rfile: BinaryIO, transfer_encoding: str, lengths: list[str],
                 pace: Pace | None = None) -> tuple[Chunks, int | None, bool]:
    """(chunks factory, declared length or None, keep-alive safe) for a request's headers."""
    coding = [c.strip().lower() for c in transfer_encoding.split(",") if c.strip()]
    if coding:
        if coding != ["chunked"]:
            raise ApiError(501, "UNSUPPORTED", "only the chunked transfer coding is understood",
                           {"Transfer-Encoding": transfer_encoding[:80]})
        # A Content-Length beside chunked framing is a smuggling attempt or a broken
        # proxy: the chunked framing wins and the connection is not reused.
        return (lambda: chunked(rfile, pace)), None, not lengths
    length = content_length(lengths) or 0
    return (lambda: sized(rfile, length, pace)), length, True
