"""``pause`` / ``resume`` through the freezer; ``state`` says ``paused`` meanwhile.

On this (v1/hybrid) host the v1 freezer is used and compared with runc; the cgroup v2
path (``cgroup.freeze``) runs in the v2 view (see v2view.py)."""
from __future__ import annotations

import time

import pytest

from tests.reference_runtime import v2view
from tests.reference_runtime.test_cgroup_v2 import v2  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration

TICKER = "i=0; while :; do i=$((i+1)); echo $i > /results/n; sleep 0.02; done"


def _count(results) -> int:
    try:
        return int((results / "n").read_text() or 0)
    except (OSError, ValueError):
        return 0


def _stalls(results) -> bool:
    first = _count(results)
    time.sleep(0.4)
    return _count(results) == first


def _advances(results) -> bool:
    deadline = time.monotonic() + 5
    first = _count(results)
    while time.monotonic() < deadline:
        if _count(results) > first:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("which", ["ref", "runc"])
def test_pause_resume_like_runc(rt, runc, which):
    runtime = rt if which == "ref" else runc
    bundle, _ = runtime.bundle("tick", ["sh", "-c", TICKER])
    assert runtime.create("tick", bundle).code == 0
    assert runtime("start", "tick").code == 0
    results = runtime.results("tick")
    assert _advances(results)
    res = runtime("pause", "tick")
    assert res.code == 0, res.err
    assert runtime("state", "tick").json()["status"] == "paused"
    assert _stalls(results)
    assert runtime("pause", "tick").code != 0                # already paused
    res = runtime("resume", "tick")
    assert res.code == 0, res.err
    assert runtime("state", "tick").json()["status"] == "running"
    assert _advances(results)
    assert runtime("resume", "tick").code != 0               # not paused


def test_exec_refused_and_force_delete_while_paused(rt):
    bundle, _ = rt.bundle("pz", ["sh", "-c", TICKER])
    assert rt.create("pz", bundle).code == 0
    assert rt("start", "pz").code == 0
    assert rt("pause", "pz").code == 0
    res = rt("exec", "pz", "true")
    assert res.code != 0 and "paused" in res.err
    t0 = time.monotonic()
    res = rt("delete", "--force", "pz")                      # killed and thawed
    assert res.code == 0, res.err
    assert time.monotonic() - t0 < 5
    assert rt("state", "pz").code != 0


def test_pause_on_cgroup_v2(v2):  # noqa: F811
    bundle, _ = v2.bundle("p2", ["sh", "-c", TICKER], {}, "p2")
    res = v2.rt.create("p2", bundle)
    assert res.code == 0, res.err
    assert v2.rt("start", "p2").code == 0
    results = v2.rt.results("p2")
    assert _advances(results)
    res = v2.rt("pause", "p2")
    assert res.code == 0, res.err
    freeze = f"/sys/fs/cgroup/{v2.top}/p2/cgroup.freeze"
    assert v2view.read(freeze) == "1\n"
    assert "frozen 1" in (v2view.read(freeze.replace("freeze", "events")) or "")
    assert v2.rt("state", "p2").json()["status"] == "paused"
    assert _stalls(results)
    assert v2.rt("resume", "p2").code == 0
    assert v2view.read(freeze) == "0\n"
    assert v2.rt("state", "p2").json()["status"] == "running"
    assert _advances(results)
    assert v2.rt("pause", "p2").code == 0
    assert v2.rt("delete", "--force", "p2").code == 0
