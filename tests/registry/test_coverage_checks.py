"""Checks added to widen coverage: profile syntax, run-wide summaries, new judgements.

The unit tests feed recorded-exchange values (named fakes: 429s and Warning headers are not
something a loopback docker-registry sends); the integration tests run real registries.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.registry_http import Exchange
from oci_conform.model.judging import Judge
from oci_conform.model.outcome import Outcome
from oci_conform.suites.base import RegistryOptions, RunContext, Selection
from oci_conform.suites.registry import SUITE, profile_of
from oci_conform.suites.registry.cases_push import _location_form
from oci_conform.suites.registry.summaries import (
    Observed,
    RunRecord,
    claimed_categories,
    endpoint_of,
    error_bodies,
    pull_responses,
    redirects,
    retry_after,
    warning_headers,
)

REDIRECT = "dist.spec.api.2-c"
REQ_CLAIMED = "dist.spec.requirements.3"
RETRY_AFTER = "dist.spec.error-codes.6"
RUN_ERRORS = ("dist.spec.error-codes.1", "dist.spec.error-codes.2", "dist.spec.error-codes.3",
              "dist.spec.error-codes.5")
RUN_PULLS = ("dist.spec.pulling-manifests.6", "dist.spec.pulling-manifests.11",
             "dist.spec.pulling-manifests.digest-header-required",
             "dist.spec.pulling-manifests.12", "dist.spec.pulling-blobs.digest-header-required")

# ----------------------------------------------------------------------------- NAME@PROFILE


def test_profile_in_implementation_syntax() -> None:
    impl = SUITE.parse_implementation("mine@dev=http://127.0.0.1:5000/")
    assert (impl.name, impl.command, impl.spec_version) == ("mine", "http://127.0.0.1:5000",
                                                            "main")
    assert profile_of(impl.spec_version) == "dev"
    plain = SUITE.parse_implementation("mine=http://127.0.0.1:5000")
    assert plain.spec_version == "" and profile_of(plain.spec_version) == ""
    assert profile_of(SUITE.parse_implementation("old@v1.0=http://h").spec_version) == "v1.0"


@pytest.mark.parametrize("bad", ["x@=http://h", "x@v9=http://h", "@dev=http://h",
                                 "x@dev", "x@dev=ftp://h", "x y@dev=http://h"])
def test_profile_syntax_errors(bad: str) -> None:
    with pytest.raises(ValueError):
        SUITE.parse_implementation(bad)


def test_started_registries_can_be_named_with_a_profile() -> None:
    docker = SUITE.parse_implementation("d@dev=start:docker-registry")
    assert (docker.name, docker.command, profile_of(docker.spec_version)) == \
        ("d", "start:docker-registry", "dev")
    ref = SUITE.parse_implementation("r@v1.0=start:oci-conform-registry")
    assert (ref.name, ref.command, profile_of(ref.spec_version)) == \
        ("r", "start:oci-conform-registry", "v1.0")


# ----------------------------------------------------------------------------- pure judgements

def _judge(*clauses: str) -> Judge:
    return Judge(clauses, strict=True)


class _Resp:
    """Just enough of a response for ``where`` (a fake: no HTTP behind it)."""

    def __init__(self) -> None:
        self.request = None


@pytest.mark.parametrize("loc, ok", [
    ("http://r.example/v2/a/blobs/uploads/1?_state=x", True),
    ("/v2/a/blobs/uploads/1", True),
    ("v2/a/blobs/uploads/1", False),
    ("//r.example/v2/a/blobs/uploads/1", False),
    ("ftp://r.example/x", False),
])
def test_upload_location_form(loc: str, ok: bool) -> None:
    j = _judge("dist.spec.post-then-put.3")
    _location_form(j, _Resp(), loc)  # type: ignore[arg-type]
    assert j.verdicts()["dist.spec.post-then-put.3"].outcome == (Outcome.PASS if ok
                                                               else Outcome.FAIL)


@pytest.mark.parametrize("method, url, status, point", [
    ("POST", "http://h/v2/a/blobs/uploads/", 202, "end-4a"),
    ("POST", "http://h/v2/a/blobs/uploads/?mount=sha256:x&from=b", 202, ""),
    ("POST", "http://h/v2/a/blobs/uploads/?digest=sha256:x", 201, ""),
    ("PATCH", "http://elsewhere/upload/42", 202, "end-5"),
    ("PUT", "http://elsewhere/upload/42?digest=sha256:x", 201, "end-6"),
    ("PUT", "http://h/v2/a/manifests/v1", 201, "end-7"),
    ("PUT", "http://h/v2/a/manifests/v1", 400, ""),
    ("GET", "http://h/v2/a/tags/list", 200, "end-8a"),
    ("GET", "http://h/v2/a/tags/list?n=2", 200, "end-8b"),
    ("DELETE", "http://h/v2/a/manifests/sha256:x", 202, "end-9"),
    ("DELETE", "http://h/v2/a/blobs/sha256:x", 202, "end-10"),
    ("DELETE", "http://h/v2/a/blobs/uploads/42", 204, ""),
    ("DELETE", "http://h/v2/a/manifests/sha256:x", 405, ""),
])
def test_endpoint_of(method: str, url: str, status: int, point: str) -> None:
    assert endpoint_of(method, url, status) == point


def _run_with(exchanges: list[Exchange], read_only: bool = False) -> RunRecord:
    record = RunRecord(read_only=read_only)
    record.add(exchanges)
    return record


def _ex(method: str, url: str, status: int, **headers: str) -> Exchange:
    return Exchange(method, url, status, response_headers=dict(headers))


def test_retry_after_judged_only_when_a_429_is_seen() -> None:
    j = _judge(RETRY_AFTER)
    retry_after(_run_with([_ex("GET", "http://h/v2/", 200)]), j)
    assert j.verdicts()[RETRY_AFTER].outcome == Outcome.NA
    for headers, outcome in (({"Retry-After": "3"}, Outcome.PASS),
                             ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, Outcome.PASS),
                             ({"Retry-After": "soon"}, Outcome.FAIL),
                             ({}, Outcome.FAIL)):
        j = _judge(RETRY_AFTER)
        run = _run_with([_ex("GET", "http://h/v2/a/tags/list", 429, **headers)])
        retry_after(run, j)
        assert j.verdicts()[RETRY_AFTER].outcome == outcome, headers


def test_redirects_need_a_location() -> None:
    j = _judge(REDIRECT)
    redirects(_run_with([]), j)
    assert j.verdicts()[REDIRECT].outcome == Outcome.NA
    j = _judge(REDIRECT)
    redirects(_run_with([_ex("GET", "http://h/v2/a/blobs/sha256:x", 307,
                             Location="https://cdn/x")]), j)
    assert j.verdicts()[REDIRECT].outcome == Outcome.PASS
    j = _judge(REDIRECT)
    redirects(_run_with([_ex("GET", "http://h/v2/a/blobs/sha256:x", 302)]), j)
    assert j.verdicts()[REDIRECT].outcome == Outcome.FAIL


def test_claimed_category_must_be_complete() -> None:
    push_without_patch = [_ex("POST", "http://h/v2/a/blobs/uploads/", 202),
                          _ex("PUT", "http://h/v2/a/blobs/uploads/1?digest=sha256:x", 201),
                          _ex("PUT", "http://h/v2/a/manifests/v1", 201),
                          _ex("PATCH", "http://h/v2/a/blobs/uploads/1", 404)]
    j = _judge(REQ_CLAIMED)
    claimed_categories(_run_with(push_without_patch), j)
    verdict = j.verdicts()[REQ_CLAIMED]
    assert verdict.outcome == Outcome.FAIL and "end-5" in verdict.findings[0].actual
    j = _judge(REQ_CLAIMED)
    claimed_categories(_run_with([_ex("GET", "http://h/v2/", 200)]), j)
    assert j.verdicts()[REQ_CLAIMED].outcome == Outcome.NA


def test_observed_collects_redirects_and_429s() -> None:
    seen = Observed()
    seen.add([_ex("GET", "http://h/a", 301, location="/b"), _ex("GET", "http://h/c", 429),
              _ex("GET", "http://h/d", 304)])
    assert [r[1] for r in seen.redirects] == [301]
    assert [t[1] for t in seen.too_many] == [None]


# ----------------------------------------------------------------------------- real registries

NEW_CASES = ("post-then-put", "chunked-upload", "manifest-missing-blobs", "delete-manifest",
             "delete-tag", "pull-any-order", "head-matches-get", "ns-parameter",
             "manifest-tag-parameters", "manifest-too-many-tag-parameters", "name-invalid",
             "redirects", "claimed-categories-complete")


def _outcomes(results: list[Any]) -> dict[tuple[str, str], Outcome]:
    return {(r.case.split(":", 1)[1], r.clause): r.outcome for r in results}


@pytest.mark.integration
def test_new_checks_on_docker_registry(suite_run) -> None:
    got = _outcomes(suite_run.results)
    assert got[("post-then-put", "dist.spec.post-then-put.3")] == Outcome.PASS
    assert got[("post-then-put", "dist.spec.post-then-put.4")] == Outcome.PASS   # _state=
    assert got[("chunked-upload", "dist.spec.pushing-a-blob-in-chunks.7")] == Outcome.PASS
    assert got[("manifest-missing-blobs", "dist.spec.push.2")] == Outcome.PASS
    assert got[("delete-manifest", "dist.spec.content-management.1")] == Outcome.PASS
    assert got[("delete-tag", "dist.spec.content-management.2")] == Outcome.NA
    assert got[("pull-any-order", "dist.spec.pull.1")] == Outcome.PASS
    assert got[("claimed-categories-complete", REQ_CLAIMED)] == Outcome.PASS
    # main-only rules are n/a under v1.1
    assert got[("head-matches-get", "dist.spec.api.1")] == Outcome.NA


@pytest.mark.integration
def test_dev_profile_from_the_name_on_docker_registry(docker_registry) -> None:
    """``NAME@dev=URL`` judges by the main text even though the run's option says v1.1."""
    impl = SUITE.parse_implementation(f"d@dev={docker_registry.url}")
    with tempfile.TemporaryDirectory(prefix="oci-conform-test-") as tmp:
        ctx = RunContext(catalog=default_catalog(), workdir=Path(tmp),
                         registry=RegistryOptions(profile="v1.1"),
                         selection=Selection(text=""))
        results = [r for r in SUITE.run(impl, ctx)
                   if r.case.split(":", 1)[1] in NEW_CASES]
    assert {r.evidence.facts.get("profile") for r in results if r.evidence} == {"dev"}
    got = _outcomes(results)
    assert got[("head-matches-get", "dist.spec.api.1")] == Outcome.PASS
    assert got[("ns-parameter", "dist.spec.registry-proxying.6")] == Outcome.PASS
    # docker-registry ignores tag parameters: the MAY is n/a, never a pass
    assert got[("manifest-tag-parameters", "dist.spec.pushing-manifests.tag-parameter")] == \
        Outcome.NA
    # Go's router answers a '//' in a name with a 301 carrying Location
    assert got[("redirects", REDIRECT)] == Outcome.PASS


