"""The rest of ``linux``: masked/readonly paths, cgroupsPath, intelRdt, memoryPolicy."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import cpu_list_ok, is_abs
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.pointer import get
from oci_conform.model.judging import Observation, observed, passed

NODES_REQUIRED = ("MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED_MANY")
NODES_FORBIDDEN = ("MPOL_DEFAULT", "MPOL_LOCAL")


def check_paths(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    for field, clause in (("maskedPaths", "rt.config-linux.masked-paths.2"),
                          ("readonlyPaths", "rt.config-linux.readonly-paths.2")):
        paths = get(doc, "linux", field)
        if isinstance(paths, list):
            for i, path in enumerate(paths):
                if isinstance(path, str):
                    yield observed(clause, is_abs(path), "not an absolute path",
                                   location=f"/linux/{field}/{i}", expected="an absolute path",
                                   actual=path)
    if isinstance(get(doc, "linux", "cgroupsPath"), str):
        yield passed("rt.config-linux.cgroups-path.2")


def check_intel_rdt(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    rdt = get(doc, "linux", "intelRdt")
    if not isinstance(rdt, dict):
        return
    w = "/linux/intelRdt"
    clos = rdt.get("closID")
    if isinstance(clos, str) and clos:
        ok = clos == "/" or ("/" not in clos and clos not in (".", "..") and "\n" not in clos)
        yield observed("rt.config-linux.intel-rdt.5", ok,
                       "closID names one resctrl directory (or is '/')", location=f"{w}/closID",
                       expected="a directory name or '/'", actual=clos)
    l3 = rdt.get("l3CacheSchema")
    if isinstance(l3, str) and l3:
        yield observed("rt.config-linux.intel-rdt.8", l3.startswith("L3:") and "\n" not in l3,
                       "l3CacheSchema should start with 'L3:' and hold no newline",
                       location=f"{w}/l3CacheSchema", expected="L3:...", actual=l3)
    mb = rdt.get("memBwSchema")
    if isinstance(mb, str) and mb:
        yield observed("rt.config-linux.intel-rdt.10", mb.startswith("MB:") and "\n" not in mb,
                       "memBwSchema must start with 'MB:' and hold no newline",
                       location=f"{w}/memBwSchema", expected="MB:...", actual=mb)
    schemata = rdt.get("schemata")
    if isinstance(schemata, list):
        for i, line in enumerate(schemata):
            if isinstance(line, str):
                yield observed("rt.config-linux.intel-rdt.11", "\n" not in line,
                               "a schemata entry is one line", location=f"{w}/schemata/{i}",
                               expected="no newline", actual=line)


def check_memory_policy(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    policy = get(doc, "linux", "memoryPolicy")
    if not isinstance(policy, dict):
        return
    w = "/linux/memoryPolicy"
    mode, nodes = policy.get("mode"), policy.get("nodes")
    if isinstance(nodes, str) and nodes:
        yield observed("rt.config-linux.memory-policy.3", cpu_list_ok(nodes),
                       "not a node list such as 0-3,7", location=f"{w}/nodes",
                       expected="a list such as 0-3,7", actual=nodes)
    has_nodes = isinstance(nodes, str) and bool(nodes)
    if mode in NODES_REQUIRED and (has_nodes or "nodes" not in policy):
        yield observed("rt.config-linux.memory-policy.3", has_nodes, f"{mode} needs nodes",
                       location=f"{w}/nodes", expected="a node list", actual="absent")
    elif mode in NODES_FORBIDDEN and has_nodes:
        yield observed("rt.config-linux.memory-policy.3", False, f"{mode} takes no nodes",
                       location=f"{w}/nodes", expected="absent", actual=nodes)
    flags = policy.get("flags")
    if isinstance(flags, list):
        both = {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"} <= set(map(str, flags))
        yield observed("rt.config-linux.memory-policy.4", not both,
                       "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other",
                       location=f"{w}/flags", expected="at most one of them", actual=flags)
