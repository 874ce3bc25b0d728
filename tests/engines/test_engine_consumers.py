"""Engines as image consumers over the malformed-image corpus (podman load; ctr images
import into a containerd the suite starts): judged only on consumer-binding clauses, each
case after its control."""
from __future__ import annotations

import glob
import shutil

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.image_sources.corpus import DOCKER_CASES, LAYOUT_CASES
from oci_conform.model.outcome import Outcome
from oci_conform.orchestrate import PlanItem, run_plan
from oci_conform.suites import RunContext
from oci_conform.suites.image_tools import SUITE as TOOLS

pytestmark = pytest.mark.integration
NEEDS = {"podman-load": ("podman",), "ctr-import": ("ctr", "containerd")}


@pytest.mark.parametrize("column", sorted(NEEDS))
def test_engine_loads_the_corpus(tmp_path, column):
    if not all(shutil.which(t) for t in NEEDS[column]):
        pytest.skip(f"{', '.join(NEEDS[column])} missing")
    before = set(glob.glob("/tmp/oc-load-*") + glob.glob("/tmp/oc-ctd-*"))
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path)
    impl = TOOLS.parse_implementation(column)
    assert impl.available, impl.reason
    results = run_plan([PlanItem(TOOLS, [impl])], ctx)
    assert results.complete, results.harness_errors
    catalog = default_catalog()
    consumer = {c.consumer for c in LAYOUT_CASES + DOCKER_CASES
                if c.consumer and (not c.consumer_tools or column in c.consumer_tools)}
    judged = [r for r in results.results if r.outcome not in (Outcome.NA, Outcome.SKIP)]
    assert judged, "no consumer clause was judged on podman load"
    for r in judged:
        assert r.clause in consumer, (r.clause, r.outcome, r.message)
        assert catalog.clauses[r.clause].binds == "image-tool"
        assert r.outcome in (Outcome.PASS, Outcome.FAIL), (r.clause, r.message)
        control, case = r.evidence.runs[0], r.evidence.runs[-1]
        assert control.exit_code == 0 and str(tmp_path) in case.argv[-1]
        assert (r.outcome is Outcome.PASS) == (case.exit_code != 0)
    for r in results.results:
        if r.outcome is Outcome.NA:
            assert "a rule on the image" in r.message or "binds" in r.message or \
                "does not read" in r.message, r.message
    # producer rules never fail in a consumer column; no throwaway runroot left behind
    assert not [r for r in results.results if r.outcome is Outcome.FAIL
                and r.clause not in consumer]
    assert set(glob.glob("/tmp/oc-load-*") + glob.glob("/tmp/oc-ctd-*")) <= before


@pytest.mark.parametrize("column", sorted(NEEDS))
def test_an_engine_that_refuses_the_control_gives_error(tmp_path, column):
    if column == "ctr-import" and shutil.which("containerd") is None:
        pytest.skip("containerd missing")
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path)
    impl = TOOLS.parse_implementation(f"{column}=/bin/false")
    results = run_plan([PlanItem(TOOLS, [impl])], ctx)
    judged = [r for r in results.results if r.outcome is not Outcome.NA]
    assert judged and all(r.outcome is Outcome.ERROR for r in judged)


def test_podman_load_takes_a_layout_whose_path_is_no_valid_image_name(tmp_path):
    """podman names a layout it loads after the folder's path: a run folder such as
    tempfile's "oci-conform-_x1y" (a "-_" no reference allows) or an upper-case TMPDIR made
    every podman-load control fail, one default matrix in about twenty (exit 3)."""
    import subprocess
    from pathlib import Path

    from oci_conform.drivers.engines import podman_load_argv
    if shutil.which("podman") is None:
        pytest.skip("podman missing")
    source = Path(__file__).resolve().parents[2] / "fixtures/image/bad" \
        / "docker.layer.paths-inside-root--entry-climbs-out"
    before = set(glob.glob("/tmp/oc-load-*"))
    image = tmp_path / "oci-conform-_Xy" / "control"
    shutil.copytree(source, image)
    (tmp_path / "work").mkdir()
    done = subprocess.run(podman_load_argv(shutil.which("podman") or "podman", image,
                                           tmp_path / "work"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
    assert set(glob.glob("/tmp/oc-load-*")) <= before
