"""process.terminal: the pty master arrives over --console-socket and carries the output."""
from __future__ import annotations

import os
import socket
import threading

import pytest

pytestmark = pytest.mark.integration


def test_console_socket_gets_pty_master(rt, tmp_path):
    path = tmp_path / "console.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    got: dict = {}

    def accept() -> None:
        conn, _ = server.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            got["fd"] = fds[0]

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    bundle, cfg = rt.bundle("tty", ["sh", "-c", "tty; [ -t 0 ] && echo IS-A-TTY"])
    cfg["process"]["terminal"] = True
    cfg["process"]["consoleSize"] = {"height": 30, "width": 100}
    rt.write(bundle, cfg)
    rt.ids.add("tty")
    try:
        res = rt("create", "--bundle", str(bundle), "--console-socket", str(path), "tty")
        assert res.code == 0, res.err
        thread.join(10)
        assert "fd" in got, "no pty master received"
        assert rt("start", "tty").code == 0
        rt.wait_status("tty", "stopped")
        out = b""
        while True:
            try:
                chunk = os.read(got["fd"], 4096)
            except OSError:          # EIO once the slave side is closed
                break
            if not chunk:
                break
            out += chunk
        text = out.decode(errors="replace")
        assert "/dev/pts/" in text and "IS-A-TTY" in text
    finally:
        server.close()
        if "fd" in got:
            os.close(got["fd"])
    missing = rt("create", "--bundle", str(bundle), "tty2")   # terminal without a socket
    assert missing.code != 0 and "console-socket" in missing.err
