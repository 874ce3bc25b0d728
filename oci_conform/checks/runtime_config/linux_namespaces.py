"""``linux.namespaces`` and what depends on them: id mappings, time offsets, sysctl."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import (
    is_abs,
    is_int,
    namespaces,
    namespaces_unreadable,
)
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.pointer import get, join
from oci_conform.model.judging import Observation, failed, observed, passed

SYSCTL_NAME = re.compile(r"^[A-Za-z0-9_-]+([./][A-Za-z0-9_*:-]+)+$")
IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
               "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
UTS_SYSCTLS = ("kernel.hostname", "kernel.domainname")
TIME_CLOCKS = ("boottime", "monotonic")


def check_namespaces(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
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
                yield failed("rt.config-linux.namespaces.8",
                             f"namespace type {kind!r} is listed twice "
                             f"(first at index {first[kind]})",
                             location=f"/linux/namespaces/{i}/type", expected="each type once",
                             actual=kind)
            else:
                first[kind] = i
                yield passed("rt.config-linux.namespaces.8")
        if isinstance(path, str) and path:
            yield observed("rt.config-linux.namespaces.3", is_abs(path),
                           "namespace path is not absolute", location=f"/linux/namespaces/{i}/path",
                           expected="an absolute path", actual=path)


def check_mappings(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    if namespaces_unreadable(doc):
        return
    has_user = "user" in namespaces(doc)
    for field, clause in (("uidMappings", "rt.config-linux.user-namespace-mappings.1"),
                          ("gidMappings", "rt.config-linux.user-namespace-mappings.2")):
        value = get(doc, "linux", field)
        if isinstance(value, list) and value:
            yield observed(clause, has_user, f"{field} is set but there is no user namespace",
                           location=f"/linux/{field}", expected="a user namespace", actual="none")


def check_time_offsets(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    offsets = get(doc, "linux", "timeOffsets")
    if not isinstance(offsets, dict) or namespaces_unreadable(doc):
        return
    yield observed("rt.config-linux.time-offset.1", "time" in namespaces(doc),
                   "timeOffsets is set but there is no time namespace",
                   location="/linux/timeOffsets", expected="a time namespace", actual="none")
    for clock, value in offsets.items():
        where = join("/linux/timeOffsets", clock)
        yield observed("rt.config-linux.time-offset.1", clock in TIME_CLOCKS,
                       "time offsets exist for the boottime and monotonic clocks only",
                       location=where, expected="boottime or monotonic", actual=clock)
        nanos = value.get("nanosecs") if isinstance(value, dict) else None
        if is_int(nanos):
            yield observed("rt.config-linux.time-offset.3", nanos < 1_000_000_000,
                           "nanosecs must be below one second", location=f"{where}/nanosecs",
                           expected="< 1000000000", actual=nanos)


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


def check_sysctl(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    sysctl = get(doc, "linux", "sysctl")
    if not isinstance(sysctl, dict) or namespaces_unreadable(doc):
        return
    have = namespaces(doc)
    for name in sysctl:
        where = join("/linux/sysctl", name)
        if not SYSCTL_NAME.match(name):
            yield failed("rt.config-linux.sysctl.1", "not a sysctl name", location=where,
                         expected="e.g. net.ipv4.ip_forward", actual=name)
            continue
        needed = sysctl_namespace(name)
        if needed:
            yield observed("rt.config-linux.sysctl.1", needed in have,
                           f"{name} is per-{needed}-namespace but the container has no {needed} "
                           "namespace, so it would change the host",
                           location=where, expected=f"a {needed} namespace", actual="none")
