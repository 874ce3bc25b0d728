"""Configs without a new mount namespace: inherited (as runc: mounts made where the
runtime runs, chroot into the rootfs) or joined by path.  Every mount the container made
sits below one bind of the rootfs, which delete detaches (runc leaves them behind)."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.reference_runtime.conftest import mounts_under

pytestmark = pytest.mark.integration

SCRIPT = ("ls / > /results/ls; cat /proc/self/mountinfo > /results/mountinfo; "
          "readlink /proc/1/root > /results/root; echo hi > /tmp/f; cat /tmp/f > /results/tmp")


def _no_mount_ns(cfg):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"]
                                  if n["type"] != "mount"]
    cfg["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})


def _plain_no_mount_ns(cfg):
    """runc refuses masked and readonly paths without a new mount namespace (we apply
    them below the rootfs bind): the comparison leaves them out."""
    _no_mount_ns(cfg)
    del cfg["linux"]["maskedPaths"], cfg["linux"]["readonlyPaths"]


def test_inherited_mount_namespace_runs_like_runc(rt, runc):
    # both runtimes run inside one private mount namespace made for the test (runc makes /
    # rslave and leaves its mounts in the namespace it runs in)
    wrap = ["unshare", "-m", "--propagation", "private"]
    rt.cmd, runc.cmd = wrap + rt.cmd, wrap + runc.cmd
    ours = rt.run_script("inh", SCRIPT, _plain_no_mount_ns)
    theirs = runc.run_script("inh", SCRIPT, _plain_no_mount_ns)
    assert theirs["exit"] == "0", theirs
    assert ours["exit"] == "0", ours
    assert ours["ls"] == theirs["ls"] and ours["tmp"] == theirs["tmp"] == "hi"
    assert ours["root"] == theirs["root"] == "/"
    for doc in (ours, theirs):
        points = [ln.split()[4] for ln in doc["mountinfo"].splitlines()]
        assert "/proc" in points and "/tmp" in points and "/results" in points


def test_inherited_mount_namespace_leaves_no_mount_behind(rt):
    bundle, cfg = rt.bundle("leave", ["sh", "-c", "cat /proc/kcore > /results/kcore; "
                                      "grep ' /proc/sys ' /proc/self/mountinfo > /results/sys; "
                                      "touch /new 2> /results/ro; sleep 30"])
    cfg["root"]["readonly"] = True
    _no_mount_ns(cfg)
    rt.write(bundle, cfg)
    assert rt.create("leave", bundle).code == 0
    pid = rt("state", "leave").json()["pid"]
    assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
    here = mounts_under(bundle)
    assert str(bundle / "rootfs") in here and str(bundle / "rootfs" / "proc") in here
    assert rt("start", "leave").code == 0
    results = bundle.parent / "results"
    deadline = time.monotonic() + 10
    while not (results / "ro").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (results / "kcore").read_text() == ""                   # masked path
    assert " ro," in (results / "sys").read_text()                  # readonly path
    assert "Read-only" in (results / "ro").read_text()             # readonly root
    seen = rt("exec", "leave", "ls", "/")                          # exec chroots too
    assert seen.code == 0 and seen.out.split() == \
        sorted(os.listdir(bundle / "rootfs")), seen.err
    assert rt("delete", "--force", "leave").code == 0
    assert not mounts_under(rt.dir)


def test_joined_mount_namespace(rt):
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sleep", "60"])
    try:
        ns = f"/proc/{holder.pid}/ns/mnt"
        deadline = time.monotonic() + 5
        while os.readlink(ns) == os.readlink("/proc/self/ns/mnt"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        bundle, cfg = rt.bundle("join", ["sh", "-c", "sleep 30"])
        _no_mount_ns(cfg)
        cfg["linux"]["namespaces"].append({"type": "mount", "path": ns})
        rt.write(bundle, cfg)
        res = rt.create("join", bundle)
        assert res.code == 0, res.err
        pid = rt("state", "join").json()["pid"]
        assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink(ns)
        assert not mounts_under(bundle)                      # nothing in the host's
        with open(f"/proc/{holder.pid}/mountinfo") as fh:
            theirs = [ln.split()[4] for ln in fh]
        assert str(bundle / "rootfs" / "proc") in theirs     # in the joined one
        assert os.readlink(f"/proc/{holder.pid}/root") == "/"   # the holder did not move
        assert rt("start", "join").code == 0
        assert rt("delete", "--force", "join").code == 0
        with open(f"/proc/{holder.pid}/mountinfo") as fh:
            after = [ln.split()[4] for ln in fh]
        assert not [p for p in after if p.startswith(str(bundle))]
    finally:
        holder.kill()
        holder.wait()
