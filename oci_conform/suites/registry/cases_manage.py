"""Content management (deletes), grammar (names, tags, digests), errors and robustness."""

from __future__ import annotations

import threading
import uuid
from urllib.parse import urlsplit

import requests

import oci_conform.suites.registry.content as C
import oci_conform.suites.registry.controls as controls
from oci_conform.suites.registry.framework import Case, CaseError, Judge, Why
from oci_conform.suites.registry.judging import (
    ANY_4XX,
    error_body,
    refused,
    status,
    where,
)
from oci_conform.suites.registry.reasons import (
    BLOB_DIGEST_FAULT,
    NAME_FAULT,
    NO_ROW_REFERENCE,
    NO_ROW_TAG,
    REPOSITORY_FAULT,
    TRAVERSAL_FAULT,
)
from oci_conform.suites.registry.session import Session

OCTET = {"Content-Type": "application/octet-stream"}
DISABLED = (400, 405)


# ----------------------------------------------------------------------------- deletes


def delete_manifest(s: Session, j: Judge) -> None:
    repo = s.name("delete-manifest")
    man = C.image(s.salt, "delete-me")
    s.push_image(repo, man, "doomed")
    resp = s.client.request("DELETE", f"/v2/{repo}/manifests/{man.digest}")
    j.check(
        "dist.spec.content-management.1",
        resp.status_code in (202, *DISABLED),
        f"DELETE of a stored manifest answered {resp.status_code}: deletion "
        + (
            "offered"
            if resp.status_code == 202
            else "disabled"
            if resp.status_code in DISABLED
            else "neither offered nor disabled"
        ),
        expected="202 (offered) or 400/405 (disabled)",
        actual=resp.status_code,
        location=where(resp),
    )
    if resp.status_code in DISABLED:
        j.not_judged(
            "dist.spec.deleting-manifests.1",
            Why.NOT_OFFERED,
            f"manifest deletion is disabled ({resp.status_code})",
        )
        j.check(
            "dist.spec.deleting-manifests.3", True, f"disabled deletion answered {resp.status_code}"
        )
        return
    status(j, "dist.spec.deleting-manifests.1", resp, (202,), "DELETE manifest by digest")
    j.not_judged("dist.spec.deleting-manifests.3", Why.ABSENT, "manifest deletion is enabled")
    if resp.status_code == 202:
        after = s.get_manifest(repo, man.digest)
        status(
            j, "dist.spec.deleting-manifests.1", after, (404,), "GET the deleted manifest by digest"
        )
        tag = s.get_manifest(repo, "doomed")
        status(
            j, "dist.spec.deleting-manifests.1", tag, (404,), "GET a tag of the deleted manifest"
        )


def delete_manifest_missing_repo(s: Session, j: Judge) -> None:
    digest = C.digest_of(f"nothing-{s.run_id}".encode())
    resp = s.client.request("DELETE", f"/v2/oci-conform/absent-{s.run_id}/manifests/{digest}")
    if resp.status_code in (405,):
        j.not_judged(
            "dist.spec.deleting-manifests.2", Why.NOT_OFFERED, "manifest deletion is disabled (405)"
        )
        return
    refused(j, "dist.spec.deleting-manifests.2", resp, (404,),
            "DELETE manifest in a missing repository", REPOSITORY_FAULT)


def delete_tag(s: Session, j: Judge) -> None:
    repo = s.name("delete-tag")
    man = C.image(s.salt, "tagged-twice")
    s.push_image(repo, man, "keep")
    if s.put_manifest(repo, "drop", man).status_code != 201:
        raise CaseError("could not add a second tag")
    resp = s.client.request("DELETE", f"/v2/{repo}/manifests/drop")
    if resp.status_code == 202:
        after = s.get_manifest(repo, "drop")
        j.check(
            "dist.spec.content-management.2",
            after.status_code == 404,
            "tag deletion offered: the tag is gone",
            expected=404,
            actual=after.status_code,
            location=where(after),
        )
    else:
        j.not_judged(
            "dist.spec.content-management.2",
            Why.NOT_OFFERED,
            f"tag deletion is not offered ({resp.status_code})",
        )
    if resp.status_code in DISABLED:
        j.not_judged(
            "dist.spec.deleting-tags.1",
            Why.NOT_OFFERED,
            f"tag deletion is not offered ({resp.status_code})",
        )
        j.check(
            "dist.spec.deleting-tags.2", True, f"disabled tag deletion answered {resp.status_code}"
        )
        return
    status(j, "dist.spec.deleting-tags.1", resp, (202,), "DELETE by tag")
    j.check(
        "dist.spec.deleting-tags.2",
        resp.status_code == 202,
        f"tag deletion answered {resp.status_code}",
        expected="202, or 400/405 when disabled",
        actual=resp.status_code,
        location=where(resp),
    )
    if resp.status_code == 202:
        status(
            j,
            "dist.spec.deleting-tags.1",
            s.get_manifest(repo, "drop"),
            (404,),
            "GET the deleted tag",
        )
        status(
            j,
            "dist.spec.deleting-tags.1",
            s.get_manifest(repo, "keep"),
            (200,),
            "GET the other tag",
        )
        status(
            j,
            "dist.spec.deleting-tags.1",
            s.get_manifest(repo, man.digest),
            (200,),
            "GET the manifest by digest after its tag went",
        )


