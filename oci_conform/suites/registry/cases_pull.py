"""Pull: manifests and blobs by tag and digest, GET and HEAD, Range, negotiation, 404s."""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin

import requests

import oci_conform.suites.registry.content as C
import oci_conform.suites.registry.controls as controls
from oci_conform.drivers.registry_http import MANIFEST_ACCEPT
from oci_conform.suites.registry.framework import Case, CaseError, Judge, Why
from oci_conform.suites.registry.judging import (
    content_type,
    error_body,
    header,
    refused,
    status,
    where,
)
from oci_conform.suites.registry.reasons import NO_ROW_RANGE
from oci_conform.suites.registry.session import Session, _json


def manifest_by_tag(s: Session, j: Judge) -> None:
    t = s.target()
    resp = s.get_manifest(t.repo, t.tag)
    status(j, "dist.spec.pulling-manifests.10", resp, (200,), f"GET manifest by tag {t.tag}")
    j.check(
        "dist.spec.pulling-manifests.10",
        C.digest_of(resp.content) == t.digest,
        "GET by tag returns the expected manifest bytes",
        expected=t.digest,
        actual=C.digest_of(resp.content),
        location=where(resp),
    )
    j.check(
        "dist.spec.pulling-manifests.1",
        resp.status_code == 200,
        f"a tag is accepted as <reference> ({t.tag})",
        expected=200,
        actual=resp.status_code,
        location=where(resp),
    )
    raw = resp.headers.get("Content-Type", "")
    j.check(
        "dist.spec.pulling-manifests.6",
        ";" not in raw,
        f"Content-Type {raw!r} carries no parameters",
        expected="no parameters",
        actual=raw,
        location=where(resp),
    )
    j.check(
        "dist.spec.pulling-manifests.8",
        content_type(resp) == t.media_type,
        f"Content-Type {content_type(resp)!r} matches the pushed type",
        expected=t.media_type,
        actual=content_type(resp),
        location=where(resp),
    )
    header(
        j, "dist.spec.pulling-manifests.11", resp, "Docker-Content-Digest", "GET manifest by tag"
    )
    header(
        j,
        "dist.spec.pulling-manifests.digest-header-required",
        resp,
        "Docker-Content-Digest",
        "GET manifest by tag",
    )


def manifest_by_digest(s: Session, j: Judge) -> None:
    t = s.target()
    resp = s.get_manifest(t.repo, t.digest)
    status(j, "dist.spec.pulling-manifests.10", resp, (200,), "GET manifest by digest")
    got = C.digest_of(resp.content)
    j.check(
        "dist.spec.pulling-manifests.10",
        got == t.digest,
        "body hashes to the requested digest",
        expected=t.digest,
        actual=got,
        location=where(resp),
    )
    j.check(
        "dist.spec.pulling-manifests.1",
        resp.status_code == 200,
        "a digest is accepted as <reference>",
        expected=200,
        actual=resp.status_code,
        location=where(resp),
    )
    if "Docker-Content-Digest" in resp.headers:
        j.check(
            "dist.spec.pulling-manifests.12",
            resp.headers["Docker-Content-Digest"] == t.digest,
            "Docker-Content-Digest names the manifest served",
            expected=t.digest,
            actual=resp.headers["Docker-Content-Digest"],
            location=where(resp),
        )
    else:
        j.not_judged(
            "dist.spec.pulling-manifests.12",
            Why.ABSENT,
            "no Docker-Content-Digest header to compare",
        )


