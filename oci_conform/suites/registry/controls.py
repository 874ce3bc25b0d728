"""Controls of the negative cases: the same request without the fault must succeed.

A "must refuse" case proves nothing when the registry refuses everything of that kind
(uploads broken, pushes denied, auth missing). Each negative case names a control here; the
runner runs it before the case, and a control that does not succeed raises ``CaseError``: the
case is ``error`` with the control's answer, never ``pass``. A control that finds the feature
switched off (deletion disabled, no referrers API) raises ``NotJudged`` (``n/a``).
"""
from __future__ import annotations

import uuid

import requests

import oci_conform.suites.registry.content as C
from oci_conform.suites.registry.framework import CaseError, NotJudged, Why
from oci_conform.suites.registry.judging import where
from oci_conform.suites.registry.session import Session

OCTET = {"Content-Type": "application/octet-stream"}


def _expect(resp: requests.Response, ok: tuple[int, ...], what: str) -> None:
    if resp.status_code not in ok:
        raise CaseError(f"control failed: {what} (no fault) answered HTTP {resp.status_code} "
                        f"at {where(resp)}, so a refusal of the faulty request would prove "
                        "nothing")


def _open(s: Session) -> str:
    resp = s.client.request("POST", f"/v2/{s.repo}/blobs/uploads/",
                            headers={"Content-Length": "0"})
    _expect(resp, (202,), "opening an upload session")
    loc = resp.headers.get("Location", "")
    if not loc:
        raise CaseError("control failed: the upload session came without a Location")
    s.ledger.uploads.append(loc)
    return loc


def _blob(s: Session, tag: str, size: int = 1024) -> C.Blob:
    return C.Blob(C.random_bytes(f"{s.salt}-control-{tag}-{uuid.uuid4().hex[:8]}", size))


def monolithic_upload(s: Session) -> None:
    """POST then PUT with the right digest: 201."""
    blob = _blob(s, "mono")
    loc = _open(s)
    resp = s.client.request("PUT", loc, params={"digest": blob.digest}, data=blob.data,
                            headers=OCTET)
    _expect(resp, (201,), "a monolithic upload with the right digest")
    s.ledger.blob(s.repo, blob.digest)


def single_post_upload(s: Session) -> None:
    """POST with the right digest and the body: 201 (or 202, then PUT: 201)."""
    blob = _blob(s, "single")
    resp = s.client.request("POST", f"/v2/{s.repo}/blobs/uploads/",
                            params={"digest": blob.digest}, data=blob.data, headers=OCTET)
    if resp.status_code == 202 and resp.headers.get("Location"):
        s.ledger.uploads.append(resp.headers["Location"])
        resp = s.client.request("PUT", resp.headers["Location"], params={"digest": blob.digest},
                                data=blob.data, headers=OCTET)
    _expect(resp, (201,), "a single-POST upload with the right digest")
    s.ledger.blob(s.repo, blob.digest)


def chunked_upload(s: Session) -> None:
    """Two PATCHes in order from byte 0 with matching Content-Range, PUT with the digest."""
    blob = _blob(s, "chunked", 2048)
    loc = _open(s)
    for start in (0, 1024):
        part = blob.data[start:start + 1024]
        resp = s.client.request("PATCH", loc, data=part, headers={
            **OCTET, "Content-Range": f"{start}-{start + len(part) - 1}",
            "Content-Length": str(len(part))})
        _expect(resp, (202,), f"PATCH of bytes {start}-{start + len(part) - 1} in order")
        loc = resp.headers.get("Location") or loc
    resp = s.client.request("PUT", loc, params={"digest": blob.digest}, headers={
        **OCTET, "Content-Length": "0"})
    _expect(resp, (201,), "closing a chunked upload with the right digest")
    s.ledger.blob(s.repo, blob.digest)


def manifest_push(s: Session) -> None:
    """An image manifest whose blobs exist, by tag and by digest: 201 both."""
    man = C.image(f"{s.salt}-control-{uuid.uuid4().hex[:8]}")
    for blob in man.blobs:
        resp = s.push_blob(s.repo, blob)
        _expect(resp, (201,), f"pushing blob {blob.digest[:19]}")
    resp = s.put_manifest(s.repo, f"control-{uuid.uuid4().hex[:8]}", man)
    _expect(resp, (201,), "pushing a valid manifest by tag")
    resp = s.put_manifest(s.repo, man.digest, man)
    _expect(resp, (201,), "pushing a valid manifest by its digest")


def index_push(s: Session) -> None:
    """An index over a manifest that exists: 201."""
    idx = C.index([s.image()], annotations={"org.oci-conform.control": uuid.uuid4().hex})
    resp = s.put_manifest(s.repo, idx.digest, idx)
    _expect(resp, (201,), "pushing an index whose manifest exists")


def manifest_get(s: Session) -> None:
    """GET of a manifest that exists (by tag): 200."""
    t = s.target()
    _expect(s.get_manifest(t.repo, t.tag), (200,), f"GET of the existing manifest {t.tag}")


def blob_get(s: Session) -> None:
    """GET of a blob that exists: 200."""
    t = s.target()
    resp = s.client.request("HEAD", f"/v2/{t.repo}/blobs/{t.blob_digest}")
    _expect(resp, (200,), "HEAD of an existing blob")


def upload_status(s: Session) -> None:
    """GET of an upload session that exists: 204."""
    loc = _open(s)
    _expect(s.client.request("GET", loc), (204,), "GET of an open upload session's status")


def tags_list(s: Session) -> None:
    """tags/list of a repository that exists: 200."""
    t = s.target()
    _expect(s.client.request("GET", f"/v2/{t.repo}/tags/list"), (200,),
            "tags/list of an existing repository")


def blob_delete(s: Session) -> None:
    """DELETE of a blob that exists: 202 (a registry with deletion off: n/a)."""
    blob = _blob(s, "delete")
    resp = s.push_blob(s.repo, blob)
    _expect(resp, (201,), "pushing a blob to delete")
    resp = s.client.request("DELETE", f"/v2/{s.repo}/blobs/{blob.digest}")
    if resp.status_code in (400, 405):
        raise NotJudged(Why.NOT_OFFERED, f"blob deletion is disabled ({resp.status_code})")
    _expect(resp, (202,), "DELETE of an existing blob")


def referrers(s: Session) -> None:
    """The referrers list of an existing manifest: 200 (no referrers API: n/a)."""
    t = s.target()
    resp = s.probe_referrers(t.repo, t.digest)
    if resp.status_code == 404:
        raise NotJudged(Why.NOT_OFFERED, "the referrers API is not offered (404)")
    _expect(resp, (200,), "the referrers list of an existing manifest")
