"""The two image suites plug into the matrix and produce honest columns."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.model.outcome import Outcome
from oci_conform.orchestrate import PlanItem, run_plan
from oci_conform.suites import RunContext, Selection, all_suites
from oci_conform.suites.image_formats import ROWS
from oci_conform.suites.image_formats import SUITE as FORMATS
from oci_conform.suites.image_tools import SUITE as TOOLS


def test_suites_are_discovered_and_ids_are_in_the_catalog():
    names = {s.name for s in all_suites()}
    assert {"image-formats", "image-tools"} <= names
    catalog = default_catalog()
    for suite in (FORMATS, TOOLS):
        missing = suite.clause_ids() - set(catalog.clauses)
        assert not missing, missing


def test_parse_implementation_rejects_unknown_names():
    with pytest.raises(ValueError):
        FORMATS.parse_implementation("tarball")
    with pytest.raises(ValueError):
        TOOLS.parse_implementation("nerdctl-load")
    assert FORMATS.parse_implementation("oci-layout=oci:/x").command == "oci:/x"


def test_every_format_cell_is_meets_equivalent_or_cannot_express():
    for clause, cells in ROWS.items():
        assert set(cells) == {"oci-layout", "docker-archive", "docker-v2s2", "appc-aci"}, clause


@pytest.mark.integration
def test_image_formats_matrix(tmp_path):
    if not all(shutil.which(t) for t in ("umoci", "skopeo", "busybox")):
        pytest.skip("umoci/skopeo/busybox missing")
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path)
    results = run_plan([PlanItem(FORMATS, FORMATS.default_implementations(ctx))], ctx)
    assert results.complete, results.harness_errors
    by = {(r.clause, r.implementation): r for r in results.results}
    oci = by[("image.config.properties.38", "oci-layout")]
    assert oci.outcome is Outcome.PASS
    docker = by[("image.config.properties.38", "docker-archive")]
    assert docker.outcome is Outcome.PASS and docker.message.startswith("equivalent: ")
    cannot = by[("image.descriptor.properties.5", "docker-archive")]
    assert cannot.outcome is Outcome.NA and cannot.message.startswith("cannot express")
    # the one MUST failure: skopeo's media-type lie in a conversion column
    # (tests/image/test_conversions.py holds its evidence)
    known = {("image.layer.distributable-format.1",
              "skopeo-docker-archive-to-oci-uncompressed")}
    bad = [(r.clause, r.implementation, r.message) for r in results.results
           if r.outcome is Outcome.ERROR or (r.outcome is Outcome.FAIL and results.clauses[
               r.clause].level.tier == "must" and (r.clause, r.implementation) not in known)]
    assert not bad, bad
    # SHOULD-level findings on the tools' own output, each explained:
    # - umoci 0.4.7 writes manifests without mediaType, and skopeo's oci: index.json has no
    #   mediaType either (manifest.md / image-index.md: SHOULD set it);
    # - neither writes platform on index.json entries (descriptor.md: SHOULD);
    # - both write OCI JSON blobs in Go struct order, not canonical JSON (considerations.md:
    #   SHOULD): e.g. umoci's manifest starts {"schemaVersion":2,...}, sorted would start
    #   {"config":...}.
    # - umoci 0.4.7's repack writes a whiteout after the other entries of its folder
    #   (layer.md: SHOULD put whiteouts first).
    explained = {"image.layer.whiteouts.3", "image.layer.distributable-format.1",
                 "image.manifest.image-manifest-property-descriptions.3",
                 "image.image-index.property-descriptions.4", "image.descriptor.properties.17",
                 "image.considerations.json.1"}
    shoulds = {r.clause for r in results.results if r.outcome is Outcome.FAIL}
    assert shoulds <= explained, shoulds - explained


@pytest.mark.integration
def test_image_tools_matrix(tmp_path):
    if not all(shutil.which(t) for t in ("umoci", "skopeo")):
        pytest.skip("umoci/skopeo missing")
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path,
                     selection=Selection(clauses=("image.image-layout", "docker.layer")))
    results = run_plan([PlanItem(TOOLS, TOOLS.default_implementations(ctx))], ctx)
    assert results.complete, results.harness_errors
    assert results.results
    from oci_conform.drivers.image_sources.tool_cases import cases
    consumer_cases = {f"tool:{c.name}" for c in cases()}
    from oci_conform.drivers.image_sources.corpus import CASES
    from oci_conform.suites.image_pull import pull_cases
    broken = {(f"tool:{c.name}", c.clause) for c in CASES + pull_cases()}
    catalog = default_catalog()
    for r in results.results:
        # No failure in a consumer column unless a consumer-binding clause is broken.
        if r.outcome is Outcome.FAIL:
            assert catalog.clauses[r.clause].binds == "image-tool", (r.clause, r.message)
        if r.case in consumer_cases:
            continue          # accept/apply cases: judged in test_tool_cases
        if (r.case, r.clause) in broken:
            assert r.outcome is Outcome.NA, (r.clause, r.outcome, r.message)
            assert "does not read" in r.message or "a rule on the image" in r.message
            continue
        assert r.outcome in (Outcome.PASS, Outcome.FAIL), r.message
        assert r.evidence.runs and r.evidence.runs[-1].argv
        assert (r.outcome is Outcome.PASS) == (r.evidence.runs[-1].exit_code != 0)
    wrong_blob = next(r for r in results.results if r.implementation == "skopeo-copy"
                      and r.clause == "image.image-layout.blobs.1")
    # skopeo copies what is reachable: the stray blob is noted, and the rule binds the image
    assert wrong_blob.outcome is Outcome.NA and "a rule on the image" in wrong_blob.message
    # nothing any tool did escaped the run's folder (umoci unpack meets '../escape')
    assert not (Path(tmp_path).parent / "escape").exists()
    assert not any(p.name == "escape" for p in Path(tmp_path).rglob("escape")
                   if "rootfs" not in p.parts)


def test_a_tool_that_rejects_the_control_is_error_never_pass_or_fail(tmp_path):
    """``/bin/false`` as skopeo rejects even the control image: every case it runs is error."""
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path,
                     selection=Selection(clauses=("image.config.properties.3",
                                                  "image.config.properties.45")))
    impl = TOOLS.parse_implementation("skopeo-copy=/bin/false")
    results = run_plan([PlanItem(TOOLS, [impl])], ctx)
    judged = [r for r in results.results if r.outcome is not Outcome.NA]
    assert judged and all(r.outcome is Outcome.ERROR for r in judged), \
        [(r.clause, r.outcome) for r in judged]
    assert all("control" in r.message for r in judged)
