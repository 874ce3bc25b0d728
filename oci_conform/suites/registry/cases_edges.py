"""Edge states: a repository emptied of its last tag, content negotiation without a usable
Accept, HEAD against GET, deleting a manifest an index refers to, tag-list pagination edges."""

from __future__ import annotations

from typing import Any

import requests

import oci_conform.suites.registry.content as C
from oci_conform.drivers.registry_http import MANIFEST_ACCEPT
from oci_conform.suites.registry.framework import Case, Judge, NotJudged, Why
from oci_conform.suites.registry.judging import content_type, refused, status, where
from oci_conform.suites.registry.session import Session, _json

DISABLED = (400, 405)


def _delete_manifest(s: Session, repo: str, digest: str) -> requests.Response:
    resp = s.client.request("DELETE", f"/v2/{repo}/manifests/{digest}")
    if resp.status_code in DISABLED:
        raise NotJudged(Why.NOT_OFFERED, f"manifest deletion is disabled ({resp.status_code})")
    return resp


def emptied_repository(s: Session, j: Judge) -> None:
    """Push one tagged image into a fresh repository, delete it, then look again."""
    repo = s.name("emptied")
    man = C.image(s.salt, "emptied")
    s.push_image(repo, man, "only")
    resp = _delete_manifest(s, repo, man.digest)
    if resp.status_code != 202:
        raise NotJudged(
            Why.ABSENT,
            f"the only manifest could not be deleted "
            f"(HTTP {resp.status_code}); nothing emptied to look at",
        )
    got = s.get_manifest(repo, "only")
    refused(
        j,
        "dist.spec.pulling-manifests.16",
        got,
        (404,),
        "GET by the tag of the deleted last manifest",
        ("MANIFEST_UNKNOWN", "NAME_UNKNOWN"),
    )
    head = s.get_manifest(repo, "only", method="HEAD")
    status(
        j,
        "dist.spec.checking-if-content-exists-in-the-registry.4",
        head,
        (404,),
        "HEAD by the tag of the deleted last manifest",
    )
    listing = s.client.request("GET", f"/v2/{repo}/tags/list")
    doc = _json(listing.content)
    if listing.status_code == 404:
        j.not_judged(
            "dist.spec.listing-tags.2",
            Why.NOT_OFFERED,
            "the registry forgets a repository with its last tag (tags/list 404)",
        )
    else:
        tags = doc.get("tags")
        j.check(
            "dist.spec.listing-tags.2",
            listing.status_code == 200 and tags == [],
            f"tags/list of the emptied repository: HTTP {listing.status_code}, tags "
            f"{tags!r}" + (" (null is not an empty list)" if tags is None else ""),
            expected="200 with an empty tag list (or 404)",
            actual=f"{listing.status_code} {tags!r}",
            location=where(listing),
        )
    catalog = s.client.request("GET", "/v2/_catalog", params={"n": 1000})
    if catalog.status_code == 200:
        listed = repo in (_json(catalog.content).get("repositories") or [])
        j.note(
            f"_catalog {'still lists' if listed else 'no longer lists'} the emptied "
            f"repository {repo}"
        )


def _get_and_head(
    s: Session, repo: str, ref: str, accept: str | None
) -> tuple[requests.Response, requests.Response]:
    headers: dict[str, Any] = {"Accept": accept}  # None: send no Accept at all
    got = s.client.request("GET", f"/v2/{repo}/manifests/{ref}", headers=headers)
    head = s.client.request("HEAD", f"/v2/{repo}/manifests/{ref}", headers=headers)
    return got, head


