"""The container process's terminal: a new pty whose master goes to ``--console-socket``."""
from __future__ import annotations

import os

from oci_conform.reference.runtime import unixsock

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]


def preload() -> None:
    """The pty set-up runs after pivot_root (or chroot), where nothing can be imported."""
    import fcntl  # noqa: F401
    import struct  # noqa: F401
    import termios  # noqa: F401


def attach(console: unixsock.Sock, proc: JSON) -> None:
    """Open a pty in the container's /dev, send its master over ``console`` and make its
    slave the controlling terminal and stdio of this process (a session leader)."""
    import fcntl
    import struct
    import termios
    master, slave = os.openpty()
    size = proc.get("consoleSize") or {}
    if size:
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", size.get("height", 0), size.get("width", 0), 0, 0))
    unixsock.send_fds(console, b"/dev/ptmx", [master])
    console.close()
    os.close(master)
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