WARN_2, WARN_3, WARN_1 = ("dist.spec.warnings.2", "dist.spec.warnings.3",
                          "dist.spec.warnings.1")


@pytest.mark.parametrize("value, form, size", [
    ('299 - "Your token expires in 30 seconds, renew it"', Outcome.PASS, Outcome.PASS),
    ('299 - "one", 299 - "two"', Outcome.PASS, Outcome.PASS),
    ('299 - "dated" "Sat, 25 Aug 2012 23:34:45 GMT"', Outcome.FAIL, Outcome.PASS),
    ('199 - "not 299"', Outcome.FAIL, Outcome.PASS),
    ('299 registry.example "agent is not -"', Outcome.FAIL, Outcome.PASS),
    ("299 - unquoted", Outcome.FAIL, Outcome.PASS),
    ('299 - "' + "w" * 4100 + '"', Outcome.PASS, Outcome.FAIL),
])
def test_warning_headers(value: str, form: Outcome, size: Outcome) -> None:
    """Fake exchanges: a loopback docker-registry sends no Warning headers."""
    run = _run_with([_ex("GET", "http://h/v2/a/manifests/v1", 200, Warning=value)])
    j = _judge(WARN_2, WARN_3, WARN_1)
    warning_headers(run, j)
    assert (j.verdicts()[WARN_2].outcome, j.verdicts()[WARN_3].outcome) == (form, size)


