"""Unix stream sockets for the runtime's own channels, on the C module ``_socket``.

The ``socket`` module wraps ``_socket`` in enums and a selector set-up that cost more
start-up time than everything ``create`` does with sockets (measured with
``python -X importtime``); these few calls are all the runtime needs.  Names are bound
relative to a folder (``chdir``), so ``sun_path``'s 108-byte limit never applies.
"""
from __future__ import annotations

import _socket
import os
import struct

Sock = _socket.socket
SOL_SOCKET, SCM_RIGHTS = _socket.SOL_SOCKET, _socket.SCM_RIGHTS


def stream(fileno: int | None = None) -> Sock:
    """A new AF_UNIX stream socket (or one wrapping an accepted ``fileno``)."""
    if fileno is not None:
        return _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM, 0, fileno)
    return _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)


def pair() -> tuple[Sock, Sock]:
    one, two = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    return one, two


def _in_folder(path: str, act: str, sock: Sock) -> None:
    here = os.getcwd()
    folder, name = os.path.split(path)
    os.chdir(folder or ".")
    try:
        if act == "bind":
            sock.bind(name)
        else:
            sock.connect(name)
    finally:
        os.chdir(here)


def connect(path: str) -> Sock:
    sock = stream()
    try:
        _in_folder(path, "connect", sock)
    except OSError:
        sock.close()
        raise
    return sock


def listen(path: str, backlog: int = 4) -> Sock:
    sock = stream()
    try:
        _in_folder(path, "bind", sock)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def accept(listener: Sock) -> Sock:
    """The next connection (``_socket`` accepts as a bare descriptor: wrap it)."""
    fd, _ = listener._accept()  # type: ignore[attr-defined]  # not in typeshed's stub
    return stream(fd)


def send_fds(sock: Sock, data: bytes, fds: list[int]) -> None:
    """``data`` with ``fds`` attached (SCM_RIGHTS), as ``socket.send_fds`` does."""
    rights = struct.pack(f"{len(fds)}i", *fds)
    sock.sendmsg([data], [(SOL_SOCKET, SCM_RIGHTS, rights)])
