"""The reference runtime on a real cgroup v2 hierarchy (the v2 view of this hybrid host).

Every runtime call runs in the view (see ``v2view``); every check reads the hierarchy
from the view too.  Folders are made in the host's real cgroup2 hierarchy, so each
test's top folder is removed from the host side in the fixture, also on failure.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from oci_conform.reference.runtime import cgroups
from tests.reference_runtime import v2view
from tests.reference_runtime.conftest import RUNTIME, Result, Runtime, processes_rooted_in

V2 = "/sys/fs/cgroup"          # where the view mounts cgroup2


class ViewRuntime(Runtime):
    """The runtime CLI, each call in the v2 view."""

    def __call__(self, *args: str, timeout: float = 60) -> Result:
        out, err = self.dir / f"out-{uuid.uuid4().hex[:6]}", self.dir / "err.txt"
        with out.open("w") as o, err.open("w") as e:
            code = subprocess.run([*v2view.prefix(), *RUNTIME, "--root", str(self.root),
                                   *args], stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                                  timeout=timeout, check=False).returncode
        return Result(code, out.read_text(), err.read_text())


class V2Case:
    """One test's runtime, its own top cgroup folder, and what it must leave behind."""

    def __init__(self, rt: ViewRuntime, top: str) -> None:
        self.rt, self.top = rt, top

    def cgroups_path(self, *parts: str) -> str:
        return "/" + "/".join((self.top, *parts))

    def bundle(self, name: str, args: list[str], resources: dict[str, Any],
               *parts: str) -> tuple[Path, dict]:
        bundle, cfg = self.rt.bundle(name, args)
        cfg["linux"]["cgroupsPath"] = self.cgroups_path(*parts)
        cfg["linux"]["resources"].update(resources)
        self.rt.write(bundle, cfg)
        return bundle, cfg


@pytest.fixture()
def v2(tmp_path: Path, base_rootfs: Path) -> Any:
    why = v2view.unavailable()
    if why:
        pytest.skip(why)
    guard = v2view.SubtreeGuard()
    top = f"oci-conform-v2test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    rt = ViewRuntime(tmp_path, base_rootfs)
    try:
        yield V2Case(rt, top)
    finally:
        rt.cleanup()
        left = v2view.remove_tree(v2view.HOST_V2 / top)
        kept = guard.restore()
        assert not left, f"cgroup folders left behind: {left}"
        assert not kept, f"could not disable {kept} again in the v2 root"


def _needs(ctrl: str) -> None:
    if ctrl not in v2view.controllers():
        pytest.skip(f"this host's cgroup v2 has no {ctrl} controller")


def _sizes() -> list[tuple[str, int]]:
    """(name, bytes) of each huge page size, smallest first."""
    names = cgroups.hugepage_sizes()
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
    return [(n, int(n[:-2]) * units[n[-2:]]) for n in names]


