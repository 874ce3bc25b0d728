"""``linux.resources``: the ranges and cross-field rules of every cgroup setting."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import cpu_list_ok, is_int, value_rule
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.pointer import get, join
from oci_conform.model.judging import Observation, failed, observed

R = "/linux/resources"
UNIFIED_KEY = re.compile(r"^[a-z0-9_]+\.[A-Za-z0-9_.]+$")


def check_resources(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    res = get(doc, "linux", "resources")
    if not isinstance(res, dict):
        return
    sections: list[tuple[str, Callable[[dict[str, Any]], Iterator[Observation]]]] = [
        ("memory", lambda mem: _memory(mem, ctx)), ("cpu", _cpu), ("blockIO", _block_io),
        ("rdma", _rdma),
        ("unified", _unified), ("pids", lambda pids: _pids(pids, ctx))]
    for section, check in sections:
        value = res.get(section)
        if isinstance(value, dict):
            yield from check(value)


INT64 = (-2**63, 2**63 - 1)


def _memory(mem: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    where = f"{R}/memory"
    if not ctx.at_least("1.1.0"):
        # Before 1.1.0 the kernel limits were plain optional int64 fields (the schema's
        # type rule files under the 1.1.0+ clause, which is not in force here).
        for field, clause in (("kernel", "rt.config-linux.memory.5-pre-1.1"),
                              ("kernelTCP", "rt.config-linux.memory.6-pre-1.1")):
            if field in mem:
                value = mem[field]
                yield from value_rule(clause, "rt.config.property-values",
                                      is_int(value) and INT64[0] <= value <= INT64[1],
                                      f"{field} is an int64 byte count",
                                      location=f"{where}/{field}", expected="an int64",
                                      actual=value)
    for field, clause in (("limit", "rt.config-linux.memory.2"),
                          ("reservation", "rt.config-linux.memory.3"),
                          ("swap", "rt.config-linux.memory.4")):
        value = mem.get(field)
        if is_int(value):
            yield from value_rule(clause, "rt.config.property-values", value >= -1,
                                  f"{field} is a byte count or -1 (unlimited)",
                                  location=f"{where}/{field}", expected=">= -1", actual=value)
    limit, swap = mem.get("limit"), mem.get("swap")
    if is_int(limit) and is_int(swap) and limit > 0 and swap > 0:
        yield observed("rt.config-linux.memory.4", swap >= limit,
                       "swap limits memory+swap together, so it cannot be below the memory limit",
                       location=f"{where}/swap", expected=f">= {limit}", actual=swap)
    for field, clause in (("kernel", "rt.config-linux.memory.5"),
                          ("kernelTCP", "rt.config-linux.memory.6")):
        if field in mem:
            yield failed(clause,
                         f"{field} is NOT RECOMMENDED (cgroup v2 has "
                         "no such limit and newer kernels ignore it)",
                         location=f"{where}/{field}", expected="absent", actual=mem[field])
    swappiness = mem.get("swappiness")
    if is_int(swappiness):
        yield from value_rule("rt.config-linux.memory.7", "rt.config.property-values",
                              0 <= swappiness <= 100, "swappiness runs from 0 to 100",
                              location=f"{where}/swappiness", expected="0..100", actual=swappiness)


def _cpu(cpu: dict[str, Any]) -> Iterator[Observation]:
    where = f"{R}/cpu"
    quota, burst = cpu.get("quota"), cpu.get("burst")
    if is_int(quota) and is_int(burst) and quota > 0:
        yield observed("rt.config-linux.cpu.6", burst <= quota,
                       "burst is larger than the positive quota", location=f"{where}/burst",
                       expected=f"<= {quota}", actual=burst)
        yield observed("rt.config-linux.cpu.4", quota >= burst, "quota is smaller than burst",
                       location=f"{where}/quota", expected=f">= {burst}", actual=quota)
    period = cpu.get("period")
    if is_int(period) and period != 0:
        yield observed("rt.config-linux.cpu.7", 1000 <= period <= 1_000_000,
                       "the CFS period runs from 1000 to 1000000 microseconds",
                       location=f"{where}/period", expected="1000..1000000", actual=period)
    for field, clause in (("cpus", "rt.config-linux.cpu.10"),
                          ("mems", "rt.config-linux.cpu.11")):
        value = cpu.get(field)
        if isinstance(value, str) and value:
            yield from value_rule(clause, "rt.config.property-values", cpu_list_ok(value),
                                  "not a list such as 0-3,7", location=f"{where}/{field}",
                                  expected="a list such as 0-3,7", actual=value)
    idle = cpu.get("idle")
    if is_int(idle):
        yield from value_rule("rt.config-linux.cpu.12", "rt.config.property-values", idle in (0, 1),
                              "idle is 0 or 1", location=f"{where}/idle", expected="0 or 1",
                              actual=idle)


def _block_io(bio: dict[str, Any]) -> Iterator[Observation]:
    devices = bio.get("weightDevice")
    if not isinstance(devices, list):
        return
    for i, dev in enumerate(devices):
        if isinstance(dev, dict):
            yield observed("rt.config-linux.block-io.8", "weight" in dev or "leafWeight" in dev,
                           "a weightDevice entry needs weight or leafWeight",
                           location=f"{R}/blockIO/weightDevice/{i}",
                           expected="weight or leafWeight", actual="neither")


def _pids(pids: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    if not ctx.at_least("1.3.0"):
        yield observed("rt.config-linux.pids.2-pre-1.3", "limit" in pids,
                       "before 1.3.0 pids.limit is required", location=f"{R}/pids",
                       expected="member 'limit'", actual="absent")
    limit = pids.get("limit")
    if is_int(limit):
        yield from value_rule("rt.config-linux.pids.2", "rt.config.property-values", limit >= -1,
                              "pids limit is a count or -1 (no limit)", location=f"{R}/pids/limit",
                              expected=">= -1", actual=limit)


def _rdma(rdma: dict[str, Any]) -> Iterator[Observation]:
    for device, entry in rdma.items():
        if isinstance(entry, dict):
            yield observed("rt.config-linux.rdma.4", "hcaHandles" in entry or "hcaObjects" in entry,
                           "an rdma entry needs hcaHandles or hcaObjects",
                           location=join(f"{R}/rdma", device), expected="hcaHandles or hcaObjects",
                           actual="neither")


def _unified(unified: dict[str, Any]) -> Iterator[Observation]:
    for key in unified:
        yield observed("rt.config-linux.unified.1", bool(UNIFIED_KEY.match(key)),
                       "not a cgroup v2 interface file name (controller.file)",
                       location=join(f"{R}/unified", key), expected="e.g. memory.max", actual=key)
