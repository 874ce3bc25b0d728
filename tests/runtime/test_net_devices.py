"""linux.netDevices cases on a real runtime: the veth pair never outlives the case."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.model.outcome import Outcome
from oci_conform.suites.base import RunContext, Selection
from oci_conform.suites.runtime import SUITE, net_devices

pytestmark = pytest.mark.integration


def _host_links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=False)
    return {ln.split(":")[1].strip().split("@")[0] for ln in out.stdout.splitlines()
            if ln.count(":") >= 2}


def test_net_device_cases_judge_and_leave_no_interface() -> None:
    if shutil.which("runc") is None or shutil.which("ip") is None:
        pytest.skip("runc or ip(8) is not installed")
    before = _host_links()
    work = Path(tempfile.mkdtemp(prefix="oc-it-netdev-"))
    try:
        ctx = RunContext(catalog=default_catalog(), workdir=work, jobs=2,
                         selection=Selection(text="net-device"),
                         spec_versions={"runtime-spec": "1.3.0"})
        impl = next(i for i in SUITE.default_implementations(ctx) if i.name == "runc")
        results = list(SUITE.run(impl, ctx))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert {f"runtime:{c.name}" for c in net_devices.CASES} <= {r.case for r in results}
    assert _host_links() - before == set()
    reason = net_devices.needs_veth(None)  # type: ignore[arg-type]
    judged = [r for r in results if r.clause.startswith("rt.config-linux.network-devices.")]
    if reason:
        assert all(r.outcome is Outcome.SKIP and r.message for r in judged)
        return
    # the verdict agrees with what the probe listed inside the container
    moved = [r for r in judged if r.clause == "rt.config-linux.network-devices.1"]
    assert moved
    for r in moved:
        ifaces = r.evidence.facts.get("probe", {}).get("ifaces", "").split()
        assert ifaces, r.message
        inside = any(i.startswith("ocn") for i in ifaces)
        assert (r.outcome is Outcome.PASS) == inside, (r.outcome, ifaces)
        if r.outcome is not Outcome.PASS:   # passes keep only the probe and invocations
            assert r.evidence.facts.get("notes", {}).get("host_interface")
