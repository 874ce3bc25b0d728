"""Blob downloads (blobsend.py): exact bytes whole and in ranges on one keep-alive
connection, and readers that stall or trickle are cut off instead of holding a thread."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from oci_conform.reference.registry import RegistryConfig, RegistryServer
from oci_conform.reference.registry.limits import Limits
from tests.reference_registry.conftest import Client

MIB = 1 << 20


def _get_slowly(address: str, path: str, slow_for: float, pause: float,
                piece: int) -> tuple[int, bool]:
    """GET ``path`` on a socket with a small receive buffer, reading ``piece`` bytes every
    ``pause`` seconds (nothing when ``piece`` is 0) for ``slow_for`` seconds, then draining
    at full speed: (bytes received, closed by the server before the whole answer)."""
    host, port = address.split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.settimeout(5.0)
    sock.connect((host, int(port)))
    started, received = time.monotonic(), 0
    with sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        while time.monotonic() - started < slow_for:
            time.sleep(pause)
            if piece:
                received += len(sock.recv(piece))
        try:
            while data := sock.recv(MIB):
                received += len(data)
        except (TimeoutError, ConnectionResetError):
            return received, False
    return received, True


def test_whole_and_ranged_gets_share_one_connection(tmp_path: Path) -> None:
    data = os.urandom(5 * MIB + 123)
    with RegistryServer(RegistryConfig(tmp_path / "s")) as srv:
        client = Client(srv.url)
        digest = client.push_blob("lib/app", data)
        url = client.url(f"/v2/lib/app/blobs/{digest}")
        for _ in range(2):
            r = client.http.get(url)
            assert r.status_code == 200 and r.content == data
        r = client.http.get(url, headers={"Range": f"bytes={MIB}-{3 * MIB}"})
        assert r.status_code == 206 and r.content == data[MIB:3 * MIB + 1]
        r = client.http.get(url, headers={"Range": "bytes=-100"})
        assert r.status_code == 206 and r.content == data[-100:]
        assert client.http.get(client.url("/v2/")).status_code == 200


def test_a_reader_that_stops_is_cut_off_after_a_few_idle_waits(tmp_path: Path) -> None:
    size = 32 * MIB
    limits = Limits(idle_seconds=1.0)
    with RegistryServer(RegistryConfig(tmp_path / "s", limits=limits)) as srv:
        digest = Client(srv.url).push_blob("lib/app", os.urandom(size))
        # Read nothing for 8 s, then drain what the buffers hold. (One send call that
        # made some progress may wait a few idle waits in the kernel before it returns.)
        received, closed = _get_slowly(srv.address, f"/v2/lib/app/blobs/{digest}",
                                       slow_for=8.0, pause=8.0, piece=0)
        assert closed, "the server neither finished nor hung up"
        assert received < size, "the whole blob was sent to a reader that stopped"


def test_a_trickling_reader_is_cut_off_at_the_rate_floor(tmp_path: Path) -> None:
    size = 16 * MIB
    # 16 MiB at an 8 MiB/s floor after 1 s of grace: a 3 s allowance in all.
    limits = Limits(idle_seconds=5.0, body_grace_seconds=1.0, min_body_rate=8 * MIB)
    with RegistryServer(RegistryConfig(tmp_path / "s", limits=limits)) as srv:
        digest = Client(srv.url).push_blob("lib/app", os.urandom(size))
        # 16 KiB every 0.05 s (~320 KiB/s) for 6 s: never idle, far below the floor.
        received, closed = _get_slowly(srv.address, f"/v2/lib/app/blobs/{digest}",
                                       slow_for=6.0, pause=0.05, piece=16 * 1024)
        assert closed
        assert received < size, "a trickling reader was sent the whole blob"


def test_a_fast_reader_after_a_pause_within_the_idle_wait_gets_everything(
        tmp_path: Path) -> None:
    size = 16 * MIB
    limits = Limits(idle_seconds=3.0)
    with RegistryServer(RegistryConfig(tmp_path / "s", limits=limits)) as srv:
        digest = Client(srv.url).push_blob("lib/app", os.urandom(size))
        received, closed = _get_slowly(srv.address, f"/v2/lib/app/blobs/{digest}",
                                       slow_for=1.0, pause=1.0, piece=0)
        assert received > size     # the headers and every byte of the blob
