"""Seccomp (our own BPF), user namespaces and cgroup limits, observed from inside."""
from __future__ import annotations

import pytest

from oci_conform.reference.runtime import seccomp
from oci_conform.reference.runtime.errors import RuntimeFailure
from tests.reference_runtime.conftest import CGROUP_PARENT, cgroup_dirs

pytestmark = pytest.mark.integration


def test_seccomp_compile_rejects_unknown_action():
    with pytest.raises(RuntimeFailure, match="defaultAction"):
        seccomp.compile_filter({"defaultAction": "SCMP_ACT_NOPE"})
    prog = seccomp.compile_filter({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]})
    assert len(prog) % 8 == 0 and len(prog) > 8 * 6


def _run(rt, name, script, change):
    bundle, cfg = rt.bundle(name, ["sh", "-c", script])
    change(cfg)
    rt.write(bundle, cfg)
    res = rt.create(name, bundle)
    assert res.code == 0, res.err
    assert rt("start", name).code == 0
    rt.wait_status(name, "stopped")
    return bundle.parent / "results"


def test_seccomp_errno_rule_applies(rt):
    def change(cfg):
        cfg["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                          "errnoRet": 1},
                         {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                          "args": [{"index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"}]},
                         {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                          "args": [{"index": 2, "value": 0o700, "op": "SCMP_CMP_EQ"}]}]}
    res = _run(rt, "sc", "mkdir /tmp/x 2> /results/mkdir; touch /tmp/f; "
                         "chmod 700 /tmp/f 2> /results/c700; chmod 755 /tmp/f 2> /results/c755; "
                         "echo done > /results/done", change)
    assert (res / "done").exists()
    assert "Operation not permitted" in (res / "mkdir").read_text()
    assert "Operation not permitted" in (res / "c700").read_text()
    assert (res / "c755").read_text() == ""


def test_user_namespace_maps(rt_open):
    # the container's root (host uid 200000) must be able to reach the rootfs
    rt = rt_open

    def change(cfg):
        cfg["linux"]["namespaces"].append({"type": "user"})
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    res = _run(rt, "us", "cat /proc/self/uid_map > /results/map; id -u > /results/uid", change)
    assert (res / "map").read_text().split() == ["0", "200000", "65536"]
    assert (res / "uid").read_text().strip() == "0"


def test_cgroup_limits_written_and_removed(rt):
    def change(cfg):
        cfg["linux"]["resources"].update({"memory": {"limit": 64 << 20},
                                          "pids": {"limit": 42}})
    bundle, cfg = rt.bundle("cg", ["sh", "-c", "sleep 30"])
    change(cfg)
    rt.write(bundle, cfg)
    assert rt.create("cg", bundle).code == 0
    dirs = {p.parents[1].name: p for p in cgroup_dirs(f"{CGROUP_PARENT}/cg")}
    if "memory" in dirs:
        assert int((dirs["memory"] / "memory.limit_in_bytes").read_text()) == 64 << 20
        assert (dirs["pids"] / "pids.max").read_text().strip() == "42"
    else:                                   # a pure cgroup v2 host
        only = cgroup_dirs(f"{CGROUP_PARENT}/cg")[0]
        assert int((only / "memory.max").read_text()) == 64 << 20
    assert rt("delete", "--force", "cg").code == 0
    assert not cgroup_dirs(f"{CGROUP_PARENT}/cg")
