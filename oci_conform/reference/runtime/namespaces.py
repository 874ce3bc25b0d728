"""Namespace types from config.json: unshare flags, joining by path, id mappings."""
from __future__ import annotations

import os

from oci_conform.reference.runtime import syscalls as sc

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

FLAGS = {"pid": sc.CLONE_NEWPID, "network": sc.CLONE_NEWNET, "mount": sc.CLONE_NEWNS,
         "ipc": sc.CLONE_NEWIPC, "uts": sc.CLONE_NEWUTS, "user": sc.CLONE_NEWUSER,
         "cgroup": sc.CLONE_NEWCGROUP, "time": sc.CLONE_NEWTIME}
# joining order: user first (it grants the rights for the rest), mount last
JOIN_ORDER = ("user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount")
CLOCKS = ("monotonic", "boottime")


class Plan:
    """Namespaces to create (type -> clone flag) and to join (type, path)."""

    def __init__(self) -> None:
        self.new: dict[str, int] = {}
        self.join: list[tuple[str, str]] = []

    @property
    def new_user(self) -> bool:
        return "user" in self.new

    @property
    def join_user(self) -> bool:
        return any(t == "user" for t, _ in self.join)

    def unshare_flags(self, without_user: bool = True) -> int:
        flags = 0
        for kind, flag in self.new.items():
            if without_user and kind == "user":
                continue
            flags |= flag
        return flags


def plan(linux: JSON) -> Plan:
    out = Plan()
    for ns in linux.get("namespaces", []):
        if ns.get("path"):
            out.join.append((ns["type"], ns["path"]))
        else:
            out.new[ns["type"]] = FLAGS[ns["type"]]
    out.join.sort(key=lambda tp: JOIN_ORDER.index(tp[0]))
    return out


def open_join_fds(p: Plan) -> list[tuple[str, int]]:
    """Open the namespace files first (paths may not resolve after joining a mount ns)."""
    fds = []
    for kind, path in p.join:
        fds.append((kind, os.open(path, os.O_RDONLY | os.O_CLOEXEC)))
    return fds


def join(fds: list[tuple[str, int]], kinds: tuple[str, ...] | None = None) -> None:
    for kind, fd in fds:
        if kinds is None or kind in kinds:
            try:
                sc.setns(fd, FLAGS[kind])
            except OSError as exc:
                raise OSError(exc.errno, f"join {kind} namespace: {exc.strerror}") from None


def map_text(mappings: list[JSON]) -> str:
    return "".join(f"{m['containerID']} {m['hostID']} {m['size']}\n" for m in mappings)


def write_maps(pid: int, linux: JSON) -> None:
    """Write uid_map and gid_map of ``pid`` (called by the parent, outside the userns)."""
    for name, key in (("uid_map", "uidMappings"), ("gid_map", "gidMappings")):
        with open(f"/proc/{pid}/{name}", "w") as fh:
            fh.write(map_text(linux.get(key, [])))


def time_supported() -> bool:
    return os.path.exists("/proc/self/ns/time")


def write_time_offsets(offsets: JSON) -> None:
    """Set the new time namespace's clock offsets (before any process enters it)."""
    lines = []
    for clock in CLOCKS:
        off = offsets.get(clock)
        if off:
            lines.append(f"{clock} {int(off.get('secs', 0))} {int(off.get('nanosecs', 0))}\n")
    for line in lines:          # one write per clock: the kernel parses one line at a time
        with open("/proc/self/timens_offsets", "w") as fh:
            fh.write(line)