def manifest_head(s: Session, j: Judge) -> None:
    t = s.target()
    for ref in (t.tag, t.digest):
        resp = s.get_manifest(t.repo, ref, method="HEAD")
        status(
            j,
            "dist.spec.checking-if-content-exists-in-the-registry.1",
            resp,
            (200,),
            f"HEAD manifest {ref[:24]}",
        )
        for clause in (
            "dist.spec.checking-if-content-exists-in-the-registry.2",
            "dist.spec.checking-if-content-exists-in-the-registry.digest-header-required",
        ):
            header(
                j,
                clause,
                resp,
                "Docker-Content-Digest",
                f"HEAD manifest {ref[:24]}",
                equals=t.digest,
            )
        for clause in (
            "dist.spec.checking-if-content-exists-in-the-registry.3",
            "dist.spec.checking-if-content-exists-in-the-registry.content-length-required",
        ):
            header(
                j,
                clause,
                resp,
                "Content-Length",
                f"HEAD manifest {ref[:24]}",
                equals=str(len(t.data)),
            )


def manifest_unknown(s: Session, j: Judge) -> None:
    t = s.target()
    missing_tag = f"oci-conform-missing-{s.run_id}"
    resp = s.get_manifest(t.repo, missing_tag)
    refused(
        j, "dist.spec.pulling-manifests.16", resp, (404,), "GET unknown tag", ("MANIFEST_UNKNOWN",)
    )
    error_body(
        j,
        resp,
        "unknown tag",
        format_clause="dist.spec.error-codes.1",
        code_clause="dist.spec.error-codes.2",
        listed_clause="dist.spec.error-codes.5",
        message_clause="dist.spec.error-codes.3",
        expected_codes=("MANIFEST_UNKNOWN",),
    )
    digest = C.digest_of(f"nothing-{s.run_id}".encode())
    resp = s.get_manifest(t.repo, digest)
    refused(
        j,
        "dist.spec.pulling-manifests.16",
        resp,
        (404,),
        "GET unknown manifest digest",
        ("MANIFEST_UNKNOWN",),
    )
    head = s.get_manifest(t.repo, digest, method="HEAD")
    status(
        j,
        "dist.spec.checking-if-content-exists-in-the-registry.4",
        head,
        (404,),
        "HEAD unknown manifest digest",
    )
    head = s.get_manifest(t.repo, missing_tag, method="HEAD")
    status(
        j,
        "dist.spec.checking-if-content-exists-in-the-registry.4",
        head,
        (404,),
        "HEAD unknown tag",
    )


def repository_unknown(s: Session, j: Judge) -> None:
    repo = f"oci-conform/absent-{s.run_id}"
    resp = s.get_manifest(repo, "latest")
    refused(
        j,
        "dist.spec.pushing-manifests.13",
        resp,
        (404,),
        "GET manifest of a missing repository",
        ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
    )
    error_body(
        j,
        resp,
        "missing repository",
        format_clause="dist.spec.error-codes.1",
        code_clause="dist.spec.error-codes.2",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
    )


def blob_get(s: Session, j: Judge) -> None:
    t = s.target()
    resp, digest, size, _head = s.client.download_digest(f"/v2/{t.repo}/blobs/{t.blob_digest}")
    status(j, "dist.spec.pulling-blobs.1", resp, (200,), "GET blob")
    j.check(
        "dist.spec.pulling-blobs.1",
        digest == t.blob_digest and size == t.blob_size,
        "blob body hashes to its digest and has its size",
        expected=f"{t.blob_digest} ({t.blob_size} bytes)",
        actual=f"{digest} ({size} bytes)",
        location=where(resp),
    )
    dcd = resp.headers.get("Docker-Content-Digest")
    header(j, "dist.spec.pulling-blobs.2", resp, "Docker-Content-Digest", "GET blob")
    header(
        j,
        "dist.spec.pulling-blobs.digest-header-required",
        resp,
        "Docker-Content-Digest",
        "GET blob",
    )
    if dcd is None:
        j.not_judged(
            "dist.spec.pulling-blobs.3",
            Why.ABSENT,
            "no Docker-Content-Digest header on the blob response",
        )
    else:
        j.check(
            "dist.spec.pulling-blobs.3",
            dcd == digest,
            "Docker-Content-Digest matches the body",
            expected=digest,
            actual=dcd,
            location=where(resp),
        )