def accept_edges(s: Session, j: Judge) -> None:
    """GET/HEAD of an image manifest with no Accept, with only its own type, and with an
    Accept naming only another type: served with its pushed type, or refused consistently."""
    t = s.target()
    variants = (
        ("no Accept header", None, True),
        ("Accept: its own type only", t.media_type, True),
        ("Accept: an unrelated type only", "application/vnd.oci-conform.other+json", False),
    )
    for what, accept, must_serve in variants:
        got, head = _get_and_head(s, t.repo, t.tag, accept)
        if must_serve:
            status(j, "dist.spec.pulling-manifests.10", got, (200,), f"GET with {what}")
            status(
                j,
                "dist.spec.checking-if-content-exists-in-the-registry.1",
                head,
                (200,),
                f"HEAD with {what}",
            )
        elif got.status_code != 200:
            j.note(f"GET with {what}: HTTP {got.status_code} (allowed: nothing acceptable)")
            j.check(
                "dist.spec.checking-if-content-exists-in-the-registry.1",
                head.status_code == got.status_code,
                f"HEAD with {what} answered {head.status_code}, GET {got.status_code}",
                expected=got.status_code,
                actual=head.status_code,
                location=where(head),
            )
            continue
        if got.status_code == 200:
            j.check(
                "dist.spec.pulling-manifests.10",
                C.digest_of(got.content) == t.digest,
                f"GET with {what}: the stored bytes",
                expected=t.digest,
                actual=C.digest_of(got.content),
                location=where(got),
            )
            j.check(
                "dist.spec.pulling-manifests.8",
                content_type(got) == t.media_type,
                f"GET with {what}: Content-Type {content_type(got)!r}",
                expected=t.media_type,
                actual=content_type(got),
                location=where(got),
            )


def head_get_agree(s: Session, j: Judge) -> None:
    """HEAD and GET of the same manifest (by tag and by digest) and blob carry the same
    Content-Length, Docker-Content-Digest and Content-Type, and the length is the body's."""
    t = s.target()
    targets = (
        (f"/v2/{t.repo}/manifests/{t.tag}", {"Accept": MANIFEST_ACCEPT}),
        (f"/v2/{t.repo}/manifests/{t.digest}", {"Accept": MANIFEST_ACCEPT}),
        (f"/v2/{t.repo}/blobs/{t.blob_digest}", {}),
    )
    for path, headers in targets:
        got = s.client.request("GET", path, headers=headers)
        head = s.client.request("HEAD", path, headers=headers)
        if got.status_code != 200 or head.status_code != 200:
            j.check(
                "dist.spec.checking-if-content-exists-in-the-registry.1",
                got.status_code == head.status_code == 200,
                f"GET {got.status_code} / HEAD {head.status_code} for {path[-40:]}",
                expected="200 both",
                actual=f"{got.status_code} / {head.status_code}",
                location=where(head),
            )
            continue
        length = head.headers.get("Content-Length")
        j.check(
            "dist.spec.checking-if-content-exists-in-the-registry.content-length-required",
            length == str(len(got.content)),
            f"HEAD Content-Length {length!r}, GET body {len(got.content)} bytes",
            expected=str(len(got.content)),
            actual=length,
            location=where(head),
        )
        a, b = got.headers.get("Content-Type"), head.headers.get("Content-Type")
        j.check(
            "dist.spec.checking-if-content-exists-in-the-registry.1",
            a == b,
            f"Content-Type: GET {a!r}, HEAD {b!r}",
            expected=a,
            actual=b,
            location=where(head),
        )
        a, b = got.headers.get("Docker-Content-Digest"), head.headers.get("Docker-Content-Digest")
        j.check(
            "dist.spec.checking-if-content-exists-in-the-registry.digest-header-required",
            b is not None and a == b,
            f"Docker-Content-Digest: GET {a!r}, HEAD {b!r}",
            expected=a,
            actual=b,
            location=where(head),
        )


def delete_index_child(s: Session, j: Judge) -> None:
    """Delete an image manifest an index refers to: either refused, or gone while the index
    is still served byte for byte."""
    repo = s.name("index-child")
    child = C.image(s.salt, "index-child")
    s.push_image(repo, child, "child")
    idx = C.index([child], annotations={"org.oci-conform.case": "index-child"})
    put = s.put_manifest(repo, "parent", idx)
    if put.status_code != 201:
        raise NotJudged(Why.ABSENT, f"the index could not be pushed (HTTP {put.status_code})")
    resp = _delete_manifest(s, repo, child.digest)
    if resp.status_code != 202:
        j.note(f"deleting a manifest an index refers to answered {resp.status_code}")
        j.not_judged(
            "dist.spec.deleting-manifests.1",
            Why.ABSENT,
            f"the registry keeps manifests an index refers to (HTTP {resp.status_code})",
        )
        j.not_judged("dist.spec.pulling-manifests.16", Why.ABSENT, "nothing was deleted")
    else:
        status(
            j,
            "dist.spec.deleting-manifests.1",
            resp,
            (202,),
            "DELETE of a manifest an index refers to",
        )
        gone = s.get_manifest(repo, child.digest)
        refused(
            j,
            "dist.spec.pulling-manifests.16",
            gone,
            (404,),
            "GET of the deleted index child",
            ("MANIFEST_UNKNOWN",),
        )
    parent = s.get_manifest(repo, idx.digest)
    j.check(
        "dist.spec.pulling-manifests.10",
        parent.status_code == 200 and parent.content == idx.data,
        f"the index after its child's delete: HTTP {parent.status_code}",
        expected=f"200, {idx.digest}",
        actual=f"{parent.status_code}, {C.digest_of(parent.content)}",
        location=where(parent),
    )


