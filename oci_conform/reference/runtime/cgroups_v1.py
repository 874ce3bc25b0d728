"""cgroup v1: check ``linux.resources`` against the mounted hierarchies, write the files."""
from __future__ import annotations

import os

from oci_conform.reference.runtime.errors import RuntimeFailure

TYPE_CHECKING = False   # typing is not imported at start-up
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

# the controller each resource needs
NEEDS = {"memory": "memory", "cpu": "cpu", "pids": "pids", "blockIO": "blkio",
         "hugepageLimits": "hugetlb", "network": "net_cls", "rdma": "rdma",
         "devices": "devices"}


def check(res: JSON, hier: dict[str, str], mode: str) -> None:
    """Refuse (no side effects) resources whose v1 controller is not mounted."""
    from oci_conform.reference.runtime.cgroups import present
    for key, value in res.items():
        if not present(value):
            continue
        if key == "unified":
            raise RuntimeFailure("config.json /linux/resources/unified: needs cgroup v2 "
                                 f"(this host is {mode})")
        need = NEEDS.get(key)
        if need is None:
            raise RuntimeFailure(f"config.json /linux/resources/{key}: not supported")
        if key == "network" and value.get("priorities"):
            need = "net_prio"
        if need not in hier:
            raise RuntimeFailure(f"config.json /linux/resources/{key}: the {need} cgroup "
                                 "controller is not mounted on this host")
        if key == "cpu" and (present(value.get("cpus")) or present(value.get("mems"))) \
                and "cpuset" not in hier:
            raise RuntimeFailure("config.json /linux/resources/cpu: no cpuset controller")
    mem = res.get("memory") or {}
    if mem.get("swap") is not None and \
            not os.path.exists(f"{hier['memory']}/memory.memsw.limit_in_bytes"):
        raise RuntimeFailure("config.json /linux/resources/memory/swap: swap accounting is "
                             "off on this host")


def cpuset_fill(path: str) -> None:
    """A new cpuset folder starts with no CPUs and no memory nodes: copy the parent's.

    Runs on every level, also on folders another create just made and not yet filled.
    """
    parent = path.rsplit("/", 1)[0]
    for name in ("cpuset.cpus", "cpuset.mems"):
        with open(f"{path}/{name}") as fh:
            if fh.read().strip():
                continue
        with open(f"{parent}/{name}") as fh:
            value = fh.read()
        with open(f"{path}/{name}", "w") as fh:
            fh.write(value)


def write_value(path: str, value: object) -> None:
    try:
        with open(path, "w") as fh:
            fh.write(str(value))
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {value!r} to {path}: {exc.strerror}") from None


def apply(paths: dict[str, str], res: JSON) -> None:
    if "devices" in paths and res.get("devices") is not None:
        devices(paths["devices"], res["devices"])
    if res.get("memory"):
        memory(paths["memory"], res["memory"])
    if res.get("cpu"):
        cpu(paths.get("cpu"), paths.get("cpuset"), res["cpu"])
    if res.get("pids"):
        limit = res["pids"].get("limit")
        if limit is not None:
            write_value(f"{paths['pids']}/pids.max", "max" if limit <= 0 else limit)
    if res.get("blockIO"):
        blkio(paths["blkio"], res["blockIO"])
    if res.get("hugepageLimits"):
        for h in res["hugepageLimits"]:
            write_value(f"{paths['hugetlb']}/hugetlb.{h['pageSize']}.limit_in_bytes", h["limit"])
    net = res.get("network") or {}
    if net.get("classID") is not None:
        write_value(f"{paths['net_cls']}/net_cls.classid", net["classID"])
    for prio in net.get("priorities") or []:
        write_value(f"{paths['net_prio']}/net_prio.ifpriomap", f"{prio['name']} {prio['priority']}")


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