def _wait_file(path: Path, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            time.sleep(0.05)
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


def test_view_is_a_pure_v2_host(v2):
    res = v2view.run(*RUNTIME[:1], "-c", "from oci_conform.reference.runtime import cgroups; "
                     "print(cgroups.mode(), cgroups.v2_root(), sorted(cgroups.v1_hierarchies()))")
    assert res.stdout.split(None, 2) == ["v2", V2, "[]\n"], res
    doc = v2.rt("features").json()
    assert doc["linux"]["cgroup"]["v2"] is True and doc["linux"]["cgroup"]["v1"] is False


def test_lifecycle_on_v2_with_hugetlb_and_unified(v2):
    _needs("hugetlb")
    sizes = _sizes()
    assert sizes, "no huge page sizes in /sys/kernel/mm/hugepages"
    (small, small_bytes), (large, large_bytes) = sizes[0], sizes[-1]
    unified = {"cgroup.max.descendants": "3"}
    if large != small:
        unified[f"hugetlb.{large}.max"] = str(2 * large_bytes)
    script = ("cat /proc/self/cgroup > /results/cgroup; grep ' /sys/fs/cgroup ' "
              "/proc/self/mountinfo > /results/mounts; sleep 60")
    bundle, cfg = v2.bundle("life", ["sh", "-c", script],
                            {"hugepageLimits": [{"pageSize": small, "limit": 4 * small_bytes}],
                             "unified": unified}, "ctr")
    cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup",
                          "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]})
    v2.rt.write(bundle, cfg)
    rel = f"{v2.top}/ctr"
    res = v2.rt.create("c-life", bundle)
    assert res.code == 0, res.err
    pid = v2.rt("state", "c-life").json()["pid"]

    leaf = f"{V2}/{rel}"
    assert v2view.is_dir(leaf)
    assert str(pid) in (v2view.read(f"{leaf}/cgroup.procs") or "").split()
    assert f"0::/{rel}" in (v2view.read(f"/proc/{pid}/cgroup") or "").splitlines()
    assert v2view.read(f"{leaf}/hugetlb.{small}.max") == f"{4 * small_bytes}\n"
    rsvd = v2view.read(f"{leaf}/hugetlb.{small}.rsvd.max")
    assert rsvd in (None, f"{4 * small_bytes}\n")
    for key, value in unified.items():
        assert v2view.read(f"{leaf}/{key}") == value + "\n", key
    for parent in (V2, f"{V2}/{v2.top}"):     # enabled on the way down, not in the leaf
        assert "hugetlb" in (v2view.read(f"{parent}/cgroup.subtree_control") or "").split()
    leaf_subtree = v2view.read(f"{leaf}/cgroup.subtree_control")
    assert leaf_subtree is not None and leaf_subtree.split() == []
    assert not any(Path(p, rel).exists() for p in cgroups.v1_hierarchies().values()), \
        "the v2 view must not make v1 folders"

    assert v2.rt("start", "c-life").code == 0
    results = bundle.parent / "results"
    assert f"0::/{rel}" in _wait_file(results / "cgroup").splitlines()
    assert " - cgroup2 " in _wait_file(results / "mounts")

    assert v2.rt("kill", "c-life", "KILL").code == 0
    v2.rt.wait_status("c-life", "stopped")
    res = v2.rt("delete", "c-life")
    assert res.code == 0, res.err
    assert not v2view.is_dir(f"{V2}/{v2.top}"), "delete left cgroup folders"


def test_nested_cgroups_path(v2):
    _needs("hugetlb")
    small, small_bytes = _sizes()[0]
    bundle, _ = v2.bundle("nest", ["sleep", "60"],
                          {"hugepageLimits": [{"pageSize": small, "limit": small_bytes}]},
                          "a", "b", "c")
    assert v2.rt.create("c-nest", bundle).code == 0
    pid = v2.rt("state", "c-nest").json()["pid"]
    assert f"0::/{v2.top}/a/b/c" in (v2view.read(f"/proc/{pid}/cgroup") or "").splitlines()
    for level in ("", "/a", "/a/b"):
        path = f"{V2}/{v2.top}{level}/cgroup.subtree_control"
        assert (v2view.read(path) or "").split() == ["hugetlb"], path
    assert v2view.read(f"{V2}/{v2.top}/a/b/c/hugetlb.{small}.max") == f"{small_bytes}\n"
    res = v2.rt("delete", "--force", "c-nest")
    assert res.code == 0, res.err
    assert not v2view.is_dir(f"{V2}/{v2.top}")


def test_parent_holding_processes_is_refused_cleanly(v2):
    """cgroup v2 lets no folder with enabled controllers hold processes: a cgroupsPath
    under such a folder fails with a message naming cgroupsPath, leaving nothing."""
    _needs("hugetlb")
    small, small_bytes = _sizes()[0]
    busy = v2view.HOST_V2 / v2.top / "busy"
    busy.mkdir(parents=True)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (busy / "cgroup.procs").write_text(str(sleeper.pid))
        bundle, _ = v2.bundle("busy", ["sleep", "60"],
                              {"hugepageLimits": [{"pageSize": small, "limit": small_bytes}]},
                              "busy", "ctr")
        res = v2.rt.create("c-busy", bundle)
        assert res.code != 0
        assert "config.json /linux/cgroupsPath" in res.err and "processes" in res.err, res.err
        assert v2.rt("state", "c-busy").code != 0
        assert sorted(p.name for p in busy.iterdir() if p.is_dir()) == []
        assert sleeper.poll() is None, "a process the runtime did not start was touched"
    finally:
        sleeper.kill()
        sleeper.wait()


REFUSED = [
    ("memory", {"memory": {"limit": 64 << 20}}, "/linux/resources/memory"),
    ("pids", {"pids": {"limit": 10}}, "/linux/resources/pids"),
    ("cpu", {"cpu": {"shares": 512}}, "/linux/resources/cpu"),
    ("cpuset", {"cpu": {"cpus": "0"}}, "/linux/resources/cpu"),
    ("io", {"blockIO": {"weight": 100}}, "/linux/resources/blockIO"),
    ("memory", {"unified": {"memory.max": "1000000"}}, "/linux/resources/unified/memory.max"),
]


@pytest.mark.parametrize(("ctrl", "resources", "place"), REFUSED,
                         ids=[f"{c}-{p.rsplit('/', 1)[-1]}" for c, _, p in REFUSED])
def test_absent_controller_refused_before_side_effects(v2, ctrl, resources, place):
    if ctrl in v2view.controllers():
        pytest.skip(f"this host's cgroup v2 has the {ctrl} controller")
    _assert_refused(v2, resources, f"config.json {place}: the {ctrl} controller is not "
                                   "available on this host's cgroup v2")


BAD = [
    ({"unified": {"cgroup.procs": "1"}}, "config.json /linux/resources/unified/cgroup.procs"),
    ({"unified": {"../x.max": "1"}}, "config.json /linux/resources/unified/../x.max"),
    ({"unified": {"cgroup.max.depth": 2}}, "must be a string"),
    ({"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]},
     "config.json /linux/resources/hugepageLimits/0/pageSize: '3MB' is not a huge page size"),
    ({"cpu": {"realtimeRuntime": 1000}}, "config.json /linux/resources/cpu: realtime"),
    ({"network": {"classID": 1}}, "config.json /linux/resources/network: not supported"),
]


@pytest.mark.parametrize(("resources", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_unappliable_resources_refused_before_side_effects(v2, resources, message):
    _assert_refused(v2, resources, message)


def _assert_refused(v2: V2Case, resources: dict[str, Any], message: str) -> None:
    bundle, _ = v2.bundle("bad", ["sleep", "60"], resources, "ctr")
    res = v2.rt.create("c-bad", bundle)
    assert res.code != 0
    assert message in res.err, res.err
    assert v2.rt("state", "c-bad").code != 0, "a refused create left state"
    assert v2.rt("list", "-q").out.split() == []
    assert not (v2view.HOST_V2 / v2.top).exists(), "a refused create made cgroup folders"
    assert processes_rooted_in(bundle) == []


# Suite outcomes on the v2 view that are not pass/skip/n/a, each with its reason.
SUITE_KNOWN: dict[tuple[str, str], str] = {
    ("rt.features-linux.linux-features-cgroup.2", "runtime:features-cgroup-flags-truthful"):
        "the suite case sets a pids limit without requiring the pids controller; this "
        "view's cgroup v2 has only hugetlb, so create is rightly refused",
}


@pytest.mark.integration
def test_runtime_suite_cgroup_cases_on_v2(v2, tmp_path):
    """The runtime suite's cgroup cases (``-k cgroup``), harness and all, in the view:
    its host probes see v2 and skip what this hierarchy lacks."""
    script = Path(RUNTIME[0]).parent / "oci-conform-runtime"
    runtime = str(script) if script.exists() else "oci-conform-runtime"
    results = tmp_path / "results.json"
    proc = v2view.run(RUNTIME[0], "-m", "oci_conform", "matrix", "--suite", "runtime",
                      "--only-given", "--runtime", f"reference={runtime}", "-k", "cgroup",
                      "--jobs", "2", "--reports", str(tmp_path / "reports"),
                      "--results", str(results), timeout=600)
    assert results.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads(results.read_text())
    assert doc["host"]["cgroup_mode"] == "v2" and doc["complete"], doc["harness_errors"]
    ours = [r for r in doc["results"] if r["implementation"] == "reference"]
    bad = {(r["clause"], r.get("case", "")): r.get("message", "") for r in ours
           if r["outcome"] not in ("pass", "skip", "n/a")}
    assert set(bad) == set(SUITE_KNOWN), json.dumps(sorted(map(list, bad.items())), indent=1)
    skips = [r.get("message", "") for r in ours if r["outcome"] == "skip"]
    assert all(m.startswith(("host ", "clause not in force")) for m in skips), skips
    assert sum(r["outcome"] == "pass" for r in ours) >= 3