def test_no_warning_seen_is_na() -> None:
    j = _judge(WARN_2, WARN_3, WARN_1)
    warning_headers(_run_with([]), j)
    assert {v.outcome for v in j.verdicts().values()} == {Outcome.NA}


def _errors_judged(bodies: list[tuple[int, str]]) -> dict[str, Outcome]:
    run = _run_with([Exchange("GET", f"http://h/v2/a/x{i}", status, response_body=body)
                     for i, (status, body) in enumerate(bodies)])
    j = _judge(*RUN_ERRORS)
    error_bodies(run, j)
    return {c.rsplit(".", 1)[1]: j.verdicts()[c].outcome for c in RUN_ERRORS}


def test_error_bodies_run_wide() -> None:
    """Recorded bodies (fakes) as a registry could send them."""
    P, F, N = Outcome.PASS, Outcome.FAIL, Outcome.NA
    good = '{"errors":[{"code":"BLOB_UNKNOWN","message":"no such blob","detail":{}}]}'
    assert _errors_judged([(404, good)]) == {"1": P, "2": P, "3": P, "5": P}
    assert _errors_judged([(404, good), (400, '{"errors":[{"code":"TAG_INVALID"}]}')]) == \
        {"1": P, "2": P, "3": P, "5": F}
    assert _errors_judged([(400, '{"errors":[{"code":"tag-invalid","message":3}]}')]) == \
        {"1": P, "2": F, "3": F, "5": F}
    assert _errors_judged([(400, '{"error":"bad"}')])["1"] == F
    # not JSON, cut by the recorder, or not a 4xx: nothing to judge
    assert set(_errors_judged([(404, "404 page not found\n"),
                               (404, '{"errors":[{"code":"X"... <90 more bytes>'),
                               (500, '{"errors":"x"}')]).values()) == {N}


