"""Containers created and deleted at the same time share cgroup parent folders.

Folder creation must not trip over a parent another create just made (EEXIST), nor
over one another delete just removed; removal must leave a parent that is still in
use and kill nothing outside the container's own folder.  Runs on the host's cgroups
and, where it can be made, on the v2 view (``v2view``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from oci_conform.reference.runtime import cgroups
from tests.reference_runtime import v2view
from tests.reference_runtime.conftest import cgroup_dirs

THREADS, ROUNDS = 8, 12


def _host_tops(rel: str) -> list[Path]:
    return [p for p in (Path(h) / rel for h in {*cgroups.v1_hierarchies().values(),
                                                 str(v2view.HOST_V2)}) if p.is_dir()]


def _stress(view: bool, prefix: str, res: dict[str, Any]) -> dict[str, Any]:
    argv = [sys.executable, "-m", "tests.reference_runtime.cgroup_race", prefix,
            str(THREADS), str(ROUNDS), json.dumps(res)]
    proc = v2view.run(*argv, timeout=300) if view else \
        subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _resources(view: bool) -> dict[str, Any]:
    """On the v2 view: a hugetlb limit, so each create also enables it on the way down."""
    if not view or "hugetlb" not in v2view.controllers() or not cgroups.hugepage_sizes():
        return {}
    return {"hugepageLimits": [{"pageSize": cgroups.hugepage_sizes()[0], "limit": 0}]}


@pytest.fixture(params=["host", "v2view"])
def where(request: pytest.FixtureRequest) -> Any:
    if os.geteuid() != 0:
        pytest.skip("cgroups need root")
    if request.param == "host":
        if cgroups.mode() == "none":
            pytest.skip("no cgroup filesystem")
        yield False
        return
    why = v2view.unavailable()
    if why:
        pytest.skip(why)
    guard = v2view.SubtreeGuard()
    try:
        yield True
    finally:
        kept = guard.restore()
        assert not kept, f"could not disable {kept} again in the v2 root"


def test_shared_cgroups_path_prefix(where):
    top = f"oci-conform-race-{uuid.uuid4().hex[:8]}"
    try:
        out = _stress(where, f"{top}/shared", _resources(where))
        assert out["mode"] == ("v2" if where else cgroups.mode())
        assert out["errors"] == []
        assert out["left"] == [] and out["children_left"] == []
        # "shared" is left only when its creator went first; then it is empty
    finally:
        left = [x for p in _host_tops(top) for x in v2view.remove_tree(p)]
    assert left == []


def test_shared_default_parent(where):
    """Containers without a cgroupsPath share the runtime's default parent; the last
    one out removes it."""
    parent = cgroups.DEFAULT_PARENT
    try:
        out = _stress(where, parent, _resources(where))
        assert out["errors"] == []
        assert out["left"] == [] and out["children_left"] == []
        if not out["others_in_shared"]:
            assert out["shared_left"] == [], "the last container out left the default parent"
    finally:
        for path in cgroup_dirs(parent) + _host_tops(parent):
            for child in path.iterdir():
                if child.is_dir() and child.name.startswith("race"):
                    v2view.remove_tree(child)


def test_concurrent_runtime_creates_share_a_parent(rt):
    """The CLI itself: containers created and deleted at once under one new parent."""
    from tests.reference_runtime.conftest import CGROUP_PARENT
    shared = f"{CGROUP_PARENT}/shared-{uuid.uuid4().hex[:6]}"
    ids = [f"c{i}" for i in range(6)]
    bundles = {}
    for cid in ids:
        bundle, cfg = rt.bundle(cid, ["sleep", "60"])
        cfg["linux"]["cgroupsPath"] = f"/{shared}/{cid}"
        rt.write(bundle, cfg)
        bundles[cid] = bundle
    try:
        with ThreadPoolExecutor(len(ids)) as pool:
            made = list(pool.map(lambda c: rt.create(c, bundles[c]), ids))
        assert [r.err for r in made if r.code != 0] == []
        for cid in ids:
            pid = rt("state", cid).json()["pid"]
            assert [p for p in cgroup_dirs(f"{shared}/{cid}")
                    if str(pid) in (p / "cgroup.procs").read_text().split()], cid
        with ThreadPoolExecutor(len(ids)) as pool:
            gone = list(pool.map(lambda c: rt("delete", "--force", c), ids))
        assert [r.err for r in gone if r.code != 0] == []
        assert [p for cid in ids for p in cgroup_dirs(f"{shared}/{cid}")] == []
    finally:
        left = [x for p in cgroup_dirs(shared) for x in v2view.remove_tree(p)]
    assert left == []
