"""A cgroup v2 view of a hybrid host, for tests.

Each command runs in its own private mount namespace (``unshare -m``, all mounts made
private first) in which the v1 tmpfs at /sys/fs/cgroup is detached and the kernel's one
cgroup2 hierarchy is mounted there instead.  Nothing of it reaches the host's mount
table, and every call sees the same hierarchy: the one the host has at
/sys/fs/cgroup/unified, where the folders the tests make are also removed.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

HOST_V2 = Path("/sys/fs/cgroup/unified")
_SCRIPT = ('umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup '
           '&& exec "$@"')


def prefix() -> list[str]:
    """argv prefix that runs the rest of an argv in the v2 view."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", _SCRIPT, "v2view"]


def unavailable() -> str | None:
    """Why the view cannot be made on this host (``None``: it can)."""
    if os.geteuid() != 0:
        return "the v2 view needs root"
    if shutil.which("unshare") is None:
        return "no unshare(1)"
    if not (HOST_V2 / "cgroup.controllers").exists():
        return "the host has no cgroup2 mount at /sys/fs/cgroup/unified (not a hybrid host)"
    try:
        probe = subprocess.run([*prefix(), "cat", "/sys/fs/cgroup/cgroup.controllers"],
                               capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot make the v2 view: {exc}"
    if probe.returncode != 0:
        return f"cannot make the v2 view: {probe.stderr.strip()}"
    return None


def controllers() -> set[str]:
    return set((HOST_V2 / "cgroup.controllers").read_text().split())


def run(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in the view; capture its output."""
    return subprocess.run([*prefix(), *argv], capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def read(path: str) -> str | None:
    """A file's text as seen from the view (``None`` when it cannot be read)."""
    res = run("cat", path)
    return res.stdout if res.returncode == 0 else None


def is_dir(path: str) -> bool:
    return run("test", "-d", path).returncode == 0


class SubtreeGuard:
    """Puts the root's ``cgroup.subtree_control`` back as it was (the runtime enables
    controllers there and, like other runtimes, leaves them on)."""

    def __init__(self) -> None:
        self.before = set(self._read())

    @staticmethod
    def _read() -> list[str]:
        return (HOST_V2 / "cgroup.subtree_control").read_text().split()

    def restore(self) -> list[str]:
        """Disable what was enabled since; returns those the kernel kept on."""
        kept = []
        for ctrl in sorted(set(self._read()) - self.before):
            try:
                (HOST_V2 / "cgroup.subtree_control").write_text(f"-{ctrl}")
            except OSError:
                kept.append(ctrl)
        return kept


def remove_tree(top: Path) -> list[str]:
    """Kill what runs in ``top`` (a host path) and rmdir it, deepest first.

    Returns the folders that stayed."""
    if not top.is_dir():
        return []
    folders = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
    left = []
    for folder in [*folders, top]:
        for _ in range(50):
            for pid in (folder / "cgroup.procs").read_text().split() \
                    if (folder / "cgroup.procs").exists() else []:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            try:
                folder.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)
        else:
            left.append(str(folder))
    return left
