"""Each container gets its own session keyring ``_ses.<id>`` (searchable by its owner), as
runc does, unless ``--no-new-keyring``.  A createContainer hook inherits the init's
session keyring, so a host python in that hook describes it."""
from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.integration

HOOK = """#!/bin/sh
exec python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
nr = {"x86_64": 250, "aarch64": 219}[__import__("os").uname().machine]
ring = libc.syscall(nr, 0, ctypes.c_long(-3), 0)
buf = ctypes.create_string_buffer(256)
libc.syscall(nr, 6, ctypes.c_long(ring), buf, 256)
open(sys.argv[1], "w").write(buf.value.decode())
' "$1"
"""


def _keyring(runtime, name, tmp_path, *flags):
    hook = tmp_path / "keyhook.sh"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    out = tmp_path / f"{runtime.prefix}{name}.key"
    bundle, cfg = runtime.bundle(name, ["true"])
    cfg["hooks"] = {"createContainer": [{"path": str(hook), "args": ["h", str(out)]}]}
    runtime.write(bundle, cfg)
    runtime.ids.add(name)
    res = runtime("run", *flags, "--bundle", str(bundle), name)
    assert res.code == 0, res.err
    return out.read_text().split(";")


def test_session_keyring_like_runc(rt, runc, tmp_path):
    if shutil.which("python3") is None:
        pytest.skip("no host python3 for the hook")
    ours, theirs = _keyring(rt, "kr", tmp_path), _keyring(runc, "kr", tmp_path)
    assert theirs[0] == "keyring" and theirs[-1] == "_ses.kr"      # the control
    assert ours == theirs                                         # type, ids, perm, name
    shared = _keyring(rt, "kr2", tmp_path, "--no-new-keyring")
    assert shared[-1] != "_ses.kr2"
