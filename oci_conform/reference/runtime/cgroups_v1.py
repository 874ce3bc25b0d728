"""Write ``linux.resources`` into cgroup v1 controller files."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from oci_conform.reference.runtime.errors import RuntimeFailure

JSON = dict[str, Any]


def _w(path: Path, value: object) -> None:
    try:
        with open(path, "w") as fh:
            fh.write(str(value))
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {value!r} to {path}: {exc.strerror}") from None


def apply(paths: dict[str, Path], res: JSON) -> None:
    if "devices" in paths and res.get("devices") is not None:
        devices(paths["devices"], res["devices"])
    if res.get("memory"):
        memory(paths["memory"], res["memory"])
    if res.get("cpu"):
        cpu(paths.get("cpu"), paths.get("cpuset"), res["cpu"])
    if res.get("pids"):
        limit = res["pids"].get("limit")
        if limit is not None:
            _w(paths["pids"] / "pids.max", "max" if limit <= 0 else limit)
    if res.get("blockIO"):
        blkio(paths["blkio"], res["blockIO"])
    if res.get("hugepageLimits"):
        for h in res["hugepageLimits"]:
            _w(paths["hugetlb"] / f"hugetlb.{h['pageSize']}.limit_in_bytes", h["limit"])
    net = res.get("network") or {}
    if net.get("classID") is not None:
        _w(paths["net_cls"] / "net_cls.classid", net["classID"])
    for prio in net.get("priorities") or []:
        _w(paths["net_prio"] / "net_prio.ifpriomap", f"{prio['name']} {prio['priority']}")


def _dev_rule(rule: JSON) -> str:
    kind = rule.get("type") or "a"
    major = rule.get("major")
    minor = rule.get("minor")
    access = rule.get("access") or "rwm"
    if kind == "a" and major is None and minor is None:
        return f"a *:* {access}"
    return (f"{kind} {'*' if major is None or major < 0 else major}:"
            f"{'*' if minor is None or minor < 0 else minor} {access}")


# devices every container gets (the spec's default devices plus /dev/pts and /dev/ptmx)
DEFAULT_ALLOW = ["c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                 "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c *:* m", "b *:* m"]


def devices(path: Path, rules: list[JSON], extra_allow: list[str] | None = None) -> None:
    """Deny all, then replay the config's rules in order, then allow the default devices."""
    _w(path / "devices.deny", "a")
    for rule in rules:
        _w(path / ("devices.allow" if rule.get("allow") else "devices.deny"), _dev_rule(rule))
    for line in DEFAULT_ALLOW + (extra_allow or []):
        _w(path / "devices.allow", line)


def memory(path: Path, mem: JSON) -> None:
    limit, swap = mem.get("limit"), mem.get("swap")
    if limit is not None and swap is not None:
        # the memsw limit must stay >= the memory limit: write in the order that allows it
        try:
            _w(path / "memory.limit_in_bytes", limit)
            _w(path / "memory.memsw.limit_in_bytes", swap)
        except RuntimeFailure:
            _w(path / "memory.memsw.limit_in_bytes", swap)
            _w(path / "memory.limit_in_bytes", limit)
    elif limit is not None:
        _w(path / "memory.limit_in_bytes", limit)
    elif swap is not None:
        _w(path / "memory.memsw.limit_in_bytes", swap)
    if mem.get("reservation") is not None:
        _w(path / "memory.soft_limit_in_bytes", mem["reservation"])
    if mem.get("kernelTCP") is not None:
        _w(path / "memory.kmem.tcp.limit_in_bytes", mem["kernelTCP"])
    if mem.get("swappiness") is not None:
        _w(path / "memory.swappiness", mem["swappiness"])
    if mem.get("disableOOMKiller"):
        _w(path / "memory.oom_control", 1)
    if mem.get("useHierarchy"):
        _w(path / "memory.use_hierarchy", 1)


def cpu(path: Path | None, cpuset: Path | None, spec: JSON) -> None:
    if path is not None:
        if spec.get("shares"):
            _w(path / "cpu.shares", spec["shares"])
        if spec.get("period"):
            _w(path / "cpu.cfs_period_us", spec["period"])
        if spec.get("quota") is not None and spec.get("quota") != 0:
            _w(path / "cpu.cfs_quota_us", spec["quota"])
        if spec.get("burst") is not None:
            _w(path / "cpu.cfs_burst_us", spec["burst"])
        if spec.get("realtimePeriod"):
            _w(path / "cpu.rt_period_us", spec["realtimePeriod"])
        if spec.get("realtimeRuntime"):
            _w(path / "cpu.rt_runtime_us", spec["realtimeRuntime"])
        if spec.get("idle") is not None:
            _w(path / "cpu.idle", spec["idle"])
    if cpuset is not None:
        if spec.get("cpus"):
            _w(cpuset / "cpuset.cpus", spec["cpus"])
        if spec.get("mems"):
            _w(cpuset / "cpuset.mems", spec["mems"])


def blkio(path: Path, bio: JSON) -> None:
    if bio.get("weight") is not None:
        _w(path / "blkio.weight", bio["weight"])
    if bio.get("leafWeight") is not None:
        _w(path / "blkio.leaf_weight", bio["leafWeight"])
    for dev in bio.get("weightDevice") or []:
        if dev.get("weight") is not None:
            _w(path / "blkio.weight_device", f"{dev['major']}:{dev['minor']} {dev['weight']}")
        if dev.get("leafWeight") is not None:
            _w(path / "blkio.leaf_weight_device",
               f"{dev['major']}:{dev['minor']} {dev['leafWeight']}")
    for key, name in (("throttleReadBpsDevice", "blkio.throttle.read_bps_device"),
                      ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device"),
                      ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device"),
                      ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device")):
        for dev in bio.get(key) or []:
            _w(path / name, f"{dev['major']}:{dev['minor']} {dev['rate']}")
