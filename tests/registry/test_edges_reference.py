"""The edge-state cases on the reference registry, which follows the spec text on each."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.model.outcome import Outcome
from oci_conform.suites.base import RegistryOptions, RunContext
from oci_conform.suites.registry import SUITE

pytestmark = pytest.mark.integration

EDGES = ("emptied-repository", "accept-edges", "head-get-agree", "delete-index-child",
         "tags-pagination-edges")


@pytest.mark.parametrize("profile", ["v1.1", "dev"])
def test_edge_states_pass_on_the_reference_registry(profile: str) -> None:
    impl = SUITE.parse_implementation("ref=start:oci-conform-registry")
    if not impl.available:
        pytest.skip(impl.reason)
    with tempfile.TemporaryDirectory(prefix="oci-conform-test-") as tmp:
        ctx = RunContext(catalog=default_catalog(), workdir=Path(tmp),
                         registry=RegistryOptions(profile=profile, cases=EDGES))
        results = [r for r in SUITE.run(impl, ctx) if r.case.removeprefix("registry:") in EDGES]
    assert {r.case.removeprefix("registry:") for r in results} == set(EDGES)
    bad = [(r.case, r.clause, r.outcome.value, r.message) for r in results
           if r.outcome not in (Outcome.PASS, Outcome.NA)]
    assert bad == []
    judged = {r.clause for r in results if r.outcome is Outcome.PASS}
    if profile == "dev":      # the main-only HEAD rules are judged, not n/a
        assert "dist.spec.checking-if-content-exists-in-the-registry.content-length-required" \
            in judged
