"""A config the runtime cannot apply fails ``create`` and leaves nothing behind."""
from __future__ import annotations

import pytest

from tests.reference_runtime.conftest import (
    CGROUP_PARENT,
    cgroup_dirs,
    mounts_under,
    processes_rooted_in,
)

pytestmark = pytest.mark.integration


def _apparmor(cfg, tmp):
    cfg["process"]["apparmorProfile"] = "some-profile"


def _missing_bind(cfg, tmp):
    cfg["mounts"].append({"destination": "/x", "type": "bind", "source": str(tmp / "nope"),
                          "options": ["bind"]})


def _unknown_fs(cfg, tmp):          # only the kernel can refuse this: fails inside the init
    cfg["mounts"].append({"destination": "/x", "type": "no-such-fs", "source": "none"})


def _bad_sysctl(cfg, tmp):          # fails inside the init, after cgroups exist
    cfg["linux"]["sysctl"] = {"kernel.no_such_knob": "1"}


def _intel_rdt(cfg, tmp):
    cfg["linux"]["intelRdt"] = {"closID": "x", "l3CacheSchema": "L3:0=f"}


@pytest.mark.parametrize("change", [_apparmor, _missing_bind, _unknown_fs, _bad_sysctl,
                                    _intel_rdt])
def test_failed_create_leaves_no_trace(rt, change):
    name = change.__name__.strip("_")
    bundle, cfg = rt.bundle(name, ["sh", "-c", "echo ran > /results/ran"])
    change(cfg, rt.dir)
    rt.write(bundle, cfg)
    res = rt.create(name, bundle)
    assert res.code != 0
    assert len(res.err.strip().splitlines()) == 1, res.err
    assert rt("state", name).code != 0
    assert not (rt.root / name).exists()
    assert not cgroup_dirs(f"{CGROUP_PARENT}/{name}")
    assert not processes_rooted_in(bundle)
    assert not mounts_under(rt.dir)
    assert not (bundle.parent / "results" / "ran").exists()
