"""Cgroup ownership (runtime-spec 1.1.0): when the runtime may chown the container cgroup.

A container running as uid 1000 (no user namespace, so host uid 1000) is created; while
it is ``created`` the harness reads, from the host, the owner of the container's cgroup
folder and its ``cgroup.procs`` on every hierarchy.  Two situations in which the owner
must stay as it was (root): a cgroup v1 host even with a cgroup namespace and a writable
cgroup mount, and any host without a cgroup mount in the config.
"""
from __future__ import annotations

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    bad,
    broke,
    expect,
)
from oci_conform.suites.runtime.sandbox import JSON, Sandbox, cgroup_dirs
from oci_conform.suites.runtime.target import RuntimeTarget

G = "cgroups"
UID = 1000


def _v1(t: RuntimeTarget) -> str | None:
    if t.host.cgroup_mode in ("v1", "hybrid"):
        return None
    return f"host cgroups are {t.host.cgroup_mode}: the v1 rule cannot be shown"


def owners(sb: Sandbox) -> dict[str, int]:
    """Owner uid of the container's cgroup folders and their cgroup.procs, by path."""
    out: dict[str, int] = {}
    for d in cgroup_dirs(sb.cgroups_path):
        for p in (d, d / "cgroup.procs"):
            try:
                out[str(p)] = p.stat().st_uid
            except OSError:
                pass
    return out


def ownership_case(name: str, clauses: tuple[str, ...], writable_mount: bool,
                   requires: tuple = ()) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        cfg: JSON = sb.config(["sh", "-c", "echo done > /results/.done"])
        cfg["process"]["user"] = {"uid": UID, "gid": UID}
        if writable_mount:
            cfg["linux"]["namespaces"].append({"type": "cgroup"})
            cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup",
                                  "source": "cgroup",
                                  "options": ["nosuid", "noexec", "nodev", "rw"]})
        sb.write(cfg)
        created = sb.create()
        if created.timed_out:
            return broke("create timed out")
        if not created.ok:
            return bad(f"create failed: {created.brief()}", "create exits 0",
                       created.stderr.strip()[-300:])
        found = owners(sb)
        sb.notes["cgroup_owners"] = found
        sb.kill("KILL")
        sb.delete(force=True)
        if not found:
            return broke(f"no cgroup folder {sb.cgroups_path} found on the host")
        changed = {p: u for p, u in found.items() if u != 0}
        return expect(not changed, f"the container cgroup keeps its owner ({len(found)} "
                      "folders and cgroup.procs files read, all uid 0)" if not changed else
                      "the container cgroup keeps its owner",
                      "owner uid 0 everywhere",
                      ", ".join(f"{p}: uid {u}" for p, u in changed.items()))
    return Case(name, G, clauses, flow, requires, "1.1.0")


CASES: list[Case] = [
    ownership_case("cgroup-owner-unchanged-on-v1", ("rt.config-linux.cgroup-ownership.2",), True,
                   (_v1,)),
    ownership_case("cgroup-owner-unchanged-without-cgroup-mount",
                   ("rt.config-linux.cgroup-ownership.5",), False),
]