def devices(path: str, rules: list[JSON], extra_allow: list[str] | None = None) -> None:
    """Deny all, then replay the config's rules in order, then allow the default devices."""
    write_value(f"{path}/devices.deny", "a")
    for rule in rules:
        write_value(f"{path}/devices.{'allow' if rule.get('allow') else 'deny'}", _dev_rule(rule))
    for line in DEFAULT_ALLOW + (extra_allow or []):
        write_value(f"{path}/devices.allow", line)


def memory(path: str, mem: JSON) -> None:
    limit, swap = mem.get("limit"), mem.get("swap")
    if limit is not None and swap is not None:
        # the memsw limit must stay >= the memory limit: write in the order that allows it
        try:
            write_value(f"{path}/memory.limit_in_bytes", limit)
            write_value(f"{path}/memory.memsw.limit_in_bytes", swap)
        except RuntimeFailure:
            write_value(f"{path}/memory.memsw.limit_in_bytes", swap)
            write_value(f"{path}/memory.limit_in_bytes", limit)
    elif limit is not None:
        write_value(f"{path}/memory.limit_in_bytes", limit)
    elif swap is not None:
        write_value(f"{path}/memory.memsw.limit_in_bytes", swap)
    if mem.get("reservation") is not None:
        write_value(f"{path}/memory.soft_limit_in_bytes", mem["reservation"])
    if mem.get("kernelTCP") is not None:
        write_value(f"{path}/memory.kmem.tcp.limit_in_bytes", mem["kernelTCP"])
    if mem.get("swappiness") is not None:
        write_value(f"{path}/memory.swappiness", mem["swappiness"])
    if mem.get("disableOOMKiller"):
        write_value(f"{path}/memory.oom_control", 1)
    if mem.get("useHierarchy"):
        write_value(f"{path}/memory.use_hierarchy", 1)


def cpu(path: str | None, cpuset: str | None, spec: JSON) -> None:
    if path is not None:
        if spec.get("shares"):
            write_value(f"{path}/cpu.shares", spec["shares"])
        if spec.get("period"):
            write_value(f"{path}/cpu.cfs_period_us", spec["period"])
        if spec.get("quota") is not None and spec.get("quota") != 0:
            write_value(f"{path}/cpu.cfs_quota_us", spec["quota"])
        if spec.get("burst") is not None:
            write_value(f"{path}/cpu.cfs_burst_us", spec["burst"])
        if spec.get("realtimePeriod"):
            write_value(f"{path}/cpu.rt_period_us", spec["realtimePeriod"])
        if spec.get("realtimeRuntime"):
            write_value(f"{path}/cpu.rt_runtime_us", spec["realtimeRuntime"])
        if spec.get("idle") is not None:
            write_value(f"{path}/cpu.idle", spec["idle"])
    if cpuset is not None:
        if spec.get("cpus"):
            write_value(f"{cpuset}/cpuset.cpus", spec["cpus"])
        if spec.get("mems"):
            write_value(f"{cpuset}/cpuset.mems", spec["mems"])


def blkio(path: str, bio: JSON) -> None:
    # a weight of 0 is below the kernel's range: engines send it for "not set" (Docker's
    # BlkioWeight default), and runc and crun then leave the cgroup's weight alone
    if bio.get("weight"):
        write_value(f"{path}/blkio.weight", bio["weight"])
    if bio.get("leafWeight"):
        write_value(f"{path}/blkio.leaf_weight", bio["leafWeight"])
    for dev in bio.get("weightDevice") or []:
        if dev.get("weight") is not None:
            write_value(f"{path}/blkio.weight_device",
                        f"{dev['major']}:{dev['minor']} {dev['weight']}")
        if dev.get("leafWeight") is not None:
            write_value(f"{path}/blkio.leaf_weight_device",
               f"{dev['major']}:{dev['minor']} {dev['leafWeight']}")
    for key, name in (("throttleReadBpsDevice", "blkio.throttle.read_bps_device"),
                      ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device"),
                      ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device"),
                      ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device")):
        for dev in bio.get(key) or []:
            write_value(f"{path}/{name}", f"{dev['major']}:{dev['minor']} {dev['rate']}")