def delete_blob(s: Session, j: Judge) -> None:
    repo = s.name("delete-blob")
    blob = C.Blob(C.random_bytes(s.salt + "delblob", 1500))
    s.require_blob(repo, blob)
    resp = s.client.request("DELETE", f"/v2/{repo}/blobs/{blob.digest}")
    if resp.status_code in DISABLED:
        j.not_judged(
            "dist.spec.deleting-blobs.1",
            Why.NOT_OFFERED,
            f"blob deletion is disabled ({resp.status_code})",
        )
        j.check(
            "dist.spec.deleting-blobs.3",
            True,
            f"disabled blob deletion answered {resp.status_code}",
        )
        return
    status(j, "dist.spec.deleting-blobs.1", resp, (202,), "DELETE blob")
    j.not_judged("dist.spec.deleting-blobs.3", Why.ABSENT, "blob deletion is enabled")
    if resp.status_code == 202:
        status(
            j,
            "dist.spec.deleting-blobs.1",
            s.client.request("GET", f"/v2/{repo}/blobs/{blob.digest}"),
            (404,),
            "GET the deleted blob",
        )


def delete_blob_unknown(s: Session, j: Judge) -> None:
    digest = C.digest_of(f"absent-blob-{s.run_id}".encode())
    resp = s.client.request("DELETE", f"/v2/{s.repo}/blobs/{digest}")
    if resp.status_code == 405:
        j.not_judged(
            "dist.spec.deleting-blobs.2", Why.NOT_OFFERED, "blob deletion is disabled (405)"
        )
        return
    refused(
        j,
        "dist.spec.deleting-blobs.2",
        resp,
        (404,),
        "DELETE of a blob that is not there",
        ("BLOB_UNKNOWN",),
    )


# ----------------------------------------------------------------------------- grammar

BAD_NAMES = ["UPPER/case", "a___b", "trailing-", "-leading", ".dot/start", "a/b//c"]
GOOD_NAMES = ["a0.b_c__d-e--f/g", "x/y.z/w_1/v-2"]
BAD_TAGS = [".dot", "-dash", "t" * 129, "has space", "semi;colon"]


def name_invalid(s: Session, j: Judge) -> None:
    for bad in BAD_NAMES:
        raw = f"{s.client.base_url}/v2/{s.prefix or 'oci-conform'}/{bad}/blobs/uploads/"
        resp = s.client.send_raw("POST", raw, headers={"Content-Length": "0"})
        if resp.status_code == 202:
            s.ledger.uploads.append(resp.headers.get("Location", ""))
        _refused_or_redirected(j, "dist.spec.pulling-manifests.3", resp,
                               f"upload to invalid name {bad!r}", NAME_FAULT)


def name_valid(s: Session, j: Judge) -> None:
    for good in GOOD_NAMES:
        resp = s.client.request(
            "POST", f"/v2/{s.name(good)}/blobs/uploads/", headers={"Content-Length": "0"}
        )
        if resp.status_code == 202:
            s.ledger.uploads.append(resp.headers.get("Location", ""))
        status(j, "dist.spec.pulling-manifests.3", resp, (202,), f"upload to valid name {good!r}")


def name_long(s: Session, j: Judge) -> None:
    long_ok = s.name("n" + "a" * 150)
    resp = s.client.request(
        "POST", f"/v2/{long_ok}/blobs/uploads/", headers={"Content-Length": "0"}
    )
    if resp.status_code == 202:
        s.ledger.uploads.append(resp.headers.get("Location", ""))
    status(
        j,
        "dist.spec.pulling-manifests.3",
        resp,
        (202,),
        f"upload to a {len(long_ok)}-character valid name",
    )
    huge = s.name("/".join(["seg" + str(i) for i in range(1200)]))
    resp = s.client.request("POST", f"/v2/{huge}/blobs/uploads/", headers={"Content-Length": "0"})
    if resp.status_code == 202:
        s.ledger.uploads.append(resp.headers.get("Location", ""))
    j.check(
        "dist.spec.pulling-manifests.3",
        resp.status_code < 500,
        f"{len(huge)}-character name: HTTP {resp.status_code}",
        expected="202, or 4xx (NAME_INVALID/414), never 5xx",
        actual=resp.status_code,
        location=where(resp)[:200],
    )