def tags_pagination_edges(s: Session, j: Judge) -> None:
    """``last`` past the final tag, ``n`` beyond the tag count, ``n=0`` with ``last``."""
    repo = s.name("pages")
    man = C.image(s.salt, "pages")
    tags = ["a1", "b2", "c3"]
    for tag in tags:
        s.push_image(repo, man, tag)
    resp = s.client.request("GET", f"/v2/{repo}/tags/list", params={"last": "zzzz"})
    got = _json(resp.content).get("tags")
    status(j, "dist.spec.listing-tags.13", resp, (200,), "tags/list?last=zzzz (past the end)")
    j.check(
        "dist.spec.listing-tags.11",
        resp.status_code == 200 and got in ([], None),
        f"last past the final tag lists {got!r}",
        expected="[] (nothing after zzzz)",
        actual=got,
        location=where(resp),
    )
    resp = s.client.request("GET", f"/v2/{repo}/tags/list", params={"n": 1000})
    got = _json(resp.content).get("tags")
    j.check(
        "dist.spec.listing-tags.5",
        resp.status_code == 200
        and isinstance(got, list)
        and sorted(got) == tags
        and "Link" not in resp.headers,
        f"n=1000 over 3 tags: {got!r}, Link {resp.headers.get('Link')!r}",
        expected=f"{tags} and no Link",
        actual=f"{got!r} {resp.headers.get('Link')!r}",
        location=where(resp),
    )
    resp = s.client.request("GET", f"/v2/{repo}/tags/list", params={"n": 0, "last": "a1"})
    got = _json(resp.content).get("tags")
    j.check(
        "dist.spec.listing-tags.9",
        resp.status_code == 200 and got in ([], None),
        f"n=0&last=a1 lists {got!r}",
        expected="[]",
        actual=got,
        location=where(resp),
    )
    j.check(
        "dist.spec.listing-tags.9-b",
        "Link" not in resp.headers,
        "n=0&last=a1 sends no Link",
        expected="no Link",
        actual=resp.headers.get("Link"),
        location=where(resp),
    )


CASES = [
    Case(
        "emptied-repository",
        "management",
        (
            "dist.spec.pulling-manifests.16",
            "dist.spec.checking-if-content-exists-in-the-registry.4",
            "dist.spec.listing-tags.2",
        ),
        emptied_repository,
    ),
    Case(
        "accept-edges",
        "pull",
        (
            "dist.spec.pulling-manifests.10",
            "dist.spec.pulling-manifests.8",
            "dist.spec.checking-if-content-exists-in-the-registry.1",
        ),
        accept_edges,
        write=False,
    ),
    Case(
        "head-get-agree",
        "pull",
        (
            "dist.spec.checking-if-content-exists-in-the-registry.1",
            "dist.spec.checking-if-content-exists-in-the-registry.content-length-required",
            "dist.spec.checking-if-content-exists-in-the-registry.digest-header-required",
        ),
        head_get_agree,
        write=False,
    ),
    Case(
        "delete-index-child",
        "management",
        (
            "dist.spec.deleting-manifests.1",
            "dist.spec.pulling-manifests.16",
            "dist.spec.pulling-manifests.10",
        ),
        delete_index_child,
    ),
    Case(
        "tags-pagination-edges",
        "discovery",
        (
            "dist.spec.listing-tags.13",
            "dist.spec.listing-tags.11",
            "dist.spec.listing-tags.5",
            "dist.spec.listing-tags.9",
            "dist.spec.listing-tags.9-b",
        ),
        tags_pagination_edges,
    ),
]
