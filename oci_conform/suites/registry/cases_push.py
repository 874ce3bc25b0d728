"""Push: blob uploads (monolithic, single POST, chunked, streamed), mounts, manifests."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, urlsplit

import requests

import oci_conform.suites.registry.content as C
import oci_conform.suites.registry.controls as controls
from oci_conform.drivers.registry_http import StreamBody, iter_chunks
from oci_conform.suites.registry.framework import Case, CaseError, Judge, Why, judged
from oci_conform.suites.registry.judging import (
    ANY_4XX,
    DIGEST_RE,
    RANGE_RE,
    UUID_RE,
    content_type,
    error_body,
    header,
    is_4xx,
    refused,
    status,
    where,
)
from oci_conform.suites.registry.reasons import CHUNK_FAULT, DIGEST_FAULT, NO_ROW_SIZE_CAP
from oci_conform.suites.registry.session import Session, error_codes

OCTET = {"Content-Type": "application/octet-stream"}
CHUNK = 1 << 20


def _start(s: Session, repo: str, params: dict[str, str] | None = None) -> requests.Response:
    resp = s.client.request(
        "POST", f"/v2/{repo}/blobs/uploads/", params=params, headers={"Content-Length": "0"}
    )
    if resp.status_code == 202 and resp.headers.get("Location"):
        s.ledger.uploads.append(resp.headers["Location"])
    return resp


def _need_location(resp: requests.Response, what: str) -> str:
    loc = resp.headers.get("Location")
    if resp.status_code != 202 or not loc:
        raise CaseError(f"{what}: could not open an upload session (HTTP {resp.status_code})")
    return loc


def post_then_put(s: Session, j: Judge) -> None:
    repo = s.repo
    blob = C.Blob(C.random_bytes(s.salt + "ptp", 4096))
    first = _start(s, repo)
    status(j, "dist.spec.post-then-put.1", first, (202,), "POST to open an upload")
    header(j, "dist.spec.post-then-put.1", first, "Location", "POST upload")
    second = _start(s, repo)
    a, b = first.headers.get("Location", ""), second.headers.get("Location", "")
    j.check(
        "dist.spec.post-then-put.2",
        bool(a) and bool(b) and a != b and bool(UUID_RE.search(a)),
        "each upload Location names its own session id",
        expected="distinct Locations holding a UUID",
        actual=f"{a} | {b}",
        location=where(first),
    )
    loc = _need_location(first, "POST")
    _location_form(j, first, loc)
    done = s.client.request(
        "PUT", loc, params={"digest": blob.digest}, data=blob.data, headers=OCTET
    )
    status(j, "dist.spec.post-then-put.7", done, (201,), "PUT closing the upload")
    query = [k for k, _ in parse_qsl(urlsplit(loc).query, keep_blank_values=True)]
    if not query:
        j.not_judged(
            "dist.spec.post-then-put.4",
            Why.ABSENT,
            "the upload Location carries no query parameters",
        )
    else:
        j.check(
            "dist.spec.post-then-put.4",
            done.status_code == 201,
            f"upload Location with query parameters {query} completes when used as given",
            expected=201,
            actual=done.status_code,
            location=where(done),
        )
    header(j, "dist.spec.post-then-put.7", done, "Location", "PUT closing the upload")
    if done.status_code == 201:
        s.ledger.blob(repo, blob.digest)
        got = s.client.request("GET", f"/v2/{repo}/blobs/{blob.digest}")
        j.check(
            "dist.spec.post-then-put.7",
            got.status_code == 200 and got.content == blob.data,
            "the uploaded blob can be pulled back",
            expected=f"200, {blob.size} bytes",
            actual=f"{got.status_code}, {len(got.content)} bytes",
            location=where(got),
        )
        blob_loc = done.headers.get("Location")
        if blob_loc:
            via = s.client.request("GET", blob_loc)
            j.check(
                "dist.spec.post-then-put.7",
                via.status_code == 200 and via.content == blob.data,
                "the Location of the created blob serves it",
                expected=f"200, {blob.size} bytes",
                actual=f"{via.status_code}, {len(via.content)} bytes",
                location=where(via),
            )
    s.client.request("DELETE", b) if b else None


def _location_form(j: Judge, resp: requests.Response, loc: str) -> None:
    """post-then-put.3: the upload Location is an absolute http(s) URL or an absolute path."""
    parts = urlsplit(loc)
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    path_only = (
        not parts.scheme and not parts.netloc and loc.startswith("/") and not loc.startswith("//")
    )
    j.check(
        "dist.spec.post-then-put.3",
        absolute or path_only,
        f"upload Location {loc[:120]!r} is "
        + (
            "an absolute URL"
            if absolute
            else "a path-only relative reference"
            if path_only
            else "neither form"
        ),
        expected="http(s)://host/... or /path...",
        actual=loc[:200],
        location=where(resp),
    )


def single_post(s: Session, j: Judge) -> None:
    repo = s.repo
    blob = C.Blob(C.random_bytes(s.salt + "single", 2048))
    resp = s.client.request(
        "POST",
        f"/v2/{repo}/blobs/uploads/",
        params={"digest": blob.digest},
        data=blob.data,
        headers=OCTET,
    )
    if resp.status_code == 201:
        s.ledger.blob(repo, blob.digest)
        j.check("dist.spec.single-post.5", True, "single POST answered 201")
        got = s.client.request("GET", f"/v2/{repo}/blobs/{blob.digest}")
        j.check(
            "dist.spec.single-post.1",
            got.status_code == 200 and got.content == blob.data,
            "the blob uploaded by a single POST reads back whole",
            expected=f"200, {blob.size} bytes",
            actual=f"{got.status_code}, {len(got.content)} bytes",
            location=where(got),
        )
        header(j, "dist.spec.single-post.5", resp, "Location", "single POST")
        j.not_judged(
            "dist.spec.single-post.4", Why.ABSENT, "the registry supports single POST uploads"
        )
    elif resp.status_code == 202:
        j.not_judged(
            "dist.spec.single-post.5",
            Why.NOT_OFFERED,
            "the registry does not complete single POST uploads (202)",
        )
        j.not_judged(
            "dist.spec.single-post.1",
            Why.NOT_OFFERED,
            "the registry does not offer single POST uploads (202 fallback)",
        )
        loc = resp.headers.get("Location")
        j.check(
            "dist.spec.single-post.4",
            bool(loc),
            "fallback 202 carries a Location",
            expected="Location",
            actual=loc,
            location=where(resp),
        )
        if loc:
            done = s.client.request(
                "PUT", loc, params={"digest": blob.digest}, data=blob.data, headers=OCTET
            )
            status(j, "dist.spec.single-post.4", done, (201,), "PUT after the 202 fallback")
            if done.status_code == 201:
                s.ledger.blob(repo, blob.digest)
    else:
        status(j, "dist.spec.single-post.5", resp, (201, 202), "single POST with digest")
        j.check(
            "dist.spec.single-post.1",
            False,
            "single POST neither completed (201) nor fell back (202)",
            expected="201 or 202",
            actual=resp.status_code,
            location=where(resp),
        )
        j.check(
            "dist.spec.single-post.4",
            False,
            "neither 201 nor the 202 fallback",
            expected="201 or 202",
            actual=resp.status_code,
            location=where(resp),
        )


def single_post_digest_mismatch(s: Session, j: Judge) -> None:
    repo = s.repo
    data = C.random_bytes(s.salt + "mismatch", 1024)
    wrong = C.digest_of(data + b"x")
    resp = s.client.request(
        "POST", f"/v2/{repo}/blobs/uploads/", params={"digest": wrong}, data=data, headers=OCTET
    )
    if resp.status_code == 202:
        loc = resp.headers.get("Location", "")
        s.ledger.uploads.append(loc)
        j.note("registry ignored the body of a single POST (202); mismatch judged on PUT")
        resp = s.client.request("PUT", loc, params={"digest": wrong}, data=data, headers=OCTET)
    refused(
        j,
        "dist.spec.single-post.3",
        resp,
        (400,),
        f"blob sent with a digest it does not hash to: HTTP {resp.status_code}",
        ("DIGEST_INVALID",),
    )
    if resp.status_code == 201:
        s.ledger.blob(repo, wrong)
    error_body(
        j,
        resp,
        "digest mismatch",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("DIGEST_INVALID",),
    )


def monolithic_digest_mismatch(s: Session, j: Judge) -> None:
    repo = s.repo
    data = C.random_bytes(s.salt + "mono-mismatch", 1024)
    wrong = C.digest_of(b"other" + data)
    loc = _need_location(_start(s, repo), "POST")
    resp = s.client.request("PUT", loc, params={"digest": wrong}, data=data, headers=OCTET)
    refused(
        j,
        "dist.spec.single-post.3",
        resp,
        (400,),
        f"PUT with a digest the bytes do not hash to: HTTP {resp.status_code}",
        ("DIGEST_INVALID",),
    )
    if resp.status_code == 201:
        s.ledger.blob(repo, wrong)
    error_body(
        j,
        resp,
        "digest mismatch on PUT",
        format_clause="dist.spec.error-codes.1",
        code_clause="dist.spec.error-codes.2",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("DIGEST_INVALID",),
    )


def _patch(s: Session, loc: str, data: bytes, start: int) -> requests.Response:
    return s.client.request(
        "PATCH",
        loc,
        data=data,
        headers={
            **OCTET,
            "Content-Range": f"{start}-{start + len(data) - 1}",
            "Content-Length": str(len(data)),
        },
    )


def chunked_upload(s: Session, j: Judge) -> None:
    repo = s.repo
    blob = C.Blob(C.random_bytes(s.salt + "chunked", CHUNK * 2 + CHUNK // 2))
    first = _start(s, repo)
    status(
        j,
        "dist.spec.pushing-a-blob-in-chunks.1",
        first,
        (202,),
        "POST (Content-Length: 0) opening a chunked upload",
    )
    loc = _need_location(first, "POST")
    minimum = first.headers.get("OCI-Chunk-Min-Length")
    size = max(CHUNK, int(minimum)) if minimum and minimum.isdigit() else CHUNK
    offset = 0
    status_checked = False
    for piece in iter_chunks(blob.data, size):
        resp = _patch(s, loc, piece, offset)
        if len(piece) < size:
            j.check(
                "dist.spec.pushing-a-blob-in-chunks.7",
                resp.status_code == 202,
                f"a short last chunk ({len(piece)} of {size} bytes): HTTP {resp.status_code}",
                expected=202,
                actual=resp.status_code,
                location=where(resp),
            )
        status(
            j,
            "dist.spec.pushing-a-blob-in-chunks.8",
            resp,
            (202,),
            f"PATCH bytes {offset}-{offset + len(piece) - 1}",
        )
        header(j, "dist.spec.pushing-a-blob-in-chunks.8", resp, "Location", "PATCH")
        rng = resp.headers.get("Range", "")
        j.check(
            "dist.spec.pushing-a-blob-in-chunks.8",
            rng == f"0-{offset + len(piece) - 1}",
            f"Range after PATCH is {rng!r}",
            expected=f"0-{offset + len(piece) - 1}",
            actual=rng,
            location=where(resp),
        )
        j.check(
            "dist.spec.pushing-a-blob-in-chunks.5",
            bool(RANGE_RE.match(rng)),
            f"Range {rng!r} has the form 0-<end>",
            expected="^0-[0-9]+$",
            actual=rng,
            location=where(resp),
        )
        if resp.status_code != 202 or not resp.headers.get("Location"):
            raise CaseError(f"chunk upload stopped at offset {offset}")
        loc = resp.headers["Location"]
        offset += len(piece)
        if not status_checked:
            status_checked = True
            st = s.client.request("GET", loc)
            status(j, "dist.spec.pushing-a-blob-in-chunks.16", st, (204,), "GET upload status")
            header(j, "dist.spec.pushing-a-blob-in-chunks.16", st, "Location", "upload status")
            header(
                j,
                "dist.spec.pushing-a-blob-in-chunks.16",
                st,
                "Range",
                "upload status",
                equals=f"0-{offset - 1}",
            )
    if not judged(j, "dist.spec.pushing-a-blob-in-chunks.7"):
        j.not_judged(
            "dist.spec.pushing-a-blob-in-chunks.7",
            Why.ABSENT,
            f"the blob fitted whole chunks of {size} bytes: no short last chunk",
        )
    done = s.client.request("PUT", loc, params={"digest": blob.digest}, headers=OCTET)
    status(
        j, "dist.spec.pushing-a-blob-in-chunks.15", done, (201,), "PUT closing the chunked upload"
    )
    header(j, "dist.spec.pushing-a-blob-in-chunks.15", done, "Location", "closing PUT")
    j.check(
        "dist.spec.pushing-a-blob-in-chunks.13",
        done.status_code == 201,
        "closing PUT (no body) ends the session",
        expected=201,
        actual=done.status_code,
        location=where(done),
    )
    if done.status_code == 201:
        s.ledger.blob(repo, blob.digest)
        resp, digest, got, _ = s.client.download_digest(f"/v2/{repo}/blobs/{blob.digest}")
        j.check(
            "dist.spec.pushing-a-blob-in-chunks.15",
            digest == blob.digest and got == blob.size,
            "the chunked blob reads back whole",
            expected=blob.digest,
            actual=digest,
            location=where(resp),
        )


def chunked_final_in_put(s: Session, j: Judge) -> None:
    repo = s.repo
    blob = C.Blob(C.random_bytes(s.salt + "final-in-put", CHUNK + 1000))
    loc = _need_location(_start(s, repo), "POST")
    resp = _patch(s, loc, blob.data[:CHUNK], 0)
    if resp.status_code != 202:
        raise CaseError(f"first PATCH answered {resp.status_code}")
    loc = resp.headers.get("Location", loc)
    rest = blob.data[CHUNK:]
    done = s.client.request(
        "PUT",
        loc,
        params={"digest": blob.digest},
        data=rest,
        headers={
            **OCTET,
            "Content-Range": f"{CHUNK}-{blob.size - 1}",
            "Content-Length": str(len(rest)),
        },
    )
    status(
        j,
        "dist.spec.pushing-a-blob-in-chunks.12",
        done,
        (201,),
        "final chunk carried by the closing PUT",
    )
    if done.status_code == 201:
        s.ledger.blob(repo, blob.digest)
        resp, digest, _, _ = s.client.download_digest(f"/v2/{repo}/blobs/{blob.digest}")
        j.check(
            "dist.spec.pushing-a-blob-in-chunks.12",
            digest == blob.digest,
            "blob reads back whole",
            expected=blob.digest,
            actual=digest,
            location=where(resp),
        )


def chunked_out_of_order(s: Session, j: Judge) -> None:
    repo = s.repo
    data = C.random_bytes(s.salt + "ooo", 3000)
    loc = _need_location(_start(s, repo), "POST")
    first = _patch(s, loc, data[:1000], 0)
    if first.status_code != 202:
        raise CaseError(f"first PATCH answered {first.status_code}")
    loc = first.headers.get("Location", loc)
    skip = _patch(s, loc, data[2000:], 2000)
    refused(
        j,
        "dist.spec.pushing-a-blob-in-chunks.11",
        skip,
        (416,),
        "PATCH starting past the end of the data so far",
        CHUNK_FAULT,
    )
    j.check(
        "dist.spec.pushing-a-blob-in-chunks.10",
        skip.status_code != 202,
        "a chunk not starting at the previous end + 1 is refused",
        expected="refused (416)",
        actual=skip.status_code,
        location=where(skip),
    )
    if skip.status_code == 202 and skip.headers.get("Location"):
        loc = skip.headers["Location"]  # the session moved on: follow it exactly
    again = _patch(s, loc, data[:1000], 0)
    refused(
        j,
        "dist.spec.pushing-a-blob-in-chunks.11",
        again,
        (416,),
        "PATCH repeating bytes already received",
        CHUNK_FAULT,
    )


def chunked_first_not_zero(s: Session, j: Judge) -> None:
    repo = s.repo
    data = C.random_bytes(s.salt + "notzero", 500)
    loc = _need_location(_start(s, repo), "POST")
    resp = _patch(s, loc, data, 100)
    refused(
        j,
        "dist.spec.pushing-a-blob-in-chunks.4",
        resp,
        (416,),
        "first PATCH with a range starting at 100",
        CHUNK_FAULT,
    )


def chunked_range_size_mismatch(s: Session, j: Judge) -> None:
    repo = s.repo
    data = C.random_bytes(s.salt + "rangesize", 500)
    loc = _need_location(_start(s, repo), "POST")
    resp = s.client.request(
        "PATCH",
        loc,
        data=data,
        headers={**OCTET, "Content-Range": "0-999", "Content-Length": str(len(data))},
    )
    refused(
        j,
        "dist.spec.pushing-a-blob-in-chunks.3",
        resp,
        ANY_4XX,
        "Content-Range 0-999 (1000 bytes) with a 500-byte body",
        ("SIZE_INVALID", *CHUNK_FAULT),
    )


def chunked_close_wrong_digest(s: Session, j: Judge) -> None:
    repo = s.repo
    data = C.random_bytes(s.salt + "closewrong", 2000)
    loc = _need_location(_start(s, repo), "POST")
    resp = _patch(s, loc, data, 0)
    if resp.status_code != 202:
        raise CaseError(f"PATCH answered {resp.status_code}")
    loc = resp.headers.get("Location", loc)
    last_chunk = C.digest_of(data[1000:])
    done = s.client.request("PUT", loc, params={"digest": last_chunk}, headers=OCTET)
    refused(
        j,
        "dist.spec.pushing-a-blob-in-chunks.14",
        done,
        (400,),
        f"closing PUT naming a digest other than the whole blob's: HTTP {done.status_code}",
        ("DIGEST_INVALID",),
    )
    if done.status_code == 201:
        s.ledger.blob(repo, last_chunk)
    error_body(
        j,
        done,
        "closing PUT with a wrong digest",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("DIGEST_INVALID",),
    )


def chunked_close_without_digest(s: Session, j: Judge) -> None:
    repo = s.repo
    data = C.random_bytes(s.salt + "closenodigest", 800)
    loc = _need_location(_start(s, repo), "POST")
    resp = _patch(s, loc, data, 0)
    if resp.status_code != 202:
        raise CaseError(f"PATCH answered {resp.status_code}")
    loc = resp.headers.get("Location", loc)
    done = s.client.request("PUT", loc, headers=OCTET)
    refused(
        j,
        "dist.spec.pushing-a-blob-in-chunks.14",
        done,
        tuple(range(400, 500)),
        f"closing PUT without a digest parameter: HTTP {done.status_code}",
        ("DIGEST_INVALID", "BLOB_UPLOAD_INVALID"),
    )


def chunk_min_length(s: Session, j: Judge) -> None:
    resp = _start(s, s.repo)
    value = resp.headers.get("OCI-Chunk-Min-Length")
    if value is None:
        j.not_judged(
            "dist.spec.pushing-a-blob-in-chunks.2",
            Why.ABSENT,
            "the registry announces no minimum chunk size",
        )
        return
    j.check(
        "dist.spec.pushing-a-blob-in-chunks.2",
        value.isdigit() and int(value) > 0,
        f"OCI-Chunk-Min-Length is {value!r}",
        expected="a positive integer",
        actual=value,
        location=where(resp),
    )


def streamed_upload(s: Session, j: Judge) -> None:
    """A monolithic PUT whose body is streamed from a generator (bounded memory)."""
    repo = s.repo
    blob = C.Blob(C.random_bytes(s.salt + "stream", CHUNK * 3))
    loc = _need_location(_start(s, repo), "POST")
    done = s.client.request(
        "PUT",
        loc,
        params={"digest": blob.digest},
        data=StreamBody(iter_chunks(blob.data, 256 * 1024), blob.size),
        headers=OCTET,
    )
    status(j, "dist.spec.post-then-put.7", done, (201,), "PUT with a streamed 3 MiB body")
    if done.status_code == 201:
        s.ledger.blob(repo, blob.digest)
        resp, digest, _, _ = s.client.download_digest(f"/v2/{repo}/blobs/{blob.digest}")
        j.check(
            "dist.spec.post-then-put.7",
            digest == blob.digest,
            "streamed blob reads back whole",
            expected=blob.digest,
            actual=digest,
            location=where(resp),
        )


def upload_cancel(s: Session, j: Judge) -> None:
    repo = s.repo
    loc = _need_location(_start(s, repo), "POST")
    resp = _patch(s, loc, b"abandon me", 0)
    loc = resp.headers.get("Location", loc)
    active = s.client.request("GET", loc)
    status(
        j,
        "dist.spec.pushing-a-blob-in-chunks.16",
        active,
        (204,),
        "status of the open upload before cancelling",
    )
    cancel = s.client.request("DELETE", loc)
    j.check(
        "dist.spec.cancel-a-blob-upload.1",
        cancel.status_code == 204,
        f"cancel answered {cancel.status_code}",
        expected=204,
        actual=cancel.status_code,
        location=where(cancel),
    )
    if cancel.status_code >= 300:
        raise CaseError(f"DELETE of the upload session answered {cancel.status_code}")
    after = s.client.request("GET", loc)
    j.check(
        "dist.spec.pushing-a-blob-in-chunks.16",
        after.status_code == 404,
        f"a cancelled upload is no longer active: status GET answered {after.status_code}",
        expected="404 (BLOB_UPLOAD_UNKNOWN)",
        actual=after.status_code,
        location=where(after),
    )
    error_body(
        j,
        after,
        "cancelled upload",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("BLOB_UPLOAD_UNKNOWN",),
    )




def mount(s: Session, j: Judge) -> None:
    src = s.repo
    dst = s.name("mount-target")
    blob = C.Blob(C.random_bytes(s.salt + "mount", 3000))
    s.require_blob(src, blob)
    resp = s.client.request(
        "POST",
        f"/v2/{dst}/blobs/uploads/",
        params={"mount": blob.digest, "from": src},
        headers={"Content-Length": "0"},
    )
    if resp.status_code != 201:
        j.not_judged(
            "dist.spec.mounting-a-blob-from-another-repository.2",
            Why.ABSENT,
            f"the registry did not mount the blob (HTTP {resp.status_code})",
        )
    if resp.status_code == 202:
        j.not_judged(
            "dist.spec.mounting-a-blob-from-another-repository.1",
            Why.ABSENT,
            "the registry did not mount (202 fallback)",
        )
        j.check(
            "dist.spec.mounting-a-blob-from-another-repository.5",
            bool(resp.headers.get("Location")),
            "fallback 202 has a Location",
            expected="Location",
            actual=resp.headers.get("Location"),
            location=where(resp),
        )
        s.ledger.uploads.append(resp.headers.get("Location", ""))
        return
    status(
        j,
        "dist.spec.mounting-a-blob-from-another-repository.1",
        resp,
        (201,),
        "cross-repository mount",
    )
    header(j, "dist.spec.mounting-a-blob-from-another-repository.1", resp, "Location", "mount")
    if resp.status_code == 201:
        s.ledger.blob(dst, blob.digest)
        j.not_judged(
            "dist.spec.mounting-a-blob-from-another-repository.5",
            Why.ABSENT,
            "the registry mounted the blob",
        )
        _mount_digest(j, resp, blob)
        got = s.client.request("HEAD", f"/v2/{dst}/blobs/{blob.digest}")
        status(
            j,
            "dist.spec.mounting-a-blob-from-another-repository.1",
            got,
            (200,),
            "mounted blob exists in the target repository",
        )


def _mount_digest(j: Judge, resp: requests.Response, blob: C.Blob) -> None:
    """mounting.2: Docker-Content-Digest may use another algorithm; it must still name the
    mounted bytes (checked when the algorithm is one hashlib knows, else its grammar)."""
    dcd = resp.headers.get("Docker-Content-Digest")
    if dcd is None:
        j.not_judged(
            "dist.spec.mounting-a-blob-from-another-repository.2",
            Why.ABSENT,
            "no Docker-Content-Digest on the mount response",
        )
        return
    algo = dcd.split(":", 1)[0]
    if algo == blob.algorithm:
        j.not_judged(
            "dist.spec.mounting-a-blob-from-another-repository.2",
            Why.ABSENT,
            f"Docker-Content-Digest uses the request's algorithm ({algo})",
        )
        return
    if algo in hashlib.algorithms_guaranteed:
        want = f"{algo}:{hashlib.new(algo, blob.data).hexdigest()}"
        j.check(
            "dist.spec.mounting-a-blob-from-another-repository.2",
            dcd == want,
            f"Docker-Content-Digest in {algo} names the blob",
            expected=want,
            actual=dcd,
            location=where(resp),
        )
    else:
        j.check(
            "dist.spec.mounting-a-blob-from-another-repository.2",
            bool(DIGEST_RE.match(dcd)),
            f"Docker-Content-Digest {dcd[:60]!r} uses another algorithm ({algo})",
            expected="<algorithm>:<encoded>",
            actual=dcd,
            location=where(resp),
        )


def mount_fallback(s: Session, j: Judge) -> None:
    src = s.name("mount-empty-source")
    dst = s.name("mount-fallback")
    digest = C.digest_of(f"never-pushed-{s.run_id}".encode())
    resp = s.client.request(
        "POST",
        f"/v2/{dst}/blobs/uploads/",
        params={"mount": digest, "from": src},
        headers={"Content-Length": "0"},
    )
    status(
        j,
        "dist.spec.mounting-a-blob-from-another-repository.5",
        resp,
        (202,),
        "mount of a blob the source does not have",
    )
    header(
        j, "dist.spec.mounting-a-blob-from-another-repository.5", resp, "Location", "mount fallback"
    )
    loc = resp.headers.get("Location")
    if resp.status_code == 202 and loc:
        s.ledger.uploads.append(loc)
        blob = C.Blob(f"never-pushed-{s.run_id}".encode())
        done = s.client.request(
            "PUT", loc, params={"digest": blob.digest}, data=blob.data, headers=OCTET
        )
        j.check(
            "dist.spec.mounting-a-blob-from-another-repository.6",
            done.status_code == 201,
            "the fallback session accepts the upload",
            expected=201,
            actual=done.status_code,
            location=where(done),
        )
        if done.status_code == 201:
            s.ledger.blob(dst, blob.digest)
    else:
        j.error(
            "dist.spec.mounting-a-blob-from-another-repository.6", "no fallback session to continue"
        )


def mount_without_from(s: Session, j: Judge) -> None:
    dst = s.name("mount-nofrom")
    blob = s.image().blobs[0]
    resp = s.client.request(
        "POST",
        f"/v2/{dst}/blobs/uploads/",
        params={"mount": blob.digest},
        headers={"Content-Length": "0"},
    )
    j.check(
        "dist.spec.mounting-a-blob-from-another-repository.4",
        resp.status_code in (201, 202),
        f"mount without from: HTTP {resp.status_code}",
        expected="201 or 202",
        actual=resp.status_code,
        location=where(resp),
    )
    if resp.status_code == 201:
        s.ledger.blob(dst, blob.digest)
    elif resp.status_code == 202:
        s.ledger.uploads.append(resp.headers.get("Location", ""))


def sha512_blob(s: Session, j: Judge) -> None:
    repo = s.repo
    blob = C.Blob(C.random_bytes(s.salt + "sha512", 5000), algorithm="sha512")
    loc = _need_location(_start(s, repo), "POST")
    done = s.client.request(
        "PUT", loc, params={"digest": blob.digest}, data=blob.data, headers=OCTET
    )
    if (
        done.status_code == 400
        and "DIGEST_INVALID" in (error_codes(done.content) or [])
        or (done.status_code == 400 and "UNSUPPORTED" in (error_codes(done.content) or []))
    ):
        j.not_judged(
            "dist.spec.post-then-put.7",
            Why.NOT_OFFERED,
            "the registry refuses sha512 digests (400); sha512 is optional",
        )
        j.not_judged("dist.spec.pulling-blobs.1", Why.NOT_OFFERED, "sha512 blob not stored")
        return
    status(j, "dist.spec.post-then-put.7", done, (201,), "PUT of a sha512 blob")
    if done.status_code != 201:
        j.error("dist.spec.pulling-blobs.1", "sha512 blob not stored")
        return
    s.ledger.blob(repo, blob.digest)
    resp, digest, size, _ = s.client.download_digest(
        f"/v2/{repo}/blobs/{blob.digest}", algorithm="sha512"
    )
    status(j, "dist.spec.pulling-blobs.1", resp, (200,), "GET sha512 blob")
    j.check(
        "dist.spec.pulling-blobs.1",
        digest == blob.digest,
        "sha512 blob reads back whole",
        expected=blob.digest,
        actual=digest,
        location=where(resp),
    )


def empty_blob(s: Session, j: Judge) -> None:
    repo = s.repo
    blob = C.Blob(b"")
    loc = _need_location(_start(s, repo), "POST")
    done = s.client.request("PUT", loc, params={"digest": blob.digest}, data=b"", headers=OCTET)
    status(j, "dist.spec.post-then-put.7", done, (201,), "PUT of an empty blob")
    if done.status_code == 201:
        s.ledger.blob(repo, blob.digest)
    got = s.client.request("GET", f"/v2/{repo}/blobs/{blob.digest}")
    status(j, "dist.spec.pulling-blobs.1", got, (200,), "GET empty blob")
    j.check(
        "dist.spec.pulling-blobs.1",
        got.content == b"",
        "empty blob has an empty body",
        expected="0 bytes",
        actual=f"{len(got.content)} bytes",
        location=where(got),
    )
    head = s.client.request("HEAD", f"/v2/{repo}/blobs/{blob.digest}")
    header(
        j,
        "dist.spec.checking-if-content-exists-in-the-registry.3",
        head,
        "Content-Length",
        "HEAD empty blob",
        equals="0",
    )


def manifest_push_by_tag(s: Session, j: Judge) -> None:
    repo = s.name("push-tag")
    man = C.image(s.salt, "bytag")
    for blob in man.blobs:
        s.require_blob(repo, blob)
    resp = s.put_manifest(repo, "tagged", man)
    status(j, "dist.spec.pushing-manifests.10", resp, (201,), "PUT manifest by tag")
    header(j, "dist.spec.pushing-manifests.10", resp, "Location", "PUT manifest by tag")
    if resp.status_code == 201 and resp.headers.get("Location"):
        via = s.client.request("GET", resp.headers["Location"], headers={"Accept": man.media_type})
        j.check(
            "dist.spec.pushing-manifests.10",
            via.status_code == 200 and via.content == man.data,
            "the Location of the pushed manifest serves it",
            expected=f"200, {man.digest}",
            actual=f"{via.status_code}, {C.digest_of(via.content)}",
            location=where(via),
        )
    j.check(
        "dist.spec.pushing-manifests.6",
        resp.status_code == 201,
        "a tag is accepted as the reference",
        expected=201,
        actual=resp.status_code,
        location=where(resp),
    )
    dcd = resp.headers.get("Docker-Content-Digest")
    if dcd is None:
        j.not_judged(
            "dist.spec.pushing-manifests.11",
            Why.ABSENT,
            "no Docker-Content-Digest header on the push response",
        )
    else:
        j.check(
            "dist.spec.pushing-manifests.11",
            dcd == man.digest,
            "Docker-Content-Digest equals the manifest digest",
            expected=man.digest,
            actual=dcd,
            location=where(resp),
        )


def manifest_push_by_digest(s: Session, j: Judge) -> None:
    repo = s.name("push-digest")
    man = C.image(s.salt, "bydigest")
    for blob in man.blobs:
        s.require_blob(repo, blob)
    resp = s.put_manifest(repo, man.digest, man)
    status(j, "dist.spec.pushing-manifests.10", resp, (201,), "PUT manifest by digest")
    header(j, "dist.spec.pushing-manifests.10", resp, "Location", "PUT manifest by digest")
    j.check(
        "dist.spec.pushing-manifests.6",
        resp.status_code == 201,
        "a digest is accepted as the reference",
        expected=201,
        actual=resp.status_code,
        location=where(resp),
    )
    dcd = resp.headers.get("Docker-Content-Digest")
    if dcd is None:
        j.not_judged(
            "dist.spec.pushing-manifests.11", Why.ABSENT, "no Docker-Content-Digest header"
        )
    else:
        j.check(
            "dist.spec.pushing-manifests.11",
            dcd == man.digest,
            "Docker-Content-Digest equals the URL digest",
            expected=man.digest,
            actual=dcd,
            location=where(resp),
        )
    got = s.get_manifest(repo, man.digest)
    j.check(
        "dist.spec.pushing-manifests.9",
        got.content == man.data,
        "manifest pushed by digest reads back exactly",
        expected=man.digest,
        actual=C.digest_of(got.content),
        location=where(got),
    )


def manifest_digest_mismatch(s: Session, j: Judge) -> None:
    repo = s.repo
    s.image()
    man = C.image(s.salt, "mismatch")
    for blob in man.blobs:
        s.require_blob(repo, blob)
    wrong = C.digest_of(man.data + b" ")
    resp = s.client.request(
        "PUT",
        f"/v2/{repo}/manifests/{wrong}",
        data=man.data,
        headers={"Content-Type": man.media_type},
    )
    if resp.status_code == 201:
        s.ledger.manifest(repo, man.digest)
        s.ledger.manifest(repo, wrong)
    refused(
        j,
        "dist.spec.pushing-manifests.11",
        resp,
        (400,),
        f"PUT manifest under a digest it does not hash to: HTTP {resp.status_code}",
        ("DIGEST_INVALID", "MANIFEST_INVALID"),
    )
    error_body(
        j,
        resp,
        "manifest digest mismatch",
        format_clause="dist.spec.error-codes.1",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("DIGEST_INVALID", "MANIFEST_INVALID"),
    )


def manifest_bytes_exact(s: Session, j: Judge) -> None:
    repo = s.repo
    base = s.image()
    odd = C.odd_bytes_manifest(s.salt, base)
    resp = s.put_manifest(repo, "pretty", odd)
    status(j, "dist.spec.pushing-manifests.10", resp, (201,), "PUT an indented manifest")
    got = s.get_manifest(repo, "pretty")
    j.check(
        "dist.spec.pushing-manifests.9",
        got.content == odd.data,
        "indented manifest kept byte for byte",
        expected=f"{odd.digest} ({odd.size} bytes)",
        actual=f"{C.digest_of(got.content)} ({len(got.content)} bytes)",
        location=where(got),
    )
    byd = s.get_manifest(repo, odd.digest)
    status(j, "dist.spec.pushing-manifests.9", byd, (200,), "GET by the digest of the exact bytes")


def manifest_content_type_params(s: Session, j: Judge) -> None:
    repo = s.repo
    base = s.image()
    man = C.odd_bytes_manifest(s.salt + "params", base)
    resp = s.put_manifest(repo, "with-params", man, content_type=f"{man.media_type}; charset=utf-8")
    status(j, "dist.spec.pushing-manifests.3", resp, (201,), "PUT with a parameter on Content-Type")
    got = s.get_manifest(repo, "with-params")
    raw = got.headers.get("Content-Type", "")
    j.check(
        "dist.spec.pulling-manifests.6",
        ";" not in raw,
        f"served Content-Type {raw!r}",
        expected=man.media_type,
        actual=raw,
        location=where(got),
    )


def manifest_missing_blobs(s: Session, j: Judge) -> None:
    repo = s.name("missing-blobs")
    man = C.image(s.salt, "orphan")
    s.require_blob(repo, man.blobs[0])  # config present, layers absent
    resp = s.put_manifest(repo, "orphan", man)
    if resp.status_code == 201:
        j.not_judged(
            "dist.spec.push.3",
            Why.ABSENT,
            "the registry accepted a manifest whose layers it lacks (allowed)",
        )
        j.not_judged(
            "dist.spec.push.2", Why.ABSENT, "the registry does not check layer references on push"
        )
        j.not_judged("dist.spec.error-codes.5", Why.ABSENT, "not rejected")
        return
    _refused_reference(j, resp, "manifest whose layers are missing")
    codes = error_codes(resp.content) or []
    j.check(
        "dist.spec.push.3",
        resp.status_code == 400 and "MANIFEST_BLOB_UNKNOWN" in codes,
        f"rejected with HTTP {resp.status_code} {codes}",
        expected="400 with MANIFEST_BLOB_UNKNOWN",
        actual=f"{resp.status_code} {codes}",
        location=where(resp),
    )
    error_body(
        j,
        resp,
        "manifest with missing blobs",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("MANIFEST_BLOB_UNKNOWN",),
    )


def index_missing_manifest(s: Session, j: Judge) -> None:
    repo = s.name("missing-child")
    child = C.image(s.salt, "never-pushed")
    idx = C.index([child])
    resp = s.put_manifest(repo, "dangling", idx)
    if resp.status_code == 201:
        j.not_judged(
            "dist.spec.push.3",
            Why.ABSENT,
            "the registry accepted an index whose manifests it lacks (allowed)",
        )
        j.not_judged(
            "dist.spec.push.2", Why.ABSENT, "the registry does not check index children on push"
        )
        return
    _refused_reference(j, resp, "index whose child manifest is missing")
    codes = error_codes(resp.content) or []
    j.check(
        "dist.spec.push.3",
        "MANIFEST_BLOB_UNKNOWN" in codes,
        f"index rejected with HTTP {resp.status_code} {codes}",
        expected="MANIFEST_BLOB_UNKNOWN",
        actual=codes,
        location=where(resp),
    )


def _refused_reference(j: Judge, resp: requests.Response, what: str) -> None:
    """push.2: a refusal of a dangling reference is a client error (4xx) naming it."""
    codes = error_codes(resp.content) or []
    j.check(
        "dist.spec.push.2",
        is_4xx(resp.status_code),
        f"{what} refused with HTTP {resp.status_code} {codes}",
        expected="4xx (400 MANIFEST_BLOB_UNKNOWN)",
        actual=f"{resp.status_code} {codes}",
        location=where(resp),
    )


def manifest_without_layers(s: Session, j: Judge) -> None:
    repo = s.repo
    man = C.manifest_without_layers(s.salt)
    for blob in man.blobs:
        s.require_blob(repo, blob)
    resp = s.put_manifest(repo, "no-layers", man)
    status(
        j, "dist.spec.pushing-manifests.8", resp, (201,), "PUT manifest with an empty layers list"
    )


def subject_missing(s: Session, j: Judge) -> None:
    repo = s.name("subject-first")
    ghost = C.image(s.salt, "ghost-subject")
    art = C.artifact(s.salt + "early", ghost, C.ARTIFACT_SBOM)
    for blob in art.blobs:
        s.require_blob(repo, blob)
    resp = s.put_manifest(repo, art.digest, art)
    status(j, "dist.spec.push.1", resp, (201,), "PUT artifact whose subject does not exist yet")


def oci_subject_header(s: Session, j: Judge) -> None:
    refs = s.referrers_set()
    repo = refs.repo
    subject = refs.manifests["subject"]
    probe = s.probe_referrers(repo, subject.digest)
    headers = {k.lower(): v for k, v in refs.push_headers.get("sbom", {}).items()}
    value = headers.get("oci-subject")
    if probe.status_code != 200:
        j.not_judged(
            "dist.spec.pushing-manifests-with-subject.1",
            Why.ABSENT,
            f"referrers API absent (HTTP {probe.status_code}): header not required",
        )
        if value is not None:
            j.note(f"OCI-Subject {value} sent although referrers API answered {probe.status_code}")
        return
    j.check(
        "dist.spec.pushing-manifests-with-subject.1",
        value == subject.digest,
        f"OCI-Subject on the push response: {value!r}",
        expected=subject.digest,
        actual=value,
        location=f"PUT /v2/{repo}/manifests/...",
    )


def manifest_4mib(s: Session, j: Judge) -> None:
    repo = s.repo
    base = s.image()
    man = C.padded_manifest(s.salt, base, 4 * 1000 * 1000)
    resp = s.put_manifest(repo, "four-mb", man)
    status(j, "dist.spec.pushing-manifests.16", resp, (201,), f"PUT a {man.size}-byte manifest")
    if resp.status_code == 201:
        got = s.get_manifest(repo, man.digest)
        j.check(
            "dist.spec.pushing-manifests.16",
            got.content == man.data,
            "4 MB manifest reads back exactly",
            expected=man.digest,
            actual=C.digest_of(got.content),
            location=where(got),
        )


OVERSIZE = 24 * 1024 * 1024


def manifest_oversized(s: Session, j: Judge) -> None:
    repo = s.repo
    base = s.image()
    man = C.padded_manifest(s.salt + "big", base, OVERSIZE)
    try:
        resp = s.put_manifest(repo, "oversized", man)
    except requests.ConnectionError as exc:
        j.check(
            "dist.spec.pushing-manifests.14",
            True,
            f"connection closed on a {OVERSIZE}-byte manifest ({exc})",
        )
        j.check(
            "dist.spec.pushing-manifests.15",
            False,
            "connection closed instead of 413",
            expected=413,
            actual="connection closed",
            location=f"PUT /v2/{repo}/manifests/oversized",
        )
        return
    j.check(
        "dist.spec.pushing-manifests.14",
        resp.status_code != 201,
        f"a {OVERSIZE}-byte manifest is {'accepted' if resp.status_code == 201 else 'refused'}"
        f" (HTTP {resp.status_code})",
        expected="some limit below 24 MiB",
        actual=resp.status_code,
        location=where(resp),
    )
    if resp.status_code == 201:
        j.not_judged(
            "dist.spec.pushing-manifests.15", Why.ABSENT, "no limit enforced, so no 413 to judge"
        )
    else:
        refused(j, "dist.spec.pushing-manifests.15", resp, (413,), "manifest over the limit",
                (), status_only=NO_ROW_SIZE_CAP)


def manifest_no_media_type_header(s: Session, j: Judge) -> None:
    """The stored media type follows Content-Type; pulling reports what was pushed."""
    repo = s.name("push-types")
    idx = C.index([s.image()])
    img = s.image()
    for blob in img.blobs:
        s.require_blob(repo, blob)
    s.put_manifest(repo, img.digest, img)
    resp = s.put_manifest(repo, "idx", idx)
    status(j, "dist.spec.pushing-manifests.10", resp, (201,), "PUT index")
    got = s.get_manifest(repo, "idx")
    j.check(
        "dist.spec.pulling-manifests.8",
        content_type(got) == C.OCI_INDEX,
        "pulled index Content-Type equals the pushed one",
        expected=C.OCI_INDEX,
        actual=content_type(got),
        location=where(got),
    )
    j.check(
        "dist.spec.pulling-manifests.9",
        json.loads(got.content or b"{}").get("mediaType") == content_type(got),
        "mediaType field agrees with Content-Type",
        expected=content_type(got),
        actual=json.loads(got.content or b"{}").get("mediaType"),
        location=where(got),
    )


def push_invalid_digest(s: Session, j: Judge) -> None:
    data = b"invalid digest probe"
    for bad in ("sha256:not-hex", "md5:" + "0" * 32, "sha256:" + "a" * 10):
        loc = _need_location(_start(s, s.repo), "POST")
        resp = s.client.request("PUT", loc, params={"digest": bad}, data=data, headers=OCTET)
        refused(
            j,
            "dist.spec.pushing-blobs.1",
            resp,
            (400,),
            f"PUT with digest {bad[:24]!r}",
            DIGEST_FAULT,
        )


def chunked_final_out_of_order(s: Session, j: Judge) -> None:
    data = C.random_bytes(s.salt + "final-ooo", 3000)
    loc = _need_location(_start(s, s.repo), "POST")
    first = _patch(s, loc, data[:1000], 0)
    if first.status_code != 202:
        raise CaseError(f"first PATCH answered {first.status_code}")
    loc = first.headers.get("Location", loc)
    rest = data[2000:]
    done = s.client.request(
        "PUT",
        loc,
        params={"digest": C.digest_of(data)},
        data=rest,
        headers={
            **OCTET,
            "Content-Range": f"2000-{len(data) - 1}",
            "Content-Length": str(len(rest)),
        },
    )
    if done.status_code == 201:
        s.ledger.blob(s.repo, C.digest_of(data))
    refused(
        j,
        "dist.spec.pushing-a-blob-in-chunks.final-out-of-order",
        done,
        (416,),
        "closing PUT whose chunk skips bytes 1000-1999",
        CHUNK_FAULT,
    )


def tag_parameters(s: Session, j: Judge) -> None:
    repo = s.name("tag-param")
    man = C.image(s.salt, "tagparam")
    for blob in man.blobs:
        s.require_blob(repo, blob)
    tags = [f"p{i}" for i in range(10)]
    resp = s.client.request(
        "PUT",
        f"/v2/{repo}/manifests/{man.digest}",
        params={"tag": tags},
        data=man.data,
        headers={"Content-Type": man.media_type},
    )
    if resp.status_code == 201:
        s.ledger.manifest(repo, man.digest)
    raw = resp.raw.headers.getlist("OCI-Tag") if hasattr(resp.raw, "headers") else []
    applied = [t.strip() for value in raw for t in value.split(",") if t.strip()]
    if resp.status_code == 201 and not applied:
        listed = s.client.request("GET", f"/v2/{repo}/tags/list")
        j.check(
            "dist.spec.pushing-manifests.tag-parameter-oci-tag",
            listed.status_code == 404 or not (_json_tags(listed) or []),
            "no OCI-Tag header: the tag parameters must not have been applied",
            expected="no tags applied",
            actual=_json_tags(listed),
            location=where(listed),
        )
        j.not_judged(
            "dist.spec.pushing-manifests.tag-parameter-count",
            Why.ABSENT,
            "the registry does not take tag parameters",
        )
        j.not_judged(
            "dist.spec.pushing-manifests.tag-parameter",
            Why.ABSENT,
            "the registry does not take tag parameters (no OCI-Tag)",
        )
        return
    if resp.status_code != 201:
        j.not_judged(
            "dist.spec.pushing-manifests.tag-parameter",
            Why.ABSENT,
            f"PUT with tag parameters answered {resp.status_code}: the registry does not take them",
        )
    status(
        j,
        "dist.spec.pushing-manifests.tag-parameter-count",
        resp,
        (201,),
        "PUT by digest with 10 tag params",
    )
    j.check(
        "dist.spec.pushing-manifests.tag-parameter-count",
        sorted(applied) == sorted(tags),
        f"OCI-Tag lists {applied}",
        expected=tags,
        actual=applied,
        location=where(resp),
    )
    for tag in applied:
        got = s.get_manifest(repo, tag)
        j.check(
            "dist.spec.pushing-manifests.tag-parameter-oci-tag",
            got.status_code == 200,
            f"tag {tag} named in OCI-Tag resolves",
            expected=200,
            actual=got.status_code,
            location=where(got),
        )
        if resp.status_code == 201:
            j.check(
                "dist.spec.pushing-manifests.tag-parameter",
                got.status_code == 200 and C.digest_of(got.content) == man.digest,
                f"tag {tag} set by a tag parameter serves the pushed manifest",
                expected=man.digest,
                actual=f"{got.status_code} {C.digest_of(got.content)}",
                location=where(got),
            )


TOO_MANY_TAGS = 300


def tag_parameters_too_many(s: Session, j: Judge) -> None:
    """A 414 for too many tag parameters is allowed; then none of them may be applied."""
    clause = "dist.spec.pushing-manifests.tag-parameter-uri-too-long"
    repo = s.name("tag-param-many")
    man = C.image(s.salt, "tagparam-many")
    for blob in man.blobs:
        s.require_blob(repo, blob)
    tags = [f"m{i}" for i in range(TOO_MANY_TAGS)]
    resp = s.client.request(
        "PUT",
        f"/v2/{repo}/manifests/{man.digest}",
        params={"tag": tags},
        data=man.data,
        headers={"Content-Type": man.media_type},
    )
    if resp.status_code == 201:
        s.ledger.manifest(repo, man.digest)
    if resp.status_code != 414:
        # not a refusal: the clause allows 414 and judges only what follows it
        j.not_judged(
            clause,
            Why.ABSENT,
            f"{TOO_MANY_TAGS} tag parameters answered {resp.status_code}, not 414",
        )
        return
    probe = s.get_manifest(repo, tags[0])
    listed = s.client.request("GET", f"/v2/{repo}/tags/list")
    applied = [t for t in (_json_tags(listed) or []) if t in tags]
    j.check(
        clause,
        probe.status_code == 404 and not applied,
        f"414 for {TOO_MANY_TAGS} tags; tags applied anyway: {applied[:5]}",
        expected="414 and no tag applied",
        actual=f"GET {tags[0]}: {probe.status_code}, listed {applied[:5]}",
        location=where(resp),
    )


def _json_tags(resp: requests.Response) -> list[str] | None:
    try:
        doc = resp.json()
    except ValueError:
        return None
    tags = doc.get("tags") if isinstance(doc, dict) else None
    return tags if isinstance(tags, list) else None


CASES = [
    Case(
        "post-then-put",
        "push",
        (
            "dist.spec.post-then-put.1",
            "dist.spec.post-then-put.2",
            "dist.spec.post-then-put.3",
            "dist.spec.post-then-put.4",
            "dist.spec.post-then-put.7",
        ),
        post_then_put,
    ),
    Case(
        "single-post",
        "push",
        ("dist.spec.single-post.1", "dist.spec.single-post.4", "dist.spec.single-post.5"),
        single_post,
    ),
    Case(
        "single-post-digest-mismatch",
        "push",
        ("dist.spec.single-post.3", "dist.spec.error-codes.5"),
        single_post_digest_mismatch,
        control=controls.single_post_upload,
    ),
    Case(
        "monolithic-digest-mismatch",
        "push",
        (
            "dist.spec.single-post.3",
            "dist.spec.error-codes.1",
            "dist.spec.error-codes.2",
            "dist.spec.error-codes.5",
        ),
        monolithic_digest_mismatch,
        control=controls.monolithic_upload,
    ),
    Case(
        "chunked-upload",
        "push",
        (
            "dist.spec.pushing-a-blob-in-chunks.1",
            "dist.spec.pushing-a-blob-in-chunks.5",
            "dist.spec.pushing-a-blob-in-chunks.7",
            "dist.spec.pushing-a-blob-in-chunks.8",
            "dist.spec.pushing-a-blob-in-chunks.13",
            "dist.spec.pushing-a-blob-in-chunks.15",
            "dist.spec.pushing-a-blob-in-chunks.16",
        ),
        chunked_upload,
    ),
    Case(
        "chunked-final-in-put",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.12",),
        chunked_final_in_put,
    ),
    Case(
        "chunked-out-of-order",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.10", "dist.spec.pushing-a-blob-in-chunks.11"),
        chunked_out_of_order,
        control=controls.chunked_upload,
    ),
    Case(
        "chunked-first-not-zero",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.4",),
        chunked_first_not_zero,
        control=controls.chunked_upload,
    ),
    Case(
        "chunked-range-size-mismatch",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.3",),
        chunked_range_size_mismatch,
        control=controls.chunked_upload,
    ),
    Case(
        "chunked-close-wrong-digest",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.14", "dist.spec.error-codes.5"),
        chunked_close_wrong_digest,
        control=controls.chunked_upload,
    ),
    Case(
        "chunked-close-without-digest",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.14",),
        chunked_close_without_digest,
        control=controls.chunked_upload,
    ),
    Case("chunk-min-length", "push", ("dist.spec.pushing-a-blob-in-chunks.2",), chunk_min_length),
    Case("streamed-upload", "push", ("dist.spec.post-then-put.7",), streamed_upload),
    Case(
        "upload-cancel",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.16", "dist.spec.error-codes.5",
         "dist.spec.cancel-a-blob-upload.1"),
        upload_cancel,
    ),
    Case(
        "mount",
        "push",
        (
            "dist.spec.mounting-a-blob-from-another-repository.1",
            "dist.spec.mounting-a-blob-from-another-repository.2",
            "dist.spec.mounting-a-blob-from-another-repository.5",
        ),
        mount,
    ),
    Case(
        "mount-fallback",
        "push",
        (
            "dist.spec.mounting-a-blob-from-another-repository.5",
            "dist.spec.mounting-a-blob-from-another-repository.6",
        ),
        mount_fallback,
    ),
    Case(
        "mount-without-from",
        "push",
        ("dist.spec.mounting-a-blob-from-another-repository.4",),
        mount_without_from,
    ),
    Case(
        "sha512-blob",
        "push",
        ("dist.spec.post-then-put.7", "dist.spec.pulling-blobs.1"),
        sha512_blob,
    ),
    Case(
        "empty-blob",
        "push",
        (
            "dist.spec.post-then-put.7",
            "dist.spec.pulling-blobs.1",
            "dist.spec.checking-if-content-exists-in-the-registry.3",
        ),
        empty_blob,
    ),
    Case(
        "manifest-push-by-tag",
        "push",
        (
            "dist.spec.pushing-manifests.6",
            "dist.spec.pushing-manifests.10",
            "dist.spec.pushing-manifests.11",
        ),
        manifest_push_by_tag,
    ),
    Case(
        "manifest-push-by-digest",
        "push",
        (
            "dist.spec.pushing-manifests.6",
            "dist.spec.pushing-manifests.9",
            "dist.spec.pushing-manifests.10",
            "dist.spec.pushing-manifests.11",
        ),
        manifest_push_by_digest,
    ),
    Case(
        "manifest-digest-mismatch",
        "push",
        ("dist.spec.pushing-manifests.11", "dist.spec.error-codes.1", "dist.spec.error-codes.5"),
        manifest_digest_mismatch,
        control=controls.manifest_push,
    ),
    Case(
        "manifest-bytes-exact",
        "push",
        ("dist.spec.pushing-manifests.9", "dist.spec.pushing-manifests.10"),
        manifest_bytes_exact,
    ),
    Case(
        "manifest-content-type-params",
        "push",
        ("dist.spec.pushing-manifests.3", "dist.spec.pulling-manifests.6"),
        manifest_content_type_params,
    ),
    Case(
        "manifest-missing-blobs",
        "push",
        ("dist.spec.push.2", "dist.spec.push.3", "dist.spec.error-codes.5"),
        manifest_missing_blobs,
        control=controls.manifest_push,
    ),
    Case(
        "index-missing-manifest",
        "push",
        ("dist.spec.push.2", "dist.spec.push.3"),
        index_missing_manifest,
        control=controls.index_push,
    ),
    Case(
        "manifest-without-layers",
        "push",
        ("dist.spec.pushing-manifests.8",),
        manifest_without_layers,
    ),
    Case("subject-missing", "push", ("dist.spec.push.1",), subject_missing, since="1.1.0"),
    Case(
        "oci-subject-header",
        "push",
        ("dist.spec.pushing-manifests-with-subject.1",),
        oci_subject_header,
        since="1.1.0",
    ),
    Case(
        "push-invalid-digest",
        "push",
        ("dist.spec.pushing-blobs.1",),
        push_invalid_digest,
        control=controls.monolithic_upload,
    ),
    Case(
        "chunked-final-out-of-order",
        "push",
        ("dist.spec.pushing-a-blob-in-chunks.final-out-of-order",),
        chunked_final_out_of_order,
        control=controls.chunked_upload,
    ),
    Case(
        "manifest-tag-parameters",
        "push",
        (
            "dist.spec.pushing-manifests.tag-parameter-oci-tag",
            "dist.spec.pushing-manifests.tag-parameter-count",
            "dist.spec.pushing-manifests.tag-parameter",
        ),
        tag_parameters,
    ),
    Case(
        "manifest-too-many-tag-parameters",
        "push",
        ("dist.spec.pushing-manifests.tag-parameter-uri-too-long",),
        tag_parameters_too_many,
        control=controls.manifest_push,
    ),
    Case("manifest-4mb", "push", ("dist.spec.pushing-manifests.16",), manifest_4mib),
    Case(
        "manifest-oversized",
        "push",
        ("dist.spec.pushing-manifests.14", "dist.spec.pushing-manifests.15"),
        manifest_oversized,
        control=controls.manifest_push,
    ),
    Case(
        "index-content-type",
        "push",
        (
            "dist.spec.pushing-manifests.10",
            "dist.spec.pulling-manifests.8",
            "dist.spec.pulling-manifests.9",
        ),
        manifest_no_media_type_header,
    ),
]