def tag_invalid(s: Session, j: Judge) -> None:
    man = s.image()
    for bad in BAD_TAGS:
        raw = f"{s.client.base_url}/v2/{s.repo}/manifests/{bad.replace(' ', '%20')}"
        resp = s.client.send_raw(
            "PUT", raw, headers={"Content-Type": man.media_type}, data=man.data
        )
        if resp.status_code == 201:
            s.ledger.manifest(s.repo, man.digest)
        refused(j, "dist.spec.pulling-manifests.4", resp, ANY_4XX,
                f"PUT manifest with invalid tag {bad[:20]!r}", (), status_only=NO_ROW_TAG)
    long_tag = "t" * 129
    resp = s.client.request(
        "PUT",
        f"/v2/{s.repo}/manifests/{long_tag}",
        data=man.data,
        headers={"Content-Type": man.media_type},
    )
    if resp.status_code == 201:
        s.ledger.manifest(s.repo, man.digest)
    refused(j, "dist.spec.pulling-manifests.4", resp, ANY_4XX,
            "valid manifest under a 129-character tag", (), status_only=NO_ROW_TAG)


def tag_valid(s: Session, j: Judge) -> None:
    man = s.image()
    for tag in ("t" * 128, "_under.Score-Mixed9"):
        resp = s.put_manifest(s.repo, tag, man)
        status(
            j,
            "dist.spec.pulling-manifests.4",
            resp,
            (201,),
            f"PUT manifest with valid tag {tag[:20]!r} ({len(tag)} chars)",
        )
        got = s.get_manifest(s.repo, tag)
        status(
            j,
            "dist.spec.pulling-manifests.4",
            got,
            (200,),
            f"GET manifest by valid tag {tag[:20]!r}",
        )


def reference_invalid(s: Session, j: Judge) -> None:
    t = s.target()
    for bad in ("bad!ref", "sha256:short", "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:"):
        resp = s.client.send_raw(
            "GET",
            f"{s.client.base_url}/v2/{t.repo}/manifests/{bad}",
            headers={"Accept": C.OCI_MANIFEST},
        )
        refused(j, "dist.spec.pulling-manifests.2", resp, ANY_4XX,
                f"GET manifest with malformed reference {bad!r}", (),
                status_only=NO_ROW_REFERENCE)


def digest_invalid(s: Session, j: Judge) -> None:
    t = s.target()
    for bad in ("sha256:abc", "sha256:" + "Z" * 64, "nodigest", "sha256:" + "a" * 63):
        resp = s.client.send_raw("GET", f"{s.client.base_url}/v2/{t.repo}/blobs/{bad}")
        refused(j, "dist.spec.pulling-blobs.6", resp, (400, 404),
                f"GET blob with malformed digest {bad[:24]!r}", BLOB_DIGEST_FAULT)


# ----------------------------------------------------------------------------- errors


def error_unknown_upload(s: Session, j: Judge) -> None:
    resp = s.client.request("GET", f"/v2/{s.repo}/blobs/uploads/{uuid.uuid4()}")
    refused(
        j,
        "dist.spec.error-codes.5",
        resp,
        (404,),
        f"status of an unknown upload: HTTP {resp.status_code}",
        ("BLOB_UPLOAD_UNKNOWN",),
    )
    error_body(
        j,
        resp,
        "unknown upload",
        format_clause="dist.spec.error-codes.1",
        code_clause="dist.spec.error-codes.2",
        listed_clause="dist.spec.error-codes.5",
        message_clause="dist.spec.error-codes.3",
        expected_codes=("BLOB_UPLOAD_UNKNOWN",),
    )


def error_invalid_manifest(s: Session, j: Judge) -> None:
    resp = s.client.request(
        "PUT",
        f"/v2/{s.repo}/manifests/broken",
        data=b'{"schemaVersion": 2, "mediaType": ',
        headers={"Content-Type": C.OCI_MANIFEST},
    )
    refused(
        j,
        "dist.spec.error-codes.5",
        resp,
        (400,),
        f"PUT of truncated JSON: HTTP {resp.status_code}",
        ("MANIFEST_INVALID",),
    )
    error_body(
        j,
        resp,
        "invalid manifest",
        format_clause="dist.spec.error-codes.1",
        code_clause="dist.spec.error-codes.2",
        listed_clause="dist.spec.error-codes.5",
        message_clause="dist.spec.error-codes.3",
        expected_codes=("MANIFEST_INVALID",),
    )


