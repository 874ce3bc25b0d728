"""cgroup v2 (a pure-v2 host): check ``linux.resources`` against the available
controllers, enable the needed ones down to the container's folder, write the files."""
from __future__ import annotations

import errno
import os

from oci_conform.reference.runtime.cgroups_v1 import write_value
from oci_conform.reference.runtime.errors import RuntimeFailure

TYPE_CHECKING = False   # typing is not imported at start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any
    JSON = dict[str, Any]

_CPU = ("shares", "quota", "period", "burst", "idle")
_SIMPLE = {"memory": "memory", "pids": "pids", "blockIO": "io", "hugepageLimits": "hugetlb",
           "rdma": "rdma"}
# interface files that move processes or reshape the tree: not resources
_NOT_RESOURCES = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type",
                  "cgroup.kill"}


def _needs_of(key: str, value: Any) -> list[str]:
    """The controllers one ``linux.resources`` entry needs (``[]``: no controller)."""
    if key == "cpu":
        return ([c for c, fields in (("cpu", _CPU), ("cpuset", ("cpus", "mems")))
                 if any(value.get(f) not in (None, "") for f in fields)])
    if key == "unified":
        return sorted({k.split(".", 1)[0] for k in value} - {"cgroup"})
    return [_SIMPLE[key]] if key in _SIMPLE else []


def needs(res: JSON) -> set[str]:
    """Every controller ``res`` needs (the ones to enable on the way down)."""
    from oci_conform.reference.runtime.cgroups import present
    return {c for k, v in res.items() if present(v) and isinstance(v, (dict, list))
            for c in _needs_of(k, v)}


def check(res: JSON, ctrls: set[str]) -> None:
    """Refuse (no side effects) what cgroup v2 with controllers ``ctrls`` cannot apply."""
    from oci_conform.reference.runtime.cgroups import present
    have = ", ".join(sorted(ctrls)) or "none"
    for key, value in res.items():
        if not present(value):
            continue
        where = f"config.json /linux/resources/{key}"
        if key == "devices":
            if any(r.get("allow") for r in value):
                raise RuntimeFailure(f"{where}: device rules on cgroup v2 need eBPF, which "
                                     "this runtime does not do")
            continue
        if key == "unified":
            _check_unified(value, ctrls, have)
            continue
        if key == "cpu" and (value.get("realtimeRuntime") or value.get("realtimePeriod")):
            raise RuntimeFailure(f"{where}: realtime budgets do not exist on cgroup v2")
        found = _needs_of(key, value) if key in ("cpu", *_SIMPLE) else None
        if found is None:
            raise RuntimeFailure(f"{where}: not supported on cgroup v2")
        for ctrl in found:
            if ctrl not in ctrls:
                raise RuntimeFailure(f"{where}: the {ctrl} controller is not available on "
                                     f"this host's cgroup v2 (it has: {have})")


def _check_unified(unified: Any, ctrls: set[str], have: str) -> None:
    if not isinstance(unified, dict):
        raise RuntimeFailure("config.json /linux/resources/unified: must be an object")
    for key, value in unified.items():
        where = f"config.json /linux/resources/unified/{key.replace('~', '~0')}"
        if "/" in key or key.startswith(".") or "." not in key or key in _NOT_RESOURCES:
            raise RuntimeFailure(f"{where}: not a cgroup v2 resource file name")
        if not isinstance(value, str):
            raise RuntimeFailure(f"{where}: the value must be a string")
        ctrl = key.split(".", 1)[0]
        if ctrl != "cgroup" and ctrl not in ctrls:
            raise RuntimeFailure(f"{where}: the {ctrl} controller is not available on this "
                                 f"host's cgroup v2 (it has: {have})")


