"""``docker load`` (a dockerd the suite starts) over the malformed-image corpus, judged only on
consumer-binding clauses.  Docker 20.10 reads docker-archive tarballs only.  One docker-archive
fault has a rule that binds its reader (a layer tar that does not hash to the config's
DiffID: image.descriptor.verification.1); every other cell is n/a with what the engine
did, which the test checks against the archive itself."""
from __future__ import annotations

import glob
import os

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.dockerd import dockerd_path
from oci_conform.drivers.image_sources.corpus import DOCKER_CASES
from oci_conform.model.outcome import Outcome
from oci_conform.orchestrate import PlanItem, run_plan
from oci_conform.suites import RunContext
from oci_conform.suites.image_tools import SUITE as TOOLS

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(dockerd_path() is None or os.geteuid() != 0,
                                 reason="docker.io (dockerd, /usr/bin/docker) and root needed")]


def _results(tmp_path, column: str):
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path)
    impl = TOOLS.parse_implementation(column)
    assert impl.available, impl.reason
    results = run_plan([PlanItem(TOOLS, [impl])], ctx)
    assert results.complete, results.harness_errors
    return results.results


def test_docker_load_reads_the_docker_archive_corpus(tmp_path):
    before = set(glob.glob("/tmp/oc-dk-*"))
    results = _results(tmp_path, "docker-load")
    judged = [r for r in results if r.outcome is not Outcome.NA]
    assert [(r.case, r.clause) for r in judged] == [
        ("tool:diff-id-wrong", "image.descriptor.verification.1")]
    # Docker refuses a layer whose DiffID does not match, and says so: a pass on the reader
    # rule, the refusal naming the fault
    assert judged[0].outcome is Outcome.PASS, judged[0].message
    assert "diffid" in judged[0].evidence.runs[-1].stderr.lower()
    ran = [r for r in results if r.evidence.runs and r.outcome is Outcome.NA]
    assert len(ran) == len(DOCKER_CASES)
    did = {}
    for r in ran:
        control, case = r.evidence.runs[0], r.evidence.runs[-1]
        assert control.exit_code == 0 and "load -i" in case.argv[2]
        assert str(tmp_path) in case.argv[-1]
        did[r.case] = case.exit_code
        assert ("rejected" if case.exit_code else "accepted") in r.message
    # a layer whose DiffID does not match, and a layer file that is not there, are refused
    assert did["tool:diff-id-wrong"] != 0 and did["tool:layer-missing"] != 0
    assert did["tool:legacy-version"] == 0
    oci = [r for r in results if not r.evidence.runs]
    assert oci and all("does not read oci images" in r.message for r in oci)
    assert set(glob.glob("/tmp/oc-dk-*")) <= before          # the daemon's folders removed


def test_a_client_that_refuses_the_control_gives_error(tmp_path):
    results = _results(tmp_path, "docker-load=/bin/false")
    judged = [r for r in results if "does not read oci images" not in r.message]
    assert len(judged) >= len(DOCKER_CASES)
    assert all(r.outcome is Outcome.ERROR for r in judged)
