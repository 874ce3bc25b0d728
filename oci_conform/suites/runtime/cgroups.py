"""cgroup resources, read back from the container's cgroup in the host's cgroup version.

On a v1 or hybrid host each controller has its own hierarchy under /sys/fs/cgroup/<ctrl>;
on v2 all files sit in one folder.  The container is created (not started) and the
files under its ``cgroupsPath`` are read from the host.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Why,
    bad,
    broke,
    expect,
    needs_controller,
    unjudged,
)
from oci_conform.suites.runtime.refusal import error_case
from oci_conform.suites.runtime.sandbox import CGROUP_ROOT, JSON, Sandbox
from oci_conform.suites.runtime.target import RuntimeTarget

G = "cgroups"
MiB = 1 << 20


def cgroup_file(sb: Sandbox, controller: str, name: str) -> Path:
    rel = sb.cgroups_path.lstrip("/")
    if sb.target.host.cgroup_mode == "v2":
        return CGROUP_ROOT / rel / name
    for folder in CGROUP_ROOT.iterdir():
        if controller in folder.name.split(","):
            return folder / rel / name
    return CGROUP_ROOT / controller / rel / name


# (controller, v1 file, v2 file, expected v1 value, expected v2 value)
Spec = tuple[str, str, str, str, str]


def resource_case(name: str, clauses: tuple[str, ...], resources: JSON, spec: Spec,
                  extra: tuple[Callable[[RuntimeTarget], str | None], ...] = ()) -> Case:
    controller, v1_file, v2_file, v1_want, v2_want = spec

    def flow(sb: Sandbox) -> Judgment:
        cfg = sb.config(["sleep", "30"])
        cfg["linux"]["resources"].update(resources)
        sb.write(cfg)
        inv = sb.create()
        if inv.timed_out:
            return broke("create timed out")
        if not inv.ok:
            return bad(f"create with {list(resources)} failed", "create exit 0", inv.brief())
        v2 = sb.target.host.cgroup_mode == "v2"
        fname, want = (v2_file, v2_want) if v2 else (v1_file, v1_want)
        if not fname:
            return unjudged(Why.ABSENT,
                            f"no {controller} file for this on cgroup {'v2' if v2 else 'v1'}")
        path = cgroup_file(sb, controller, fname)
        try:
            got = path.read_text().strip()
        except OSError as exc:
            return bad(f"cannot read {path}: the container's cgroup is not where cgroupsPath "
                       "puts it", str(path), str(exc))
        sb.notes[fname] = got[:500]
        ok_ = want in got.splitlines() if "\n" in got or " " in want else got == want
        return expect(ok_, f"{fname} reads back the configured value", want, got, str(path))
    reqs = (needs_controller(controller), *extra)
    return Case(name, G, clauses, flow, reqs)


def _file_exists(controller: str, fname: str) -> Callable[[RuntimeTarget], str | None]:
    def req(t: RuntimeTarget) -> str | None:
        if t.host.cgroup_mode == "v2":
            return None
        for folder in CGROUP_ROOT.iterdir():
            if controller in folder.name.split(","):
                return None if (folder / fname).exists() else \
                    f"host {controller} controller has no {fname} (kernel option off)"
        return f"no {controller} hierarchy"
    return req


def placement_case() -> Case:
    def flow(sb: Sandbox) -> Judgment:
        sb.write(sb.config(["sleep", "30"]))
        if not sb.create().ok:
            return broke("create failed")
        _, doc = sb.state()
        pid = (doc or {}).get("pid")
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except (OSError, TypeError) as exc:
            return broke(f"cannot read /proc/{pid}/cgroup: {exc}")
        sb.notes["proc_cgroup"] = lines
        relevant = [ln for ln in lines if ln.split(":")[1] in ("memory", "pids", "")]
        placed = [ln for ln in relevant if ln.split(":", 2)[2] == sb.cgroups_path]
        return expect(bool(placed), "the process sits at cgroupsPath (relative to the "
                      "hierarchy root)", sb.cgroups_path, "; ".join(relevant))
    return Case("cgroups-path-absolute", G, ("rt.config-linux.cgroups-path.3",
                "rt.config-linux.cgroups-path.2"), flow, (needs_controller("memory"),))


def _unified_on_v1(cfg: JSON, sb: Sandbox) -> None:
    cfg["linux"]["resources"]["unified"] = {"memory.max": str(64 * MiB)}


def _v1_only(t: RuntimeTarget) -> str | None:
    return None if t.host.cgroup_mode in ("v1", "hybrid") else "host uses cgroup v2"


def _no_controller(ctrl: str) -> Callable[[RuntimeTarget], str | None]:
    def req(t: RuntimeTarget) -> str | None:
        return None if not t.host.has_controller(ctrl) else f"host has a {ctrl} controller"
    return req


def _hugetlb(cfg: JSON, sb: Sandbox) -> None:
    cfg["linux"]["resources"]["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4 * MiB}]


CASES: list[Case] = [
    resource_case("cgroup-memory-limit", ("rt.config-linux.memory.1", "rt.config-linux.memory.2"),
                  {"memory": {"limit": 64 * MiB}},
                  ("memory", "memory.limit_in_bytes", "memory.max", str(64 * MiB),
                   str(64 * MiB))),
    resource_case("cgroup-memory-reservation", ("rt.config-linux.memory.3",),
                  {"memory": {"reservation": 32 * MiB}},
                  ("memory", "memory.soft_limit_in_bytes", "memory.low", str(32 * MiB),
                   str(32 * MiB))),
    resource_case("cgroup-memory-swap", ("rt.config-linux.memory.4",),
                  {"memory": {"limit": 64 * MiB, "swap": 96 * MiB}},
                  ("memory", "memory.memsw.limit_in_bytes", "memory.swap.max", str(96 * MiB),
                   str(32 * MiB)), (_file_exists("memory", "memory.memsw.limit_in_bytes"),)),
    resource_case("cgroup-memory-swappiness", ("rt.config-linux.memory.7",),
                  {"memory": {"swappiness": 17}},
                  ("memory", "memory.swappiness", "", "17", "")),
    resource_case("cgroup-memory-disable-oom-killer", ("rt.config-linux.memory.8",),
                  {"memory": {"disableOOMKiller": True}},
                  ("memory", "memory.oom_control", "", "oom_kill_disable 1", "")),
    resource_case("cgroup-cpu-shares", ("rt.config-linux.cpu.1", "rt.config-linux.cpu.2"),
                  {"cpu": {"shares": 512}},
                  ("cpu", "cpu.shares", "", "512", "")),
    resource_case("cgroup-cpu-quota", ("rt.config-linux.cpu.3",), {"cpu": {"quota": 50000,
                                                                           "period": 100000}},
                  ("cpu", "cpu.cfs_quota_us", "cpu.max", "50000", "50000 100000")),
    resource_case("cgroup-cpu-period", ("rt.config-linux.cpu.7",), {"cpu": {"quota": 30000,
                                                                            "period": 60000}},
                  ("cpu", "cpu.cfs_period_us", "cpu.max", "60000", "30000 60000")),
    resource_case("cgroup-cpuset-cpus", ("rt.config-linux.cpu.10",), {"cpu": {"cpus": "0"}},
                  ("cpuset", "cpuset.cpus", "cpuset.cpus", "0", "0")),
    resource_case("cgroup-cpuset-mems", ("rt.config-linux.cpu.11",), {"cpu": {"mems": "0"}},
                  ("cpuset", "cpuset.mems", "cpuset.mems", "0", "0")),
    resource_case("cgroup-pids-limit", ("rt.config-linux.pids.1", "rt.config-linux.pids.2",
                  "rt.config-linux.pids.2-pre-1.3"), {"pids": {"limit": 123}},
                  ("pids", "pids.max", "pids.max", "123", "123")),
    resource_case("cgroup-blkio-weight", ("rt.config-linux.block-io.1",
                  "rt.config-linux.block-io.2"), {"blockIO": {"weight": 500}},
                  ("blkio", "blkio.weight", "io.bfq.weight", "500", "default 500"),
                  (_file_exists("blkio", "blkio.weight"),)),
    placement_case(),
    error_case("cgroup-unified-on-v1-errors", G, ("rt.config-linux.unified.4",), _unified_on_v1,
               ("unified", "v2", "memory.max"), requires=(_v1_only,)),
    error_case("cgroup-hugetlb-without-controller-errors", G, ("rt.config-linux.control-groups.2",),
               _hugetlb, ("hugetlb", "huge"),
               requires=(_no_controller("hugetlb"), _v1_only)),
]