# ----------------------------------------------------------------------------- robustness

TRAVERSALS = [
    "{repo}/../../../../etc/passwd/manifests/latest",
    "{repo}/%2e%2e/%2e%2e/other/manifests/latest",
    "../{repo}/manifests/{tag}",
    "{repo}/blobs/sha256:../../../../../../etc/passwd",
    "{repo}/blobs/sha256:..%2f..%2f..%2fetc%2fpasswd",
    "{repo}/manifests/..%2f..%2f{tag}",
]


def _inside_v2(resp: requests.Response) -> bool:
    """A redirect to the dot-segment-free path is a refusal, not a traversal.

    RFC 3986 clients remove ``..`` segments themselves; a registry that answers with a
    redirect to the cleaned path serves nothing for the invalid name.
    """
    if resp.status_code not in (301, 302, 307, 308):
        return False
    loc = resp.headers.get("Location", "")
    path = urlsplit(loc).path or loc
    return ".." not in path and "%2e%2e" not in path.lower()


def path_traversal(s: Session, j: Judge) -> None:
    t = s.target()
    for pattern in TRAVERSALS:
        path = pattern.format(repo=t.repo, tag=t.tag)
        resp = s.client.send_raw(
            "GET", f"{s.client.base_url}/v2/{path}", headers={"Accept": C.OCI_MANIFEST}
        )
        clause = (
            "dist.spec.pulling-blobs.6" if "/blobs/" in pattern else "dist.spec.pulling-manifests.3"
        )
        if _inside_v2(resp):
            j.note(f"{path}: redirected to {resp.headers.get('Location')}")
        _refused_or_redirected(j, clause, resp, f"GET /v2/{path[:60]} sent byte-exact",
                               TRAVERSAL_FAULT)


def push_traversal(s: Session, j: Judge) -> None:
    base = s.prefix or "oci-conform"
    raw = f"{s.client.base_url}/v2/{base}/../../escape/blobs/uploads/"
    resp = s.client.send_raw("POST", raw, headers={"Content-Length": "0"})
    if resp.status_code == 202:
        s.ledger.uploads.append(resp.headers.get("Location", ""))
    _refused_or_redirected(j, "dist.spec.pulling-manifests.3", resp,
                           "POST upload to a name with '..'", TRAVERSAL_FAULT)


def _refused_or_redirected(j: Judge, clause: str, resp: requests.Response, what: str,
                           names: tuple[str, ...]) -> None:
    """A refusal naming the fault (``judging.refused``), or a redirect to the cleaned path
    (which serves nothing for the invalid name as given)."""
    if _inside_v2(resp):
        j.check(clause, True, f"redirected to {resp.headers.get('Location')}: {what}: "
                f"HTTP {resp.status_code}", location=where(resp))
        return
    refused(j, clause, resp, ANY_4XX, what, names)


def concurrent_same_blob(s: Session, j: Judge) -> None:
    repo = s.name("concurrent")
    blob = C.Blob(C.random_bytes(s.salt + "concurrent", 1 << 20))
    codes: list[int | str] = []
    lock = threading.Lock()

    def push() -> None:
        try:
            code: int | str = s.push_blob(repo, blob).status_code
        except requests.RequestException as exc:
            code = type(exc).__name__
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=push) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    broken = [c for c in codes if isinstance(c, str)]
    if broken or len(codes) < 4:  # no HTTP answer is no observation: the harness could not judge
        for clause in ("dist.spec.post-then-put.7", "dist.spec.pulling-blobs.1"):
            j.error(clause, f"concurrent uploads got no HTTP answer: {broken or 'timeout'}")
        return
    j.check(
        "dist.spec.post-then-put.7",
        codes == [201] * 4,
        f"4 concurrent uploads answered {codes}",
        expected=[201] * 4,
        actual=codes,
        location=f"PUT /v2/{repo}/blobs/uploads/...",
    )
    resp, digest, size, _ = s.client.download_digest(f"/v2/{repo}/blobs/{blob.digest}")
    j.check(
        "dist.spec.pulling-blobs.1",
        digest == blob.digest and size == blob.size,
        "blob intact after concurrent uploads",
        expected=blob.digest,
        actual=digest,
        location=where(resp),
    )