def blob_head(s: Session, j: Judge) -> None:
    t = s.target()
    resp = s.client.request("HEAD", f"/v2/{t.repo}/blobs/{t.blob_digest}")
    status(j, "dist.spec.checking-if-content-exists-in-the-registry.1", resp, (200,), "HEAD blob")
    for clause in (
        "dist.spec.checking-if-content-exists-in-the-registry.2",
        "dist.spec.checking-if-content-exists-in-the-registry.digest-header-required",
    ):
        header(j, clause, resp, "Docker-Content-Digest", "HEAD blob", equals=t.blob_digest)
    for clause in (
        "dist.spec.checking-if-content-exists-in-the-registry.3",
        "dist.spec.checking-if-content-exists-in-the-registry.content-length-required",
    ):
        header(j, clause, resp, "Content-Length", "HEAD blob", equals=str(t.blob_size))


def blob_unknown(s: Session, j: Judge) -> None:
    t = s.target()
    digest = C.digest_of(f"no-such-blob-{s.run_id}".encode())
    resp = s.client.request("GET", f"/v2/{t.repo}/blobs/{digest}")
    refused(j, "dist.spec.pulling-blobs.6", resp, (404,), "GET unknown blob", ("BLOB_UNKNOWN",))
    error_body(
        j,
        resp,
        "unknown blob",
        format_clause="dist.spec.error-codes.1",
        code_clause="dist.spec.error-codes.2",
        listed_clause="dist.spec.error-codes.5",
        message_clause="dist.spec.error-codes.3",
        expected_codes=("BLOB_UNKNOWN",),
    )
    head = s.client.request("HEAD", f"/v2/{t.repo}/blobs/{digest}")
    status(
        j,
        "dist.spec.checking-if-content-exists-in-the-registry.4",
        head,
        (404,),
        "HEAD unknown blob",
    )


def blob_range(s: Session, j: Judge) -> None:
    t = s.target()
    if t.blob_size < 8:
        j.not_judged(
            "dist.spec.pulling-blobs.7",
            Why.ABSENT,
            f"blob too small ({t.blob_size} bytes) for a range probe",
        )
        return
    resp = s.client.request(
        "GET",
        f"/v2/{t.repo}/blobs/{t.blob_digest}",
        headers={"Range": "bytes=2-5", "Accept-Encoding": "identity"},
    )
    if resp.status_code in (302, 303, 307, 308) and resp.headers.get("Location"):
        # the range goes to where the blob lives (credentials stay with their own origin)
        resp = s.client.request(
            "GET",
            urljoin(s.client.url(f"/v2/{t.repo}/blobs/{t.blob_digest}"), resp.headers["Location"]),
            headers={"Range": "bytes=2-5", "Accept-Encoding": "identity"},
        )
    status(j, "dist.spec.pulling-blobs.7", resp, (206,), "GET blob with Range: bytes=2-5")
    j.check(
        "dist.spec.pulling-blobs.7",
        len(resp.content) == 4,
        "partial body has 4 bytes",
        expected=4,
        actual=len(resp.content),
        location=where(resp),
    )
    if t.blob_data is not None:
        j.check(
            "dist.spec.pulling-blobs.7",
            resp.content == t.blob_data[2:6],
            "partial body holds bytes 2..5",
            expected=t.blob_data[2:6].hex(),
            actual=resp.content[:16].hex(),
            location=where(resp),
        )
    header(
        j,
        "dist.spec.pulling-blobs.7",
        resp,
        "Content-Range",
        "ranged GET",
        equals=f"bytes 2-5/{t.blob_size}",
    )


def blob_range_unsatisfiable(s: Session, j: Judge) -> None:
    t = s.target()
    start = t.blob_size + 100
    resp = s.client.request(
        "GET",
        f"/v2/{t.repo}/blobs/{t.blob_digest}",
        stream=True,
        headers={"Range": f"bytes={start}-{start + 10}"},
    )
    try:
        s.client.read_body(resp, limit=1 << 20)
    except requests.RequestException as exc:
        j.note(f"the 416 body could not be read: {type(exc).__name__}: {exc}")
    refused(j, "dist.spec.pulling-blobs.7", resp, (416,), "GET blob with a range past its end",
            (), status_only=NO_ROW_RANGE)


