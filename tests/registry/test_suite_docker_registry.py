"""The registry suite against Debian's docker-registry on loopback."""
from __future__ import annotations

import json

import pytest
import requests

from oci_conform.catalog.loader import default_catalog
from oci_conform.model.outcome import Outcome
from oci_conform.suites.registry import SUITE, check_count
from oci_conform.suites.registry.runner import all_cases

pytestmark = pytest.mark.integration


def test_at_least_110_checks_all_catalogued() -> None:
    assert check_count() >= 110
    ids = SUITE.clause_ids()
    assert ids <= set(default_catalog().clauses)
    assert len(ids) >= 100


def test_every_check_produced_an_outcome(suite_run) -> None:
    known = set(default_catalog().clauses)
    seen = {(r.case, r.clause) for r in suite_run.results}
    wanted = {(f"registry:{case.name}", clause) for case in all_cases()
              for clause in case.clauses if clause in known}
    assert wanted - seen == set()
    assert not [r for r in suite_run.results if r.clause not in known]


def test_no_harness_errors(suite_run) -> None:
    errors = [(r.case, r.clause, r.message) for r in suite_run.results
              if r.outcome == Outcome.ERROR]
    assert errors == []


def test_every_declared_clause_can_be_judged(suite_run) -> None:
    """A full write-mode run on a real registry: no declared clause is left at skip (skip is
    only for read-only mode and host limits), and the reachability check passed."""
    skipped = [(r.case, r.clause, r.message) for r in suite_run.results
               if r.outcome == Outcome.SKIP]
    assert skipped == []
    reach = [r for r in suite_run.results if r.clause == "harness.registry.reachable"]
    assert [r.outcome for r in reach] == [Outcome.PASS]


def test_failures_carry_exchange_and_clause(suite_run) -> None:
    failures = [r for r in suite_run.results if r.outcome == Outcome.FAIL]
    assert failures, "docker-registry 2.8 is known to fail some checks (e.g. PATCH ranges)"
    for r in failures:
        assert r.clause.startswith(("dist.", "harness."))
        assert r.findings, f"{r.case} {r.clause} has no finding"
        if r.case.startswith("registry:") and r.clause not in (
                "dist.spec.requirements.1", "dist.spec.requirements.2"):   # run-wide sums
            http = r.evidence.exchanges
            assert http, f"{r.case} {r.clause} has no HTTP exchange"
            assert http[0].method and http[0].url and http[0].response_headers


def test_out_of_order_chunk_not_weakened(suite_run) -> None:
    """docker-registry 2.8 ignores Content-Range on PATCH: the suite must say so."""
    r = next(r for r in suite_run.results if r.case == "registry:chunked-out-of-order"
             and r.clause == "dist.spec.pushing-a-blob-in-chunks.11")
    assert r.outcome == Outcome.FAIL
    assert any(e.method == "PATCH" and e.status == 202 for e in r.evidence.exchanges)


def test_core_pull_and_push_pass(suite_run) -> None:
    by = {(r.case, r.clause): r.outcome for r in suite_run.results}
    for key in [("registry:manifest-get-by-tag", "dist.spec.pulling-manifests.10"),
                ("registry:blob-get", "dist.spec.pulling-blobs.1"),
                ("registry:post-then-put", "dist.spec.post-then-put.7"),
                ("registry:chunked-upload", "dist.spec.pushing-a-blob-in-chunks.15"),
                ("registry:manifest-push-by-digest", "dist.spec.pushing-manifests.9"),
                ("registry:delete-blob", "dist.spec.deleting-blobs.1")]:
        assert by[key] == Outcome.PASS, key


def test_referrers_absent_gives_na_and_fallback_runs(suite_run) -> None:
    by = {(r.case, r.clause): r for r in suite_run.results}
    assert by[("registry:referrers-list", "dist.spec.listing-referrers.4")].outcome == Outcome.NA
    fb = by[("registry:referrers-tag-fallback", "dist.spec.listing-referrers.17")]
    assert fb.outcome == Outcome.PASS


def test_cleanup_happened(suite_run) -> None:
    cleanup = [r for r in suite_run.results if r.clause == "harness.registry.cleanup"]
    assert len(cleanup) == 1 and cleanup[0].outcome == Outcome.PASS, cleanup
    assert cleanup[0].evidence.facts["pushed"] > 20
    base = suite_run.registry.url
    repos = requests.get(f"{base}/v2/_catalog", params={"n": 1000}, timeout=10).json()
    ours = [r for r in repos.get("repositories", []) if r.startswith("oci-conform/run-")]
    assert ours, "the run pushed into repositories under oci-conform/run-<id>"
    for repo in ours:
        resp = requests.get(f"{base}/v2/{repo}/tags/list", timeout=10)
        tags = resp.json().get("tags") if resp.status_code == 200 else None
        assert not tags, f"{repo} still has tags {tags}"


def test_results_are_json_serialisable(suite_run) -> None:
    text = json.dumps([r.to_dict() for r in suite_run.results])
    assert "Authorization" not in text or "<redacted>" in text


def test_edge_states_on_docker_registry(suite_run) -> None:
    """docker-registry 2.8.2: the deviations the edge cases find are real ones."""
    by = {(r.case, r.clause): r for r in suite_run.results}
    for key in [("registry:emptied-repository", "dist.spec.pulling-manifests.16"),
                ("registry:delete-index-child", "dist.spec.deleting-manifests.1"),
                ("registry:delete-index-child", "dist.spec.pulling-manifests.10"),
                ("registry:head-get-agree",
                 "dist.spec.checking-if-content-exists-in-the-registry.1")]:
        assert by[key].outcome == Outcome.PASS, (key, by[key].message)
    # an OCI manifest asked for without any Accept header: docker-registry answers 404
    accept = by[("registry:accept-edges", "dist.spec.pulling-manifests.10")]
    assert accept.outcome == Outcome.FAIL and "no Accept header: HTTP 404" in accept.message
    # it ignores last (no pagination in 2.8): tags past the end are still listed
    last = by[("registry:tags-pagination-edges", "dist.spec.listing-tags.11")]
    assert last.outcome == Outcome.FAIL
    # an emptied repository lists its tags as null, not an empty list
    emptied = by[("registry:emptied-repository", "dist.spec.listing-tags.2")]
    assert emptied.outcome == Outcome.FAIL and "null" in emptied.message