def abandoned_upload(s: Session, j: Judge) -> None:
    repo = s.name("abandoned")
    blob = C.Blob(C.random_bytes(s.salt + "abandoned", 300_000))
    start = s.client.request("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
    loc = start.headers.get("Location")
    if start.status_code != 202 or not loc:
        raise CaseError(f"POST answered {start.status_code}")
    s.ledger.uploads.append(loc)
    half = s.client.request(
        "PATCH",
        loc,
        data=blob.data[:100_000],
        headers={**OCTET, "Content-Range": "0-99999", "Content-Length": "100000"},
    )
    if half.status_code == 202 and half.headers.get("Location"):
        s.ledger.uploads.append(half.headers["Location"])
    resp = s.push_blob(repo, blob)
    status(
        j,
        "dist.spec.post-then-put.7",
        resp,
        (201,),
        "a whole upload while an abandoned one for the same blob stays open",
    )
    got, digest, _, _ = s.client.download_digest(f"/v2/{repo}/blobs/{blob.digest}")
    j.check(
        "dist.spec.pulling-blobs.1",
        digest == blob.digest,
        "blob intact despite the abandoned upload",
        expected=blob.digest,
        actual=digest,
        location=where(got),
    )


CASES = [
    Case(
        "delete-manifest",
        "management",
        (
            "dist.spec.content-management.1",
            "dist.spec.deleting-manifests.1",
            "dist.spec.deleting-manifests.3",
        ),
        delete_manifest,
    ),
    Case(
        "delete-manifest-missing-repository",
        "management",
        ("dist.spec.deleting-manifests.2",),
        delete_manifest_missing_repo,
        control=controls.manifest_get,
    ),
    Case(
        "delete-tag",
        "management",
        (
            "dist.spec.content-management.2",
            "dist.spec.deleting-tags.1",
            "dist.spec.deleting-tags.2",
        ),
        delete_tag,
    ),
    Case(
        "delete-blob",
        "management",
        ("dist.spec.deleting-blobs.1", "dist.spec.deleting-blobs.3"),
        delete_blob,
    ),
    Case(
        "delete-blob-unknown",
        "management",
        ("dist.spec.deleting-blobs.2",),
        delete_blob_unknown,
        control=controls.blob_delete,
    ),
    Case(
        "name-invalid",
        "grammar",
        ("dist.spec.pulling-manifests.3",),
        name_invalid,
        control=controls.monolithic_upload,
    ),
    Case("name-valid", "grammar", ("dist.spec.pulling-manifests.3",), name_valid),
    Case("name-long", "grammar", ("dist.spec.pulling-manifests.3",), name_long),
    Case(
        "tag-invalid",
        "grammar",
        ("dist.spec.pulling-manifests.4",),
        tag_invalid,
        control=controls.manifest_push,
    ),
    Case("tag-valid", "grammar", ("dist.spec.pulling-manifests.4",), tag_valid),
    Case(
        "reference-invalid",
        "grammar",
        ("dist.spec.pulling-manifests.2",),
        reference_invalid,
        control=controls.manifest_get,
        write=False,
    ),
    Case(
        "digest-invalid",
        "grammar",
        ("dist.spec.pulling-blobs.6",),
        digest_invalid,
        control=controls.blob_get,
        write=False,
    ),
    Case(
        "error-unknown-upload",
        "errors",
        (
            "dist.spec.error-codes.1",
            "dist.spec.error-codes.2",
            "dist.spec.error-codes.3",
            "dist.spec.error-codes.5",
        ),
        error_unknown_upload,
        control=controls.upload_status,
        write=False,
    ),
    Case(
        "error-invalid-manifest",
        "errors",
        (
            "dist.spec.error-codes.1",
            "dist.spec.error-codes.2",
            "dist.spec.error-codes.3",
            "dist.spec.error-codes.5",
        ),
        error_invalid_manifest,
        control=controls.manifest_push,
    ),
    Case(
        "path-traversal",
        "robustness",
        ("dist.spec.pulling-manifests.3", "dist.spec.pulling-blobs.6"),
        path_traversal,
        control=controls.manifest_get,
        write=False,
    ),
    Case(
        "push-path-traversal",
        "robustness",
        ("dist.spec.pulling-manifests.3",),
        push_traversal,
        control=controls.monolithic_upload,
    ),
    Case(
        "concurrent-same-blob",
        "robustness",
        ("dist.spec.post-then-put.7", "dist.spec.pulling-blobs.1"),
        concurrent_same_blob,
    ),
    Case(
        "abandoned-upload",
        "robustness",
        ("dist.spec.post-then-put.7", "dist.spec.pulling-blobs.1"),
        abandoned_upload,
    ),
]
