"""Write ``linux.resources`` into cgroup v2 interface files (a pure-v2 host)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from oci_conform.reference.runtime.cgroups_v1 import _w

JSON = dict[str, Any]


def _max(value: int | None) -> str:
    return "max" if value is None or value < 0 else str(value)


def shares_to_weight(shares: int) -> int:
    """cgroup v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000)."""
    return 1 + ((shares - 2) * 9999) // 262142


def apply(path: Path, res: JSON) -> None:
    mem = res.get("memory") or {}
    if mem.get("limit") is not None:
        _w(path / "memory.max", _max(mem["limit"]))
    if mem.get("reservation") is not None:
        _w(path / "memory.low", mem["reservation"])
    if mem.get("swap") is not None:
        limit = mem.get("limit")
        swap = mem["swap"]
        value = "max" if swap < 0 else (swap - limit if limit and limit > 0 else swap)
        _w(path / "memory.swap.max", value)
    cpu = res.get("cpu") or {}
    if cpu.get("shares"):
        _w(path / "cpu.weight", shares_to_weight(cpu["shares"]))
    if cpu.get("quota") is not None or cpu.get("period"):
        quota = cpu.get("quota")
        _w(path / "cpu.max", f"{_max(quota if quota else -1)} {cpu.get('period') or 100000}")
    if cpu.get("idle") is not None:
        _w(path / "cpu.idle", cpu["idle"])
    if cpu.get("cpus"):
        _w(path / "cpuset.cpus", cpu["cpus"])
    if cpu.get("mems"):
        _w(path / "cpuset.mems", cpu["mems"])
    pids = res.get("pids") or {}
    if pids.get("limit") is not None:
        _w(path / "pids.max", "max" if pids["limit"] <= 0 else pids["limit"])
    bio = res.get("blockIO") or {}
    if bio.get("weight") is not None:
        _w(path / "io.weight", f"default {bio['weight']}")
    for key, field in (("throttleReadBpsDevice", "rbps"), ("throttleWriteBpsDevice", "wbps"),
                       ("throttleReadIOPSDevice", "riops"),
                       ("throttleWriteIOPSDevice", "wiops")):
        for dev in bio.get(key) or []:
            _w(path / "io.max", f"{dev['major']}:{dev['minor']} {field}={dev['rate']}")
    for h in res.get("hugepageLimits") or []:
        _w(path / f"hugetlb.{h['pageSize']}.max", h["limit"])
    for key, value in (res.get("unified") or {}).items():
        if "/" in key or key.startswith("."):
            raise ValueError(f"unified key {key!r} is not a plain file name")
        _w(path / key, value)
