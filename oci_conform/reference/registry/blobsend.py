"""Sending a blob file to a client with ``os.sendfile`` on a blocking socket.

``socket.sendfile`` on a socket with a timeout polls before every ``sendfile`` call and
takes the GIL back after each one: ~2 MiB per round trip, hundreds of wake-ups for a large
blob. Here the socket is blocking for the send, so one ``sendfile`` call moves as much as
the peer takes, in the kernel, without the GIL. A peer that stops reading is still cut
off: ``SO_SNDTIMEO`` ends a send that makes no progress for ``idle_seconds`` (a call
that made some progress first may wait a few of those in the kernel), and the
caller arms the reaper with an overall deadline for a peer that reads at a trickle.

``TCP_NOTSENT_LOWAT`` keeps at most 256 KiB queued but unsent. Without it the kernel queues
a whole send buffer; once the reader's window closes, the reader's own acknowledgements push
that queue out, so the client's process pays for delivering the bytes to itself (measured on
loopback: curl used 0.14 s of CPU per 256 MiB pulled instead of 0.08 s, and curl is what
limits a pull). With the limit the sender delivers most bytes in its own context.
"""
from __future__ import annotations

import contextlib
import os
import socket
import struct
from typing import BinaryIO

MAX_CALL = 1 << 30          # bytes asked of one sendfile call
NOTSENT_LOWAT = getattr(socket, "TCP_NOTSENT_LOWAT", 25)
UNSENT_BYTES = 256 * 1024   # bytes queued but not yet sent, at most


def _send_timeout(sock: socket.socket, seconds: float) -> None:
    whole = int(seconds)
    micro = int((seconds - whole) * 1_000_000)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", whole, micro))


def send_file(sock: socket.socket, handle: BinaryIO, offset: int, count: int,
              idle_seconds: float) -> int:
    """Send ``count`` bytes of ``handle`` from ``offset``; the bytes sent. TimeoutError
    when the peer takes nothing for ``idle_seconds``; a file that shrank ends early."""
    previous = sock.gettimeout()
    sock.settimeout(None)
    _send_timeout(sock, idle_seconds)
    sock.setsockopt(socket.IPPROTO_TCP, NOTSENT_LOWAT, UNSENT_BYTES)
    sent_total = 0
    try:
        while sent_total < count:
            try:
                sent = os.sendfile(sock.fileno(), handle.fileno(), offset + sent_total,
                                   min(count - sent_total, MAX_CALL))
            except BlockingIOError:      # SO_SNDTIMEO passed without progress
                raise TimeoutError("the client took no bytes within the idle wait") from None
            if sent == 0:
                break
            sent_total += sent
    finally:
        with contextlib.suppress(OSError):      # a socket the reaper shut down: no matter
            sock.setsockopt(socket.IPPROTO_TCP, NOTSENT_LOWAT, 0)   # 0: the system default
            _send_timeout(sock, 0)
        sock.settimeout(previous)
    return sent_total
