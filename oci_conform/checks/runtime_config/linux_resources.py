"""``linux.resources``: the ranges and cross-field rules of every cgroup setting."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import cpu_list_ok, is_int
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, judge
from oci_conform.checks.runtime_config.pointer import get, join

L = "rt.config-linux."
R = "/linux/resources"
UNIFIED_KEY = re.compile(r"^[a-z0-9_]+\.[A-Za-z0-9_.]+$")


def check_resources(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    res = get(doc, "linux", "resources")
    if not isinstance(res, dict):
        return
    sections: list[tuple[str, Callable[[dict[str, Any]], Iterator[Obs]]]] = [
        ("memory", lambda mem: _memory(mem, ctx)), ("cpu", _cpu), ("blockIO", _block_io),
        ("rdma", _rdma),
        ("unified", _unified), ("pids", lambda pids: _pids(pids, ctx))]
    for section, check in sections:
        value = res.get(section)
        if isinstance(value, dict):
            yield from check(value)


INT64 = (-2**63, 2**63 - 1)


def _memory(mem: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    where = f"{R}/memory"
    if not ctx.at_least("1.1.0"):
        # Before 1.1.0 the kernel limits were plain optional int64 fields (the schema's
        # type rule files under the 1.1.0+ clause, which is not in force here).
        for field, clause in (("kernel", "memory.5-pre-1.1"), ("kernelTCP", "memory.6-pre-1.1")):
            if field in mem:
                value = mem[field]
                yield judge(L + clause, f"{where}/{field}",
                            is_int(value) and INT64[0] <= value <= INT64[1],
                            f"{field} is an int64 byte count", "an int64", value)
    for field, clause in (("limit", "memory.2"), ("reservation", "memory.3"), ("swap", "memory.4")):
        value = mem.get(field)
        if is_int(value):
            yield judge(L + clause, f"{where}/{field}", value >= -1,
                        f"{field} is a byte count or -1 (unlimited)", ">= -1", value)
    limit, swap = mem.get("limit"), mem.get("swap")
    if is_int(limit) and is_int(swap) and limit > 0 and swap > 0:
        yield judge(L + "memory.4", f"{where}/swap", swap >= limit,
                    "swap limits memory+swap together, so it cannot be below the memory limit",
                    f">= {limit}", swap)
    for field, clause in (("kernel", "memory.5"), ("kernelTCP", "memory.6")):
        if field in mem:
            yield bad(L + clause, f"{where}/{field}", f"{field} is NOT RECOMMENDED (cgroup v2 has "
                      "no such limit and newer kernels ignore it)", "absent", mem[field])
    swappiness = mem.get("swappiness")
    if is_int(swappiness):
        yield judge(L + "memory.7", f"{where}/swappiness", 0 <= swappiness <= 100,
                    "swappiness runs from 0 to 100", "0..100", swappiness)


def _cpu(cpu: dict[str, Any]) -> Iterator[Obs]:
    where = f"{R}/cpu"
    quota, burst = cpu.get("quota"), cpu.get("burst")
    if is_int(quota) and is_int(burst) and quota > 0:
        yield judge(L + "cpu.6", f"{where}/burst", burst <= quota,
                    "burst is larger than the positive quota", f"<= {quota}", burst)
        yield judge(L + "cpu.4", f"{where}/quota", quota >= burst,
                    "quota is smaller than burst", f">= {burst}", quota)
    period = cpu.get("period")
    if is_int(period) and period != 0:
        yield judge(L + "cpu.7", f"{where}/period", 1000 <= period <= 1_000_000,
                    "the CFS period runs from 1000 to 1000000 microseconds", "1000..1000000",
                    period)
    for field, clause in (("cpus", "cpu.10"), ("mems", "cpu.11")):
        value = cpu.get(field)
        if isinstance(value, str) and value:
            yield judge(L + clause, f"{where}/{field}", cpu_list_ok(value),
                        "not a list such as 0-3,7", "a list such as 0-3,7", value)
    idle = cpu.get("idle")
    if is_int(idle):
        yield judge(L + "cpu.12", f"{where}/idle", idle in (0, 1), "idle is 0 or 1", "0 or 1", idle)


def _block_io(bio: dict[str, Any]) -> Iterator[Obs]:
    devices = bio.get("weightDevice")
    if not isinstance(devices, list):
        return
    for i, dev in enumerate(devices):
        if isinstance(dev, dict):
            yield judge(L + "block-io.8", f"{R}/blockIO/weightDevice/{i}",
                        "weight" in dev or "leafWeight" in dev,
                        "a weightDevice entry needs weight or leafWeight", "weight or leafWeight",
                        "neither")


def _pids(pids: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    if not ctx.at_least("1.3.0"):
        yield judge(L + "pids.2-pre-1.3", f"{R}/pids", "limit" in pids,
                    "before 1.3.0 pids.limit is required", "member 'limit'", "absent")
    limit = pids.get("limit")
    if is_int(limit):
        yield judge(L + "pids.2", f"{R}/pids/limit", limit >= -1,
                    "pids limit is a count or -1 (no limit)", ">= -1", limit)


def _rdma(rdma: dict[str, Any]) -> Iterator[Obs]:
    for device, entry in rdma.items():
        if isinstance(entry, dict):
            yield judge(L + "rdma.4", join(f"{R}/rdma", device),
                        "hcaHandles" in entry or "hcaObjects" in entry,
                        "an rdma entry needs hcaHandles or hcaObjects",
                        "hcaHandles or hcaObjects", "neither")


def _unified(unified: dict[str, Any]) -> Iterator[Obs]:
    for key in unified:
        yield judge(L + "unified.1", join(f"{R}/unified", key), bool(UNIFIED_KEY.match(key)),
                    "not a cgroup v2 interface file name (controller.file)",
                    "e.g. memory.max", key)