def test_pull_responses_run_wide() -> None:
    """Recorded responses (fakes): parameters on Content-Type, a missing or wrong digest."""
    d1 = "sha256:" + "a" * 64
    d2 = "sha256:" + "b" * 64
    exchanges = [
        _ex("GET", f"http://h/v2/a/manifests/{d1}", 200, **{
            "Content-Type": "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
            "Docker-Content-Digest": d2}),
        _ex("HEAD", "http://h/v2/a/manifests/v1", 200,
            **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}),
        _ex("GET", "http://h/v2/a/manifests/v1", 200,          # no Docker-Content-Digest
            **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}),
        _ex("GET", f"http://h/v2/a/blobs/{d1}", 200),
        _ex("GET", f"http://h/v2/a/blobs/{d1}", 206),          # partial: not judged
        _ex("GET", "http://h/v2/a/blobs/uploads/42", 200),     # not a blob
    ]
    j = _judge(*RUN_PULLS)
    pull_responses(_run_with(exchanges), j)
    got = {c: j.verdicts()[c].outcome for c in RUN_PULLS}
    assert set(got.values()) == {Outcome.FAIL}, got
    j = _judge(*RUN_PULLS)
    pull_responses(_run_with([_ex("HEAD", "http://h/v2/a/manifests/v1", 200, **{
        "Content-Type": "application/vnd.oci.image.index.v1+json"})]), j)
    got = {c: j.verdicts()[c].outcome for c in RUN_PULLS}
    assert got[RUN_PULLS[0]] == Outcome.PASS
    assert {got[c] for c in RUN_PULLS[1:]} == {Outcome.NA}
