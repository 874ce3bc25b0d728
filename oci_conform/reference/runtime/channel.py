"""Messages between the runtime and its init process: marshal'd dicts, length-prefixed.

Both ends are this runtime (the same interpreter, forked), so the built-in ``marshal``
format serves, and neither end has to import ``json`` for it.
"""
from __future__ import annotations

import marshal

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

    from oci_conform.reference.runtime.unixsock import Sock

HEADER = 4              # bytes of big-endian length before each message


class Channel:
    def __init__(self, sock: Sock) -> None:
        self.sock = sock
        self._buf = b""

    def send(self, **msg: Any) -> None:
        data = marshal.dumps(msg)
        self.sock.sendall(len(data).to_bytes(HEADER, "big") + data)

    def _fill(self, size: int) -> str:
        """Read until ``size`` bytes are buffered; '' or why not."""
        while len(self._buf) < size:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return "timed out waiting for the container init"
            except OSError as exc:
                return str(exc) or "receive failed"
            if not chunk:
                return "eof"
            self._buf += chunk
        return ""

    def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message; ``{"eof": True}`` when the peer went away."""
        self.sock.settimeout(timeout)
        problem = self._fill(HEADER)
        size = int.from_bytes(self._buf[:HEADER], "big")
        problem = problem or self._fill(HEADER + size)
        if problem:
            return {"eof": True} if problem == "eof" else {"eof": True, "error": problem}
        data, self._buf = self._buf[HEADER:HEADER + size], self._buf[HEADER + size:]
        try:
            msg = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return {"eof": True, "error": "garbled message from the container init"}
        return msg if isinstance(msg, dict) else {"eof": True}

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
