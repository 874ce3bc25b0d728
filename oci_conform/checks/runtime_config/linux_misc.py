"""The rest of ``linux``: masked/readonly paths, cgroupsPath, intelRdt, memoryPolicy."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import cpu_list_ok, is_abs
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, good, judge
from oci_conform.checks.runtime_config.pointer import get

L = "rt.config-linux."
NODES_REQUIRED = ("MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED_MANY")
NODES_FORBIDDEN = ("MPOL_DEFAULT", "MPOL_LOCAL")


def check_paths(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    for field, clause in (("maskedPaths", "masked-paths.2"), ("readonlyPaths", "readonly-paths.2")):
        paths = get(doc, "linux", field)
        if isinstance(paths, list):
            for i, path in enumerate(paths):
                if isinstance(path, str):
                    yield judge(L + clause, f"/linux/{field}/{i}", is_abs(path),
                                "not an absolute path", "an absolute path", path)
    if isinstance(get(doc, "linux", "cgroupsPath"), str):
        yield good(L + "cgroups-path.2", "/linux/cgroupsPath")


def check_intel_rdt(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    rdt = get(doc, "linux", "intelRdt")
    if not isinstance(rdt, dict):
        return
    w = "/linux/intelRdt"
    clos = rdt.get("closID")
    if isinstance(clos, str) and clos:
        ok = clos == "/" or ("/" not in clos and clos not in (".", "..") and "\n" not in clos)
        yield judge(L + "intel-rdt.5", f"{w}/closID", ok,
                    "closID names one resctrl directory (or is '/')", "a directory name or '/'",
                    clos)
    l3 = rdt.get("l3CacheSchema")
    if isinstance(l3, str) and l3:
        yield judge(L + "intel-rdt.8",
                    f"{w}/l3CacheSchema", l3.startswith("L3:") and "\n" not in l3,
                    "l3CacheSchema should start with 'L3:' and hold no newline", "L3:...", l3)
    mb = rdt.get("memBwSchema")
    if isinstance(mb, str) and mb:
        yield judge(L + "intel-rdt.10", f"{w}/memBwSchema", mb.startswith("MB:") and "\n" not in mb,
                    "memBwSchema must start with 'MB:' and hold no newline", "MB:...", mb)
    schemata = rdt.get("schemata")
    if isinstance(schemata, list):
        for i, line in enumerate(schemata):
            if isinstance(line, str):
                yield judge(L + "intel-rdt.11", f"{w}/schemata/{i}", "\n" not in line,
                            "a schemata entry is one line", "no newline", line)


def check_memory_policy(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    policy = get(doc, "linux", "memoryPolicy")
    if not isinstance(policy, dict):
        return
    w = "/linux/memoryPolicy"
    mode, nodes = policy.get("mode"), policy.get("nodes")
    if isinstance(nodes, str) and nodes:
        yield judge(L + "memory-policy.3", f"{w}/nodes", cpu_list_ok(nodes),
                    "not a node list such as 0-3,7", "a list such as 0-3,7", nodes)
    has_nodes = isinstance(nodes, str) and bool(nodes)
    if mode in NODES_REQUIRED:
        yield judge(L + "memory-policy.3", f"{w}/nodes", has_nodes, f"{mode} needs nodes",
                    "a node list", "absent")
    elif mode in NODES_FORBIDDEN and has_nodes:
        yield judge(L + "memory-policy.3", f"{w}/nodes", False, f"{mode} takes no nodes",
                    "absent", nodes)
    flags = policy.get("flags")
    if isinstance(flags, list):
        both = {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"} <= set(map(str, flags))
        yield judge(L + "memory-policy.4", f"{w}/flags", not both,
                    "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other",
                    "at most one of them", flags)
