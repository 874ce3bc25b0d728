"""``linux.namespaces`` and what depends on them: id mappings, time offsets, sysctl."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs, is_int, namespaces
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge
from oci_conform.checks.runtime_config.pointer import get, join

L = "rt.config-linux."
SYSCTL_NAME = re.compile(r"^[A-Za-z0-9_-]+([./][A-Za-z0-9_*:-]+)+$")
IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
               "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
UTS_SYSCTLS = ("kernel.hostname", "kernel.domainname")
TIME_CLOCKS = ("boottime", "monotonic")


def check_namespaces(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    entries = get(doc, "linux", "namespaces")
    if not isinstance(entries, list):
        return
    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        kind, path = entry.get("type"), entry.get("path")
        if isinstance(kind, str):
            if kind in first:
                yield bad(L + "namespaces.8", f"/linux/namespaces/{i}/type",
                          f"namespace type {kind!r} is listed twice (first at index {first[kind]})",
                          "each type once", kind)
            else:
                first[kind] = i
                yield good(L + "namespaces.8", f"/linux/namespaces/{i}/type")
        if isinstance(path, str) and path:
            yield judge(L + "namespaces.3", f"/linux/namespaces/{i}/path", is_abs(path),
                        "namespace path is not absolute", "an absolute path", path)


def check_mappings(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    has_user = "user" in namespaces(doc)
    for field, clause in (("uidMappings", "user-namespace-mappings.1"),
                          ("gidMappings", "user-namespace-mappings.2")):
        value = get(doc, "linux", field)
        if isinstance(value, list) and value:
            yield judge(L + clause, f"/linux/{field}", has_user,
                        f"{field} is set but there is no user namespace", "a user namespace",
                        "none")


def check_time_offsets(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    offsets = get(doc, "linux", "timeOffsets")
    if not isinstance(offsets, dict):
        return
    yield judge(L + "time-offset.1", "/linux/timeOffsets", "time" in namespaces(doc),
                "timeOffsets is set but there is no time namespace", "a time namespace", "none")
    for clock, value in offsets.items():
        where = join("/linux/timeOffsets", clock)
        yield judge(L + "time-offset.1", where, clock in TIME_CLOCKS,
                    "time offsets exist for the boottime and monotonic clocks only",
                    "boottime or monotonic", clock)
        nanos = value.get("nanosecs") if isinstance(value, dict) else None
        if is_int(nanos):
            yield judge(L + "time-offset.3", f"{where}/nanosecs", nanos < 1_000_000_000,
                        "nanosecs must be below one second", "< 1000000000", nanos)


def sysctl_namespace(name: str) -> str:
    """The namespace a sysctl belongs to ('' when it is not namespaced or unknown)."""
    dotted = name.replace("/", ".")
    if dotted.startswith("net."):
        return "network"
    if dotted in IPC_SYSCTLS or dotted.startswith("fs.mqueue."):
        return "ipc"
    if dotted in UTS_SYSCTLS:
        return "uts"
    return ""


def check_sysctl(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    sysctl = get(doc, "linux", "sysctl")
    if not isinstance(sysctl, dict):
        return
    have = namespaces(doc)
    for name in sysctl:
        where = join("/linux/sysctl", name)
        if not SYSCTL_NAME.match(name):
            yield bad(L + "sysctl.1", where, "not a sysctl name", "e.g. net.ipv4.ip_forward", name)
            continue
        needed = sysctl_namespace(name)
        if needed:
            yield judge(L + "sysctl.1", where, needed in have,
                        f"{name} is per-{needed}-namespace but the container has no {needed} "
                        "namespace, so it would change the host", f"a {needed} namespace", "none")
