"""The client judges on hand-made recordings: each can fail, and only on what it judges."""
from __future__ import annotations

import json

from oci_conform.drivers.image_sources.tools import ToolRun
from oci_conform.model.outcome import Outcome
from oci_conform.reference.registry.recording import Exchange
from oci_conform.suites.registry_clients import judge
from oci_conform.suites.registry_clients.faults import PushedManifest
from oci_conform.suites.registry_clients.steps import PLAN, Step

PLANS = {p.name: p for p in PLAN}
OK = ToolRun(["client"], 0, "", "")
FAILED = ToolRun(["client"], 1, "", "refused")


def ex(seq: int, method: str, path: str, status: int, *, query: str = "",
       headers: dict | None = None, answer: dict | None = None, size: int = 10) -> Exchange:
    return Exchange(seq, method, path, query, headers or {}, status, answer or {}, 0, size,
                    start=float(seq), end=seq + 0.5)


def step(name: str, exchanges: list[Exchange], run: ToolRun = OK, **kw) -> Step:
    return Step(PLANS[name], run=run, exchanges=exchanges, **kw)


def outcomes(observations) -> dict[str, set[Outcome]]:
    out: dict[str, set[Outcome]] = {}
    for o in observations:
        out.setdefault(o.clause, set()).add(o.outcome)
    return out


UPLOAD = "/v2/r/blobs/uploads/abc"


def test_an_upload_url_without_the_opaque_parameter_fails_post_then_put_5() -> None:
    given = ex(1, "POST", "/v2/r/blobs/uploads/", 202, answer={"Location": UPLOAD + "?s=1"})
    good = ex(2, "PUT", UPLOAD, 201, query="s=1&digest=sha256:x")
    bad = ex(3, "PUT", UPLOAD, 201, query="digest=sha256:x")
    assert outcomes(judge.upload_urls({"push": step("push", [given, good])}))[
        "dist.spec.post-then-put.5"] == {Outcome.PASS}
    found = outcomes(judge.upload_urls({"push": step("push", [given, bad])}))
    assert found["dist.spec.post-then-put.5"] == {Outcome.FAIL}
    assert found["dist.spec.post-then-put.6"] == {Outcome.PASS}


def test_a_session_url_no_location_named_fails_post_then_put_6() -> None:
    found = outcomes(judge.upload_urls({"push": step("push", [
        ex(1, "PUT", UPLOAD, 201, query="digest=sha256:x")])}))
    assert found["dist.spec.post-then-put.6"] == {Outcome.FAIL}
    assert found["dist.spec.post-then-put.5"] == {Outcome.NA}


def test_a_chunk_sent_to_an_old_location_fails_chunks_9() -> None:
    found = outcomes(judge.upload_urls({"push": step("push", [
        ex(1, "POST", "/v2/r/blobs/uploads/", 202, answer={"Location": UPLOAD + "?s=1"}),
        ex(2, "PATCH", UPLOAD, 202, query="s=1", answer={"Location": UPLOAD + "?s=2"}),
        ex(3, "PUT", UPLOAD, 201, query="s=1&digest=sha256:x")])}))
    assert found["dist.spec.pushing-a-blob-in-chunks.9"] == {Outcome.FAIL}
    assert found["dist.spec.post-then-put.5"] == {Outcome.PASS}


def test_accept_without_manifest_types_fails_pulling_manifests_5() -> None:
    pull = step("pull", [ex(1, "GET", "/v2/r/manifests/v1", 200, headers={"Accept": "*/*"})])
    assert outcomes(judge.accept_lists_manifest_types({"pull": pull}))[
        "dist.spec.pulling-manifests.5"] == {Outcome.FAIL}


