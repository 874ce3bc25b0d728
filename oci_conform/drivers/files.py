"""Opening user-given paths safely: regular files and directories only, read with a bound.

A FIFO blocks ``open`` forever, ``/dev/zero`` never ends, a socket cannot be read: every
reader of a path the user (or an archive) names goes through ``open_regular`` or
``read_regular``, which refuse anything but a regular file *without blocking* (the open uses
``O_NONBLOCK`` and the type is checked on the opened descriptor, so a swap between check and
open cannot slip a FIFO in).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

DEFAULT_MAX_BYTES = 64 * 1024 * 1024      # a JSON document larger than this is refused


class UnsafePath(OSError):
    """The path is not something we read: the message says what it is, in one line."""


def kind_of(mode: int) -> str:
    """A reader's word for a file type."""
    for test, word in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return word
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file; raise ``UnsafePath`` otherwise."""
    name = os.fspath(path)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnsafePath(f"{name}: cannot open: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafePath(f"{name}: is {kind_of(mode)}, not a regular file: refused")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; ``UnsafePath`` otherwise."""
    with open_regular(path) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafePath(f"{os.fspath(path)}: larger than {max_bytes} bytes: refused")
    return data


def check_directory(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it is a directory (not following a final symlink to elsewhere
    is the caller's business); ``UnsafePath`` otherwise."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        raise UnsafePath(f"{p}: cannot open: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(mode):
        raise UnsafePath(f"{p}: is {kind_of(mode)}, not a directory")
    return p
