"""JSON messages, one per line, over a socket between the runtime and its init process."""
from __future__ import annotations

import json

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

    from oci_conform.reference.runtime.unixsock import Sock


class Channel:
    def __init__(self, sock: Sock) -> None:
        self.sock = sock
        self._buf = b""

    def send(self, **msg: Any) -> None:
        self.sock.sendall(json.dumps(msg).encode() + b"\n")

    def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message; ``{"eof": True}`` when the peer went away."""
        self.sock.settimeout(timeout)
        while b"\n" not in self._buf:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return {"eof": True, "error": "timed out waiting for the container init"}
            except OSError as exc:
                return {"eof": True, "error": str(exc)}
            if not chunk:
                return {"eof": True}
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            msg = json.loads(line)
        except ValueError:
            return {"eof": True, "error": "garbled message from the container init"}
        return msg if isinstance(msg, dict) else {"eof": True}

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