def enabler(ctrls: set[str]) -> Callable[[str], None] | None:
    """For :func:`cgroups.mkdirs`: enable ``ctrls`` in the parent of each level.

    Only the parents are touched (cgroup v2 lets a folder with enabled controllers hold
    no processes, the root excepted); a folder that already has them is only read.
    """
    if not ctrls:
        return None

    def enable(path: str) -> None:
        parent = path.rsplit("/", 1)[0]
        with open(f"{parent}/cgroup.subtree_control") as fh:
            missing = sorted(ctrls - set(fh.read().split()))
        if not missing:
            return
        try:
            with open(f"{parent}/cgroup.subtree_control", "w") as fh:
                fh.write(" ".join(f"+{c}" for c in missing))
        except FileNotFoundError:
            raise
        except OSError as exc:
            why = " (it holds processes, and cgroup v2 allows processes only in leaf " \
                  "folders)" if exc.errno == errno.EBUSY else ""
            raise RuntimeFailure(f"config.json /linux/cgroupsPath: cannot enable "
                                 f"{', '.join(missing)} in {parent}: {exc.strerror}{why}"
                                 ) from None

    return enable


def _max(value: int | None) -> str:
    return "max" if value is None or value < 0 else str(value)


def shares_to_weight(shares: int) -> int:
    """cgroup v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000)."""
    return 1 + ((shares - 2) * 9999) // 262142


def apply(path: str, res: JSON) -> None:
    _memory(path, res.get("memory") or {})
    _cpu(path, res.get("cpu") or {})
    pids = res.get("pids") or {}
    if pids.get("limit") is not None:
        write_value(f"{path}/pids.max", "max" if pids["limit"] <= 0 else pids["limit"])
    _io(path, res.get("blockIO") or {})
    for h in res.get("hugepageLimits") or []:
        write_value(f"{path}/hugetlb.{h['pageSize']}.max", h["limit"])
        # the reservation limit too (kernel 5.7+): mmap then fails rather than a page fault
        if os.path.exists(f"{path}/hugetlb.{h['pageSize']}.rsvd.max"):
            write_value(f"{path}/hugetlb.{h['pageSize']}.rsvd.max", h["limit"])
    for key, value in (res.get("unified") or {}).items():
        if "/" in key or key.startswith("."):
            raise ValueError(f"unified key {key!r} is not a plain file name")
        try:
            write_value(f"{path}/{key}", value)
        except RuntimeFailure as exc:
            raise RuntimeFailure(f"config.json /linux/resources/unified/{key}: {exc}") from None


def _memory(path: str, mem: JSON) -> None:
    if mem.get("limit") is not None:
        write_value(f"{path}/memory.max", _max(mem["limit"]))
    if mem.get("reservation") is not None:
        write_value(f"{path}/memory.low", mem["reservation"])
    if mem.get("swap") is not None:
        limit = mem.get("limit")
        swap = mem["swap"]
        value = "max" if swap < 0 else (swap - limit if limit and limit > 0 else swap)
        write_value(f"{path}/memory.swap.max", value)


def _cpu(path: str, cpu: JSON) -> None:
    if cpu.get("shares"):
        write_value(f"{path}/cpu.weight", shares_to_weight(cpu["shares"]))
    if cpu.get("quota") is not None or cpu.get("period"):
        quota = cpu.get("quota")
        write_value(f"{path}/cpu.max",
                    f"{_max(quota if quota else -1)} {cpu.get('period') or 100000}")
    if cpu.get("burst") is not None:
        write_value(f"{path}/cpu.max.burst", cpu["burst"])
    if cpu.get("idle") is not None:
        write_value(f"{path}/cpu.idle", cpu["idle"])
    if cpu.get("cpus"):
        write_value(f"{path}/cpuset.cpus", cpu["cpus"])
    if cpu.get("mems"):
        write_value(f"{path}/cpuset.mems", cpu["mems"])


def _io(path: str, bio: JSON) -> None:
    if bio.get("weight"):           # 0 means "not set" (see cgroups_v1.blkio)
        write_value(f"{path}/io.weight", f"default {bio['weight']}")
    for key, field in (("throttleReadBpsDevice", "rbps"), ("throttleWriteBpsDevice", "wbps"),
                       ("throttleReadIOPSDevice", "riops"),
                       ("throttleWriteIOPSDevice", "wiops")):
        for dev in bio.get(key) or []:
            write_value(f"{path}/io.max", f"{dev['major']}:{dev['minor']} {field}={dev['rate']}")