def test_a_warning_shown_twice_fails_warnings_5_only() -> None:
    warned = [ex(i, "GET", "/v2/r/blobs/sha256:a", 200, answer={"Warning": '299 - "w"'})
              for i in (1, 2)]
    steps = {"pull": step("pull", [ex(1, "GET", "/v2/r/blobs/sha256:a", 200)]),
             "pull-warnings": step("pull-warnings", warned,
                                   run=ToolRun(["c"], 0, "", "w-token\nw-token\n"))}
    found = outcomes(judge.warnings_shown_once_not_acted_on(steps, "w-token"))
    assert found == {"dist.spec.warnings.4": {Outcome.PASS}, "dist.spec.warnings.5":
                     {Outcome.FAIL}, "dist.spec.warnings.6": {Outcome.PASS}}


def test_authorization_sent_to_the_redirect_target_fails_api_2() -> None:
    steps = {"basic-push": step("basic-push", []),
             "basic-pull-redirected": step(
                 "basic-pull-redirected", [ex(1, "GET", "/v2/r/blobs/sha256:a", 307)],
                 elsewhere=[ex(2, "GET", "/v2/r/blobs/sha256:a", 200,
                               headers={"Authorization": "Basic <redacted>"})])}
    found = outcomes(judge.redirects(steps))
    assert found == {"dist.spec.api.2": {Outcome.FAIL}, "dist.spec.api.2-b": {Outcome.PASS}}


def test_a_client_accepting_a_tampered_blob_fails_and_a_failed_control_is_an_error() -> None:
    tampered = [ex(1, "GET", "/v2/r/blobs/sha256:a", 200, size=600)]
    steps = {"pull": step("pull", []), "pull-tampered-blob": step("pull-tampered-blob",
                                                                  tampered)}
    assert outcomes(judge.verifies_blob_digest(steps)) == {
        "dist.spec.pulling-blobs.5": {Outcome.FAIL}}
    steps["pull"] = step("pull", [], run=FAILED)
    assert outcomes(judge.verifies_blob_digest(steps)) == {
        "dist.spec.pulling-blobs.5": {Outcome.ERROR}}


def test_the_referrers_tag_index_is_judged_descriptor_by_descriptor() -> None:
    subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
               "digest": "sha256:" + "ab" * 32, "size": 10}
    art = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "artifactType": "application/x-sig", "subject": subject,
           "config": {"mediaType": "application/vnd.oci.empty.v1+json"},
           "annotations": {"k": "v"}}
    body = json.dumps(art).encode()
    mine = PushedManifest(1.0, "r", "sig", art["mediaType"], body, 201)
    tag = judge.referrers_tag(subject["digest"])
    index = {"schemaVersion": 2, "mediaType": judge.OCI_INDEX, "manifests": [
        {"mediaType": art["mediaType"], "digest": mine.digest, "size": len(body),
         "artifactType": "application/x-other", "annotations": {"k": "v"}}]}
    pushed = PushedManifest(2.0, "r", tag, judge.OCI_INDEX, json.dumps(index).encode(), 201)
    steps = {"push": step("push", []),
             "referrer": step("referrer", [], manifests=[mine, pushed])}
    found = outcomes(judge.referrers_fallback(steps, subject))
    assert found["dist.spec.pushing-manifests-with-subject.6"] == {Outcome.FAIL}
    assert found["dist.spec.pushing-manifests-with-subject.2"] == {Outcome.PASS}
    assert found["dist.spec.pushing-manifests-with-subject.8"] == {Outcome.PASS}
    assert found["dist.spec.pushing-manifests-with-subject.7"] == {Outcome.NA}
    assert tag == "sha256-" + "ab" * 32


def test_a_single_post_whose_length_lies_fails_single_post_2() -> None:
    post = Exchange(1, "POST", "/v2/r/blobs/uploads/", "digest=sha256:x",
                    {"Content-Length": "99"}, 201, {}, 10, 0, 1.0, 1.5)
    assert outcomes(judge.single_post_length({"push": step("push", [post])})) == {
        "dist.spec.single-post.2": {Outcome.FAIL}}