def blob_range_suffix(s: Session, j: Judge) -> None:
    t = s.target()
    if t.blob_size < 8:
        j.not_judged(
            "dist.spec.pulling-blobs.7", Why.ABSENT, f"blob too small ({t.blob_size} bytes)"
        )
        return
    resp = s.client.request(
        "GET",
        f"/v2/{t.repo}/blobs/{t.blob_digest}",
        headers={"Range": "bytes=-3", "Accept-Encoding": "identity"},
    )
    status(j, "dist.spec.pulling-blobs.7", resp, (206,), "GET blob with a suffix range bytes=-3")
    if t.blob_data is not None:
        j.check(
            "dist.spec.pulling-blobs.7",
            resp.content == t.blob_data[-3:],
            "suffix range returns the last 3 bytes",
            expected=t.blob_data[-3:].hex(),
            actual=resp.content[:16].hex(),
            location=where(resp),
        )


def accept_negotiation(s: Session, j: Judge) -> None:
    t = s.target()
    idx = s.index()
    resp = s.get_manifest(t.repo, "index", accept=f"{C.OCI_INDEX}, {C.OCI_MANIFEST}")
    status(j, "dist.spec.pulling-manifests.10", resp, (200,), "GET index with an index Accept")
    j.check(
        "dist.spec.pulling-manifests.8",
        content_type(resp) == C.OCI_INDEX,
        "index served with its pushed type",
        expected=C.OCI_INDEX,
        actual=content_type(resp),
        location=where(resp),
    )
    j.check(
        "dist.spec.pushing-manifests.9",
        resp.content == idx.data,
        "index bytes kept exactly",
        expected=idx.digest,
        actual=C.digest_of(resp.content),
        location=where(resp),
    )
    weighted = f"{C.OCI_MANIFEST};q=0.9, {C.DOCKER_MANIFEST};q=0.5, {C.OCI_INDEX};q=0.8, */*;q=0.1"
    resp = s.get_manifest(t.repo, t.tag, accept=weighted)
    status(j, "dist.spec.pulling-manifests.10", resp, (200,), "GET with a weighted Accept list")
    j.check(
        "dist.spec.pulling-manifests.8",
        content_type(resp) == t.media_type,
        "weighted Accept still gets the pushed type",
        expected=t.media_type,
        actual=content_type(resp),
        location=where(resp),
    )


def docker_manifest_roundtrip(s: Session, j: Judge) -> None:
    repo = s.name("docker")
    man = C.docker_image(s.salt)
    for blob in man.blobs:
        s.require_blob(repo, blob)
    put = s.put_manifest(repo, "v2s2", man)
    status(j, "dist.spec.pushing-manifests.10", put, (201,), "PUT Docker v2 schema 2 manifest")
    resp = s.get_manifest(repo, "v2s2", accept=MANIFEST_ACCEPT)
    status(j, "dist.spec.pulling-manifests.10", resp, (200,), "GET Docker v2 schema 2 manifest")
    j.check(
        "dist.spec.pulling-manifests.8",
        content_type(resp) == C.DOCKER_MANIFEST,
        "Docker type kept",
        expected=C.DOCKER_MANIFEST,
        actual=content_type(resp),
        location=where(resp),
    )


def manifest_digest_verifies(s: Session, j: Judge) -> None:
    """Any sha256 digest the registry quotes for a manifest must hash its served bytes."""
    t = s.target()
    resp = s.get_manifest(t.repo, t.tag)
    dcd = resp.headers.get("Docker-Content-Digest", "")
    if not dcd:
        j.not_judged(
            "dist.spec.pulling-manifests.14", Why.ABSENT, "no Docker-Content-Digest header"
        )
        return
    alg = dcd.split(":", 1)[0]
    if alg not in hashlib.algorithms_available:
        j.not_judged(
            "dist.spec.pulling-manifests.14", Why.HOST_LIMIT, f"cannot hash algorithm {alg}"
        )
        return
    j.check(
        "dist.spec.pulling-manifests.14",
        C.digest_of(resp.content, alg) == dcd,
        "Docker-Content-Digest matches the manifest bytes served",
        expected=dcd,
        actual=C.digest_of(resp.content, alg),
        location=where(resp),
    )


