"""``pause`` / ``resume``: freeze and thaw every process of the container's cgroup.

cgroup v1 (and hybrid hosts, whose freezer controller is v1): ``freezer.state`` in the
container's freezer folder, ``FROZEN`` / ``THAWED``; the kernel may pass through
``FREEZING``, so the write is repeated until the state reads back.  cgroup v2:
``cgroup.freeze`` (1 / 0) in the container's folder, done once ``cgroup.events`` says
``frozen 1`` (or ``frozen 0``).  The file used is kept in the state, so ``state`` can
report ``paused`` from what the kernel says.
"""
from __future__ import annotations

import os
import time

from oci_conform.reference.runtime.errors import RuntimeFailure

TIMEOUT = 10.0


def control_file(rel: str) -> str:
    """The freezer file of the container's cgroup ``rel`` on this host."""
    from oci_conform.reference.runtime import cgroups
    paths = cgroups.member_paths(rel)
    if "freezer" in paths:
        return f"{paths['freezer']}/freezer.state"
    if cgroups.mode() == "v2" and "unified" in paths:
        return f"{paths['unified']}/cgroup.freeze"
    raise RuntimeFailure("pause: this host has no freezer (no v1 freezer controller and "
                         "not a cgroup v2 host)")


def is_frozen(path: str) -> bool:
    """Whether the kernel reports the folder of ``path`` frozen (False if unreadable)."""
    try:
        if path.endswith("freezer.state"):
            with open(path) as fh:
                return fh.read().strip() == "FROZEN"
        with open(path.rsplit("/", 1)[0] + "/cgroup.events") as fh:
            return "frozen 1" in fh.read().splitlines()
    except OSError:
        return False


def _write(path: str, value: str) -> None:
    try:
        with open(path, "w") as fh:
            fh.write(value)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {value} to {path}: {exc.strerror}") from None


def set_frozen(path: str, frozen: bool) -> None:
    """Freeze or thaw and wait until the kernel says so (RuntimeFailure after 10 s)."""
    v1 = path.endswith("freezer.state")
    value = ("FROZEN" if frozen else "THAWED") if v1 else ("1" if frozen else "0")
    deadline = time.monotonic() + TIMEOUT
    delay = 0.0005
    _write(path, value)
    while is_frozen(path) != frozen:
        if time.monotonic() > deadline:
            raise RuntimeFailure(f"{path}: still not {value} after {TIMEOUT:.0f}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
        if v1:
            _write(path, value)     # a v1 freeze can stall in FREEZING: ask again
    if not os.path.exists(path):
        raise RuntimeFailure(f"{path}: the cgroup vanished")