def test_a_sha512_blob_without_digest_algorithm_fails() -> None:
    steps = {"push": step("push", [
        ex(1, "POST", "/v2/r/blobs/uploads/", 202, answer={"Location": UPLOAD}),
        ex(2, "PUT", UPLOAD, 201, query="digest=sha512:" + "a" * 128)])}
    assert outcomes(judge.digest_algorithm_named(steps)) == {
        "dist.spec.pushing-a-blob-in-chunks.digest-algorithm": {Outcome.FAIL}}
    steps["push"].exchanges[0] = ex(1, "POST", "/v2/r/blobs/uploads/", 202,
                                    query="digest-algorithm=sha512",
                                    answer={"Location": UPLOAD})
    assert outcomes(judge.digest_algorithm_named(steps)) == {
        "dist.spec.pushing-a-blob-in-chunks.digest-algorithm": {Outcome.PASS}}


def test_an_uploaded_blob_no_manifest_references_fails_pushing_manifests_7() -> None:
    body = json.dumps({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"digest": "sha256:c"}, "layers": []}).encode()
    pushed = PushedManifest(3.0, "r", "v1", "application/vnd.oci.image.manifest.v1+json",
                            body, 201)
    steps = {"push": step("push", [ex(1, "PUT", UPLOAD, 201, query="digest=sha256:c"),
                                   ex(2, "PUT", UPLOAD + "2", 201, query="digest=sha256:d")],
                          manifests=[pushed])}
    assert outcomes(judge.manifest_references_its_blobs(steps)) == {
        "dist.spec.pushing-manifests.7": {Outcome.FAIL}}


def test_an_abandoned_session_without_delete_fails_cancel_2() -> None:
    opened = ex(1, "POST", "/v2/r/blobs/uploads/", 202, answer={"Location": UPLOAD})
    failed_put = ex(2, "PUT", UPLOAD, 500, query="digest=sha256:x")
    steps = {"push": step("push", []),
             "push-upload-fails": step("push-upload-fails", [opened, failed_put], run=FAILED)}
    assert outcomes(judge.abandoned_uploads_cancelled(steps)) == {
        "dist.spec.cancel-a-blob-upload.2": {Outcome.FAIL}}
    steps["push-upload-fails"].exchanges.append(ex(3, "DELETE", UPLOAD, 204))
    assert outcomes(judge.abandoned_uploads_cancelled(steps)) == {
        "dist.spec.cancel-a-blob-upload.2": {Outcome.PASS}}


def test_an_ns_parameter_fails_registry_proxying_9() -> None:
    steps = {"pull": step("pull", [ex(1, "GET", "/v2/r/manifests/v1", 200,
                                      query="ns=docker.io")])}
    assert outcomes(judge.no_ns_parameter(steps)) == {
        "dist.spec.registry-proxying.9": {Outcome.FAIL}}


def test_writing_over_a_referrers_tag_that_is_no_index_fails_subject_3() -> None:
    subject = {"digest": "sha256:" + "cd" * 32}
    tag = judge.referrers_tag(subject["digest"])
    read = ex(1, "GET", f"/v2/r/manifests/{tag}", 200)
    over = PushedManifest(2.5, "r", tag, judge.OCI_INDEX, b"{}", 201)
    steps = {"referrer": step("referrer", []),
             "referrer-tag-not-index": step("referrer-tag-not-index", [read],
                                            manifests=[over])}
    assert outcomes(judge.refuses_a_tag_that_is_not_an_index(steps, subject)) == {
        "dist.spec.pushing-manifests-with-subject.3": {Outcome.FAIL}}
    steps["referrer-tag-not-index"] = step("referrer-tag-not-index", [read], run=FAILED)
    assert outcomes(judge.refuses_a_tag_that_is_not_an_index(steps, subject)) == {
        "dist.spec.pushing-manifests-with-subject.3": {Outcome.PASS}}