def pull_any_order(s: Session, j: Judge) -> None:
    """pull.1: blobs first (layer, then config), the manifest last; each must be served."""
    t = s.target()
    doc = _json(t.data)
    config = doc.get("config")
    cfg_digest = config.get("digest") if isinstance(config, dict) else None
    order = [t.blob_digest] + ([str(cfg_digest)] if cfg_digest else [])
    for digest in order:
        resp, got, _, _ = s.client.download_digest(f"/v2/{t.repo}/blobs/{digest}")
        j.check(
            "dist.spec.pull.1",
            resp.status_code == 200 and got == digest,
            f"blob {digest[:19]} fetched before its manifest: HTTP {resp.status_code}",
            expected=f"200, {digest}",
            actual=f"{resp.status_code}, {got}",
            location=where(resp),
        )
    resp = s.get_manifest(t.repo, t.digest, accept=t.media_type or MANIFEST_ACCEPT)
    j.check(
        "dist.spec.pull.1",
        resp.status_code == 200 and C.digest_of(resp.content) == t.digest,
        f"manifest fetched after its blobs: HTTP {resp.status_code}",
        expected=f"200, {t.digest}",
        actual=f"{resp.status_code}, {C.digest_of(resp.content)}",
        location=where(resp),
    )


SAME_HEADERS = ("Content-Type", "Content-Length", "Docker-Content-Digest")


def head_matches_get(s: Session, j: Judge) -> None:
    """api.1 (RFC 9110 9.3.2): HEAD answers with the header fields GET would send."""
    t = s.target()
    pairs = [
        (f"/v2/{t.repo}/manifests/{t.tag}", {"Accept": t.media_type or MANIFEST_ACCEPT}),
        (f"/v2/{t.repo}/blobs/{t.blob_digest}", {}),
    ]
    for path, headers in pairs:
        got = s.client.request("GET", path, headers=headers)
        head = s.client.request("HEAD", path, headers=headers)
        if got.status_code != 200:
            raise CaseError(f"GET {path} answered {got.status_code}")
        for name in SAME_HEADERS:
            a, b = got.headers.get(name), head.headers.get(name)
            if a is None:
                continue
            j.check(
                "dist.spec.api.1",
                head.status_code == 200 and a == b,
                f"HEAD {path.rsplit('/', 2)[-2]}: {name} {b!r}, GET sent {a!r}",
                expected=a,
                actual=f"{head.status_code} {b}",
                location=where(head),
            )


def base_endpoint(s: Session, j: Judge) -> None:
    resp = s.client.request("GET", "/v2/")
    j.check(
        "dist.spec.determining-support.1",
        resp.status_code in (200, 401),
        f"GET /v2/ answered {resp.status_code}",
        expected="200 (or 401 with a challenge)",
        actual=resp.status_code,
        location=where(resp),
    )


CASES = [
    Case(
        "manifest-get-by-tag",
        "pull",
        (
            "dist.spec.pulling-manifests.1",
            "dist.spec.pulling-manifests.6",
            "dist.spec.pulling-manifests.8",
            "dist.spec.pulling-manifests.10",
            "dist.spec.pulling-manifests.11",
            "dist.spec.pulling-manifests.digest-header-required",
        ),
        manifest_by_tag,
        write=False,
    ),
    Case(
        "manifest-get-by-digest",
        "pull",
        (
            "dist.spec.pulling-manifests.1",
            "dist.spec.pulling-manifests.10",
            "dist.spec.pulling-manifests.12",
        ),
        manifest_by_digest,
        write=False,
    ),
    Case(
        "manifest-head",
        "pull",
        (
            "dist.spec.checking-if-content-exists-in-the-registry.1",
            "dist.spec.checking-if-content-exists-in-the-registry.2",
            "dist.spec.checking-if-content-exists-in-the-registry.3",
            "dist.spec.checking-if-content-exists-in-the-registry.digest-header-required",
            "dist.spec.checking-if-content-exists-in-the-registry.content-length-required",
        ),
        manifest_head,
        write=False,
    ),
    Case(
        "manifest-unknown",
        "pull",
        (
            "dist.spec.pulling-manifests.16",
            "dist.spec.checking-if-content-exists-in-the-registry.4",
            "dist.spec.error-codes.1",
            "dist.spec.error-codes.2",
            "dist.spec.error-codes.3",
            "dist.spec.error-codes.5",
        ),
        manifest_unknown,
        control=controls.manifest_get,
        write=False,
    ),
    Case(
        "repository-unknown",
        "pull",
        (
            "dist.spec.pushing-manifests.13",
            "dist.spec.error-codes.1",
            "dist.spec.error-codes.2",
            "dist.spec.error-codes.5",
        ),
        repository_unknown,
        control=controls.manifest_get,
        write=False,
    ),
    Case(
        "blob-get",
        "pull",
        (
            "dist.spec.pulling-blobs.1",
            "dist.spec.pulling-blobs.2",
            "dist.spec.pulling-blobs.3",
            "dist.spec.pulling-blobs.digest-header-required",
        ),
        blob_get,
        write=False,
    ),
    Case(
        "blob-head",
        "pull",
        (
            "dist.spec.checking-if-content-exists-in-the-registry.1",
            "dist.spec.checking-if-content-exists-in-the-registry.2",
            "dist.spec.checking-if-content-exists-in-the-registry.3",
            "dist.spec.checking-if-content-exists-in-the-registry.digest-header-required",
            "dist.spec.checking-if-content-exists-in-the-registry.content-length-required",
        ),
        blob_head,
        write=False,
    ),
    Case(
        "blob-unknown",
        "pull",
        (
            "dist.spec.pulling-blobs.6",
            "dist.spec.checking-if-content-exists-in-the-registry.4",
            "dist.spec.error-codes.1",
            "dist.spec.error-codes.2",
            "dist.spec.error-codes.3",
            "dist.spec.error-codes.5",
        ),
        blob_unknown,
        control=controls.blob_get,
        write=False,
    ),
    Case("blob-range", "pull", ("dist.spec.pulling-blobs.7",), blob_range, write=False),
    Case(
        "blob-range-suffix", "pull", ("dist.spec.pulling-blobs.7",), blob_range_suffix, write=False
    ),
    Case(
        "blob-range-unsatisfiable",
        "pull",
        ("dist.spec.pulling-blobs.7",),
        blob_range_unsatisfiable,
        control=controls.blob_get,
        write=False,
    ),
    Case(
        "accept-negotiation",
        "pull",
        (
            "dist.spec.pulling-manifests.8",
            "dist.spec.pulling-manifests.10",
            "dist.spec.pushing-manifests.9",
        ),
        accept_negotiation,
    ),
    Case(
        "docker-manifest-roundtrip",
        "pull",
        (
            "dist.spec.pushing-manifests.10",
            "dist.spec.pulling-manifests.8",
            "dist.spec.pulling-manifests.10",
        ),
        docker_manifest_roundtrip,
    ),
    Case(
        "manifest-digest-header-verifies",
        "pull",
        ("dist.spec.pulling-manifests.14",),
        manifest_digest_verifies,
        write=False,
    ),
    Case("base-endpoint", "pull", ("dist.spec.determining-support.1",), base_endpoint, write=False),
    Case("pull-any-order", "pull", ("dist.spec.pull.1",), pull_any_order, write=False),
    Case("head-matches-get", "pull", ("dist.spec.api.1",), head_matches_get, write=False),
]
