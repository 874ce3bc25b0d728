"""Content discovery: tag listing (order, n, last, Link) and the referrers API."""

from __future__ import annotations

import json
import re
from typing import Any

import requests

import oci_conform.suites.registry.content as C
import oci_conform.suites.registry.controls as controls
from oci_conform.suites.registry.framework import Case, CaseError, Judge, NotJudged, Why, judged
from oci_conform.suites.registry.judging import (
    content_type,
    error_body,
    is_4xx,
    refused,
    status,
    where,
)
from oci_conform.suites.registry.session import Session, _json, error_codes

TAGS = ["alpha", "beta", "delta", "gamma", "v1.0", "v1.1", "v10", "v2"]
MIXED = ["Beta", "alpha", "Gamma", "delta", "Zeta", "epsilon"]
LINK_RE = re.compile(r'^\s*<([^>]+)>\s*;\s*rel="?next"?\s*$')
MAX_PAGES = 30


def _tag_repo(s: Session, key: str, tags: list[str]) -> str:
    def build() -> str:
        repo = s.name(key)
        man = C.image(s.salt, key)
        s.push_image(repo, man, tags[0])
        for tag in tags[1:]:
            resp = s.put_manifest(repo, tag, man)
            if resp.status_code != 201:
                raise CaseError(f"could not tag {tag}: HTTP {resp.status_code}")
        return repo

    return s.once("tags-" + key, build)


def _list(s: Session, repo: str, **params: Any) -> tuple[requests.Response, dict[str, Any]]:
    resp = s.client.request("GET", f"/v2/{repo}/tags/list", params=params or None)
    return resp, _json(resp.content)


def _listing_repo(s: Session) -> tuple[str, list[str] | None]:
    """Our tagged repo (with the tags we know), or the read-only namespace (tags unknown)."""
    if s.read_only:
        return s.repo, None
    return _tag_repo(s, "tags", TAGS), sorted(TAGS)


def tags_list(s: Session, j: Judge) -> None:
    repo, expected = _listing_repo(s)
    resp, doc = _list(s, repo)
    status(j, "dist.spec.listing-tags.1", resp, (200,), "GET tags/list")
    tags = doc.get("tags")
    j.check(
        "dist.spec.listing-tags.4",
        isinstance(doc.get("name"), str)
        and isinstance(tags, list)
        and all(isinstance(t, str) for t in tags),
        "body is {name: string, tags: [string]}",
        expected='{"name":..., "tags":[...]}',
        actual=resp.content[:200].decode("utf-8", "replace"),
        location=where(resp),
    )
    j.check(
        "dist.spec.listing-tags.4",
        doc.get("name") == repo,
        f"name is {doc.get('name')!r}",
        expected=repo,
        actual=doc.get("name"),
        location=where(resp),
    )
    if not isinstance(tags, list):
        raise CaseError("no tag list to judge")
    _order(
        j,
        "dist.spec.listing-tags.3",
        "dist.spec.listing-tags.sorted-lexical-or-ascii",
        tags,
        "tags are in lexical order",
        resp,
    )
    if expected is not None:
        j.check(
            "dist.spec.listing-tags.1",
            sorted(tags) == expected,
            "all pushed tags are listed",
            expected=expected,
            actual=tags,
            location=where(resp),
        )


def tags_mixed_case(s: Session, j: Judge) -> None:
    repo = _tag_repo(s, "tags-mixed", MIXED)
    resp, doc = _list(s, repo)
    tags = doc.get("tags")
    if resp.status_code != 200 or not isinstance(tags, list):
        raise CaseError(f"tags/list answered {resp.status_code}")
    _order(
        j,
        "dist.spec.listing-tags.3",
        "dist.spec.listing-tags.sorted-lexical-or-ascii",
        tags,
        "mixed-case tags are in lexical order",
        resp,
    )


def tags_paginated(s: Session, j: Judge) -> None:
    repo, expected = _listing_repo(s)
    everything = _all_tags(s, repo)
    if len(everything) < 2:
        raise NotJudged(Why.ABSENT, f"repository has {len(everything)} tags; pagination needs 2+")
    n = max(3 if len(everything) > 3 else 1, -(-len(everything) // (MAX_PAGES - 10)))
    seen: list[str] = []
    resp, doc = _list(s, repo, n=n)
    for _page in range(MAX_PAGES):
        status(j, "dist.spec.listing-tags.6", resp, (200,), f"GET tags/list page (n={n})")
        page = _strs(doc.get("tags"))
        link = resp.headers.get("Link")
        remaining = len(everything) - len(seen)
        if link is None:
            j.check(
                "dist.spec.listing-tags.6",
                len(page) == min(n, remaining),
                f"page without Link holds {len(page)} tags",
                expected=min(n, remaining),
                actual=len(page),
                location=where(resp),
            )
        else:
            j.check(
                "dist.spec.listing-tags.5",
                len(page) <= n,
                f"page with Link holds {len(page)} of n={n}",
                expected=f"<= {n}",
                actual=len(page),
                location=where(resp),
            )
        _order(
            j,
            "dist.spec.listing-tags.10",
            "dist.spec.listing-tags.paginated-sorted-lexical-or-ascii",
            page,
            "page is in lexical order",
            resp,
        )
        if seen and page:
            follows = everything[len(seen) : len(seen) + len(page)]
            j.check(
                "dist.spec.listing-tags.12",
                page == follows,
                "next page continues where the previous ended",
                expected=follows,
                actual=page,
                location=where(resp),
            )
        seen.extend(page)
        if link is None:
            break
        match = LINK_RE.match(link)
        j.check(
            "dist.spec.listing-tags.8",
            bool(match),
            f"Link header {link!r}",
            expected='<url>; rel="next"',
            actual=link,
            location=where(resp),
        )
        j.check(
            "dist.spec.listing-tags.7",
            remaining > len(page),
            f"Link sent with {remaining - len(page)} tags still to come",
            expected="more tags after this page",
            actual=f"{remaining - len(page)} remaining",
            location=where(resp),
        )
        if not match:
            break
        resp = s.client.request("GET", match.group(1))
        doc = _json(resp.content)
    else:
        j.check(
            "dist.spec.listing-tags.8",
            False,
            f"pagination did not end within {MAX_PAGES} pages",
            expected="a last page without Link",
            actual=f"{MAX_PAGES} pages",
            location=where(resp),
        )
    j.check(
        "dist.spec.listing-tags.6",
        seen == everything,
        "pages together equal the full list",
        expected=everything,
        actual=seen,
        location=where(resp),
    )
    if not judged(j, "dist.spec.listing-tags.12"):
        j.not_judged("dist.spec.listing-tags.12", Why.ABSENT, "the listing came in a single page")
    if not judged(j, "dist.spec.listing-tags.8"):
        j.not_judged("dist.spec.listing-tags.8", Why.ABSENT, "the registry sent no Link header")
    if not judged(j, "dist.spec.listing-tags.7"):
        j.not_judged("dist.spec.listing-tags.7", Why.ABSENT, "the registry sent no Link header")
    if not judged(j, "dist.spec.listing-tags.5"):
        j.not_judged("dist.spec.listing-tags.5", Why.ABSENT, "no page came with a Link header")


def tags_n_zero(s: Session, j: Judge) -> None:
    repo, _ = _listing_repo(s)
    resp, doc = _list(s, repo, n=0)
    status(j, "dist.spec.listing-tags.9", resp, (200,), "GET tags/list?n=0")
    j.check(
        "dist.spec.listing-tags.9",
        doc.get("tags") == [],
        f"n=0 lists {doc.get('tags')!r}",
        expected="[]",
        actual=doc.get("tags"),
        location=where(resp),
    )
    j.check(
        "dist.spec.listing-tags.9-b",
        "Link" not in resp.headers,
        "n=0 has no Link header",
        expected="no Link",
        actual=resp.headers.get("Link"),
        location=where(resp),
    )


def tags_last(s: Session, j: Judge) -> None:
    repo, _ = _listing_repo(s)
    everything = _all_tags(s, repo)
    if len(everything) < 3:
        raise NotJudged(Why.ABSENT, f"repository has {len(everything)} tags; `last` needs 3+")
    pivot = everything[1]
    after = everything[2:]
    resp, doc = _list(s, repo, n=2, last=pivot)
    status(j, "dist.spec.listing-tags.11", resp, (200,), f"GET tags/list?n=2&last={pivot}")
    j.check(
        "dist.spec.listing-tags.11",
        doc.get("tags") == after[:2],
        f"tags after {pivot!r}",
        expected=after[:2],
        actual=doc.get("tags"),
        location=where(resp),
    )
    resp, doc = _list(s, repo, last=pivot)
    status(j, "dist.spec.listing-tags.13", resp, (200,), f"GET tags/list?last={pivot} (no n)")
    got = doc.get("tags") if isinstance(doc.get("tags"), list) else None
    j.check(
        "dist.spec.listing-tags.13",
        got is not None and len(got) > 0 and got == after[: len(got)],
        f"last without n lists tags after {pivot!r}",
        expected=after,
        actual=got,
        location=where(resp),
    )
    _order(
        j,
        "dist.spec.listing-tags.12",
        "dist.spec.listing-tags.last-sorted-lexical-or-ascii",
        got or [],
        "tags after last are ordered",
        resp,
    )


def tags_empty_repository(s: Session, j: Judge) -> None:
    repo = s.name("untagged")
    man = C.image(s.salt, "untagged")
    for blob in man.blobs:
        s.require_blob(repo, blob)
    put = s.put_manifest(repo, man.digest, man)
    if put.status_code != 201:
        raise CaseError(f"could not push an untagged manifest: HTTP {put.status_code}")
    resp, doc = _list(s, repo)
    status(
        j, "dist.spec.listing-tags.1", resp, (200,), "GET tags/list of a repository with no tags"
    )
    j.check(
        "dist.spec.listing-tags.2",
        doc.get("tags") == [],
        f"tags of an untagged repository: {doc.get('tags')!r}",
        expected="[]",
        actual=doc.get("tags"),
        location=where(resp),
    )
    j.check(
        "dist.spec.listing-tags.4",
        isinstance(doc.get("tags"), list),
        "tags is a JSON list",
        expected="[]",
        actual=resp.content[:200].decode("utf-8", "replace"),
        location=where(resp),
    )


def tags_unknown_repository(s: Session, j: Judge) -> None:
    resp, _ = _list(s, f"oci-conform/absent-{s.run_id}")
    refused(
        j,
        "dist.spec.error-codes.5",
        resp,
        (404,),
        f"tags of a missing repository: HTTP {resp.status_code}",
        ("NAME_UNKNOWN",),
    )
    error_body(
        j,
        resp,
        "tags of a missing repository",
        format_clause="dist.spec.error-codes.1",
        code_clause="dist.spec.error-codes.2",
        listed_clause="dist.spec.error-codes.5",
        expected_codes=("NAME_UNKNOWN",),
    )


def _all_tags(s: Session, repo: str, max_pages: int = 100) -> list[str]:
    """The whole tag list, following ``Link`` if the registry pages it unasked (bounded)."""
    resp, doc = _list(s, repo)
    tags = _strs(doc.get("tags"))
    for _ in range(max_pages):
        match = LINK_RE.match(resp.headers.get("Link", ""))
        if resp.status_code != 200 or not match:
            break
        resp = s.client.request("GET", match.group(1))
        tags.extend(_strs(_json(resp.content).get("tags")))
    return tags


def _strs(value: Any) -> list[str]:
    """A JSON tag list as strings (anything else: empty)."""
    return [str(v) for v in value] if isinstance(value, list) else []


def _ordered(tags: list[str], either: bool) -> bool:
    """Case-insensitive lexical order; with ``either`` byte (ASCII) order is fine too."""
    lexical = tags == sorted(tags, key=lambda t: (t.lower(), t))
    return lexical or (either and tags == sorted(tags))


def _order_rule(either: bool) -> str:
    return "case-insensitive lexical or ASCII order" if either else "case-insensitive lexical order"


def _order(
    j: Judge,
    lexical_clause: str,
    either_clause: str,
    tags: list[str],
    what: str,
    resp: requests.Response,
) -> None:
    """Judge one list: lexical order for ``lexical_clause``, lexical or ASCII order for
    ``either_clause``."""
    for clause, either in ((lexical_clause, False), (either_clause, True)):
        j.check(
            clause,
            _ordered(tags, either),
            what,
            expected=_order_rule(either),
            actual=tags[:20],
            location=where(resp),
        )


# ----------------------------------------------------------------------------- referrers


def _refs(s: Session) -> tuple[str, dict[str, C.Manifest]]:
    refs = s.referrers_set()
    return refs.repo, refs.manifests


def _api(
    s: Session, j: Judge, clauses: tuple[str, ...], repo: str, digest: str, **params: str
) -> tuple[requests.Response, dict[str, Any]]:
    resp = s.client.request(
        "GET",
        f"/v2/{repo}/referrers/{digest}",
        params=params or None,
        headers={"Accept": C.OCI_INDEX},
    )
    if s.referrers_supported is None:
        s.referrers_supported = resp.status_code == 200
    if resp.status_code == 404 and not params:
        for clause in clauses:
            j.not_judged(
                clause,
                Why.NOT_OFFERED,
                "the referrers API is not offered (404); see referrers-tag-fallback",
            )
        raise NotJudged(Why.NOT_OFFERED, "referrers API not offered")
    return resp, _json(resp.content)


def referrers_list(s: Session, j: Judge) -> None:
    repo, refs = _refs(s)
    subject = refs["subject"]
    clauses = (
        "dist.spec.listing-referrers.1",
        "dist.spec.listing-referrers.4",
        "dist.spec.listing-referrers.5",
        "dist.spec.listing-referrers.6",
        "dist.spec.listing-referrers.7",
        "dist.spec.listing-referrers.8",
        "dist.spec.listing-referrers.9",
        "dist.spec.listing-referrers.11",
        "dist.spec.listing-referrers.12",
        "dist.spec.enabling-the-referrers-api.3",
    )
    resp, doc = _api(s, j, clauses, repo, subject.digest)
    status(
        j,
        "dist.spec.listing-referrers.1",
        resp,
        (200,),
        "GET referrers of a subject with referrers",
    )
    j.check(
        "dist.spec.listing-referrers.5",
        content_type(resp) == C.OCI_INDEX,
        "Content-Type of the referrers list",
        expected=C.OCI_INDEX,
        actual=resp.headers.get("Content-Type"),
        location=where(resp),
    )
    items = doc.get("manifests")
    j.check(
        "dist.spec.listing-referrers.4",
        doc.get("schemaVersion") == 2 and isinstance(items, list),
        "body is an image index with a manifests list",
        expected="image index",
        actual=resp.content[:200].decode("utf-8", "replace"),
        location=where(resp),
    )
    if not isinstance(items, list):
        raise CaseError("no descriptor list")
    link = resp.headers.get("Link")
    if link is None:
        j.not_judged(
            "dist.spec.listing-referrers.12",
            Why.ABSENT,
            "the referrers list came whole (no Link header)",
        )
        j.not_judged(
            "dist.spec.listing-referrers.11",
            Why.ABSENT,
            "the referrers list fitted one response (no Link header)",
        )
    else:
        j.check(
            "dist.spec.listing-referrers.12",
            bool(LINK_RE.match(link)),
            f"Link header {link!r}",
            expected='<url>; rel="next"',
            actual=link,
            location=where(resp),
        )
    items = items + _referrer_pages(s, j, resp)
    by_digest = {d.get("digest"): d for d in items if isinstance(d, dict)}
    wanted = {k: refs[k] for k in ("sbom", "sig", "config", "index")}
    missing = [k for k, m in wanted.items() if m.digest not in by_digest]
    j.check(
        "dist.spec.enabling-the-referrers-api.3",
        not missing,
        "every referrer pushed is listed",
        expected=list(wanted),
        actual=f"missing {missing}" if missing else "all",
        location=where(resp),
    )
    for key, expect_type in (("sbom", C.ARTIFACT_SBOM), ("sig", C.ARTIFACT_SIG)):
        got = by_digest.get(wanted[key].digest, {})
        j.check(
            "dist.spec.listing-referrers.6",
            got.get("artifactType") == expect_type,
            f"{key} referrer artifactType",
            expected=expect_type,
            actual=got.get("artifactType"),
            location=where(resp),
        )
    got = by_digest.get(wanted["config"].digest, {})
    j.check(
        "dist.spec.listing-referrers.7",
        got.get("artifactType") == "application/vnd.oci-conform.test.config.v1+json",
        "artifactType falls back to the config media type",
        expected="application/vnd.oci-conform.test.config.v1+json",
        actual=got.get("artifactType"),
        location=where(resp),
    )
    found = by_digest.get(wanted["index"].digest)
    if found is None:
        j.check(
            "dist.spec.listing-referrers.8",
            False,
            "index referrer not listed",
            expected="listed",
            actual="absent",
            location=where(resp),
        )
    else:
        j.check(
            "dist.spec.listing-referrers.8",
            "artifactType" not in found,
            "index without artifactType has none",
            expected="no artifactType",
            actual=found.get("artifactType"),
            location=where(resp),
        )
    for key, kind in (
        ("sbom", "sbom"),
        ("sig", "signature"),
        ("config", "config-typed"),
        ("index", "index-referrer"),
    ):
        got = by_digest.get(wanted[key].digest, {})
        ann = got.get("annotations") or {}
        j.check(
            "dist.spec.listing-referrers.9",
            ann.get("org.oci-conform.kind") == kind,
            f"{key} referrer carries the manifest's annotations",
            expected={"org.oci-conform.kind": kind},
            actual=ann,
            location=where(resp),
        )


def _referrer_pages(s: Session, j: Judge, resp: requests.Response) -> list[Any]:
    """Follow ``Link`` from a referrers answer (bounded); listing-referrers.11 passes when
    each linked page is another image index holding more descriptors."""
    more: list[Any] = []
    for _ in range(MAX_PAGES):
        link = resp.headers.get("Link")
        match = LINK_RE.match(link or "")
        if not match:
            if link is not None:
                j.check(
                    "dist.spec.listing-referrers.11",
                    False,
                    f"Link header {link[:120]!r} names no next page",
                    expected='<url>; rel="next"',
                    actual=link,
                    location=where(resp),
                )
            break
        resp = s.client.request("GET", match.group(1), headers={"Accept": C.OCI_INDEX})
        page = _json(resp.content).get("manifests")
        j.check(
            "dist.spec.listing-referrers.11",
            resp.status_code == 200 and isinstance(page, list) and bool(page),
            f"the Link of a referrers page leads to more referrers: HTTP {resp.status_code}",
            expected="200, an index with more descriptors",
            actual=f"{resp.status_code} {resp.content[:120]!r}",
            location=where(resp),
        )
        if not isinstance(page, list) or resp.status_code != 200:
            break
        more.extend(page)
    return more


def referrers_empty(s: Session, j: Judge) -> None:
    repo, refs = _refs(s)
    lone = C.digest_of(f"no-referrers-{s.run_id}".encode())
    resp, doc = _api(
        s, j, ("dist.spec.listing-referrers.2", "dist.spec.listing-referrers.10"), repo, lone
    )
    j.check(
        "dist.spec.listing-referrers.2",
        resp.status_code != 404,
        f"referrers of an unknown digest: HTTP {resp.status_code}",
        expected="not 404",
        actual=resp.status_code,
        location=where(resp),
    )
    j.check(
        "dist.spec.listing-referrers.10",
        resp.status_code == 200 and doc.get("manifests") == [],
        "no referrers gives an empty list",
        expected="200 with manifests: []",
        actual=f"{resp.status_code} {resp.content[:120]!r}",
        location=where(resp),
    )


def referrers_invalid_digest(s: Session, j: Judge) -> None:
    repo, _ = _refs(s)
    resp = s.client.request(
        "GET", f"/v2/{repo}/referrers/sha256:not-a-digest", headers={"Accept": C.OCI_INDEX}
    )
    if resp.status_code == 404 and not s.referrers_supported:
        j.not_judged(
            "dist.spec.listing-referrers.3",
            Why.NOT_OFFERED,
            "the referrers API is not offered (404)",
        )
        return
    refused(j, "dist.spec.listing-referrers.3", resp, (400,),
            "GET referrers with a malformed digest", ("DIGEST_INVALID",))


def referrers_filter(s: Session, j: Judge) -> None:
    repo, refs = _refs(s)
    subject = refs["subject"]
    _api(
        s,
        j,
        ("dist.spec.listing-referrers.13", "dist.spec.listing-referrers.14"),
        repo,
        subject.digest,
    )
    resp, doc = _api(
        s,
        j,
        ("dist.spec.listing-referrers.13", "dist.spec.listing-referrers.14"),
        repo,
        subject.digest,
        artifactType=C.ARTIFACT_SBOM,
    )
    applied = resp.headers.get("OCI-Filters-Applied")
    listed = doc.get("manifests")
    items: list[Any] = listed if isinstance(listed, list) else []
    types = sorted({str(d.get("artifactType")) for d in items if isinstance(d, dict)})
    j.check(
        "dist.spec.listing-referrers.13",
        applied is not None and "artifactType" in applied,
        f"artifactType filter applied: {applied!r}",
        expected="OCI-Filters-Applied: artifactType",
        actual=applied,
        location=where(resp),
    )
    if applied and "artifactType" in applied:
        j.check(
            "dist.spec.listing-referrers.14",
            types == [C.ARTIFACT_SBOM],
            f"filtered list holds types {types}",
            expected=[C.ARTIFACT_SBOM],
            actual=types,
            location=where(resp),
        )
    else:
        j.check(
            "dist.spec.listing-referrers.14",
            len(items) >= 4,
            "unfiltered answer (no OCI-Filters-Applied) lists every referrer",
            expected=">= 4 descriptors",
            actual=len(items),
            location=where(resp),
        )


def referrers_tag_fallback(s: Session, j: Judge) -> None:
    repo, refs = _refs(s)
    subject = refs["subject"]
    probe = s.probe_referrers(repo, subject.digest)
    if probe.status_code == 200:
        j.not_judged(
            "dist.spec.listing-referrers.16",
            Why.ABSENT,
            "the referrers API is offered: no fallback needed",
        )
        j.not_judged(
            "dist.spec.listing-referrers.17",
            Why.ABSENT,
            "the referrers API is offered: no fallback needed",
        )
        return
    j.check(
        "dist.spec.listing-referrers.16",
        probe.status_code == 404,
        f"referrers API answered {probe.status_code}",
        expected="404 (fallback) or 200",
        actual=probe.status_code,
        location=where(probe),
    )
    descs = []
    for key in ("sbom", "sig", "config"):
        man = refs[key]
        doc = json.loads(man.data)
        desc = man.descriptor(
            artifactType=doc.get("artifactType") or doc["config"]["mediaType"],
            annotations=doc.get("annotations", {}),
        )
        descs.append(desc)
    fallback = C.Manifest(
        C.encode({"schemaVersion": 2, "mediaType": C.OCI_INDEX, "manifests": descs}), C.OCI_INDEX
    )
    tag = C.referrers_tag(subject.digest)
    put = s.put_manifest(repo, tag, fallback)
    status(j, "dist.spec.listing-referrers.16", put, (201,), f"PUT referrers index to tag {tag}")
    got = s.get_manifest(repo, tag, accept=C.OCI_INDEX)
    status(j, "dist.spec.listing-referrers.17", got, (200,), "GET the referrers tag")
    listed = {
        d.get("digest") for d in _json(got.content).get("manifests", []) if isinstance(d, dict)
    }
    j.check(
        "dist.spec.listing-referrers.17",
        listed == {d["digest"] for d in descs} and content_type(got) == C.OCI_INDEX,
        "the tag serves the referrers index pushed",
        expected=sorted(d["digest"] for d in descs),
        actual=sorted(str(x) for x in listed),
        location=where(got),
    )


SEGMENT_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")


def extensions_discover(s: Session, j: Judge) -> None:
    """``GET /v2/_oci/ext/discover`` (registry) and ``/v2/<name>/_oci/ext/discover``."""
    clauses = (
        "dist.extensions-oci.extensions-property-descriptions.1",
        "dist.extensions-oci.extensions-property-descriptions.2",
        "dist.extensions-oci.extensions-property-descriptions.3",
        "dist.extensions-oci.extensions-property-descriptions.4",
        "dist.extensions-oci.extensions-property-descriptions.5",
        "dist.extensions-oci.extensions-property-descriptions.6",
        "dist.extensions.name.2",
    )
    repo = s.target().repo
    answered = 0
    for path in ("/v2/_oci/ext/discover", f"/v2/{repo}/_oci/ext/discover"):
        resp = s.client.request("GET", path, headers={"Accept": "application/json"})
        codes = error_codes(resp.content) or []
        if "UNSUPPORTED" in codes:
            j.check(
                "dist.extensions-oci.error-codes.1",
                is_4xx(resp.status_code),
                f"{path}: HTTP {resp.status_code} {codes}: no extensions offered",
                expected="a 4xx error with UNSUPPORTED",
                actual=resp.status_code,
                location=where(resp),
            )
        if resp.status_code == 404 or "UNSUPPORTED" in codes:
            j.note(f"{path}: HTTP {resp.status_code} {codes}: no extensions offered")
            continue
        answered += 1
        doc = _json(resp.content)
        exts = doc.get("extensions")
        j.check(
            "dist.extensions-oci.extensions-property-descriptions.1",
            resp.status_code == 200 and isinstance(exts, list),
            f"{path}: HTTP {resp.status_code}, extensions is "
            f"{type(exts).__name__ if exts is not None else 'absent'}",
            expected="200 with an extensions array",
            actual=resp.content[:200],
            location=where(resp),
        )
        for ext in exts if isinstance(exts, list) else []:
            item = ext if isinstance(ext, dict) else {}
            name = item.get("name")
            j.check(
                "dist.extensions-oci.extensions-property-descriptions.2",
                isinstance(name, str) and bool(name),
                f"extension name {name!r}",
                expected="a string",
                actual=name,
                location=where(resp),
            )
            j.check(
                "dist.extensions-oci.extensions-property-descriptions.3",
                isinstance(item.get("url"), str),
                f"{name}: url {item.get('url')!r}",
                expected="a string",
                actual=item.get("url"),
                location=where(resp),
            )
            points = item.get("endpoints")
            j.check(
                "dist.extensions-oci.extensions-property-descriptions.5",
                isinstance(points, list) and all(isinstance(p, str) for p in points),
                f"{name}: endpoints {points!r}",
                expected="an array of strings",
                actual=points,
                location=where(resp),
            )
            if "description" in item:
                j.check(
                    "dist.extensions-oci.extensions-property-descriptions.4",
                    isinstance(item["description"], str),
                    f"{name}: description {item['description']!r}",
                    expected="a string",
                    actual=item["description"],
                    location=where(resp),
                )
            _probe_endpoints(s, j, points if isinstance(points, list) else [], repo)
            if isinstance(name, str):
                segs = name.lstrip("_").split("/")
                j.check(
                    "dist.extensions.name.2",
                    name.startswith("_") and all(SEGMENT_RE.match(x) for x in segs),
                    f"extension name {name!r}",
                    expected="_<lower-case segments>",
                    actual=name,
                    location=where(resp),
                )
    if not answered:
        for clause in clauses:
            j.not_judged(
                clause,
                Why.NOT_OFFERED,
                "the registry offers no extensions (discover answered 404 or UNSUPPORTED)",
            )
    if not judged(j, "dist.extensions-oci.error-codes.1"):
        j.not_judged(
            "dist.extensions-oci.error-codes.1",
            Why.ABSENT,
            "the discover endpoint did not answer UNSUPPORTED",
        )
    j.not_judged(
        "dist.extensions-oci.extensions-property-descriptions.4",
        Why.ABSENT,
        "no listed extension has a description",
    )
    j.not_judged(
        "dist.extensions-oci.extensions-property-descriptions.6",
        Why.ABSENT,
        "no listed endpoint is a concrete path to probe",
    )
    for clause in clauses[1:]:
        if not judged(j, clause):
            j.not_judged(clause, Why.ABSENT, "the discover answer listed no extension")


def _probe_endpoints(s: Session, j: Judge, points: list[Any], repo: str) -> None:
    """Each concrete endpoint path the discover answer lists must exist (not 404/405)."""
    for point in points[:8]:
        if not isinstance(point, str) or any(ch in point for ch in "<>{}*"):
            continue
        path = point if point.startswith("/") else "/v2/" + point.lstrip("./")
        if "://" in point or not path.startswith("/v2/"):
            continue
        resp = s.client.request("GET", path, headers={"Accept": "application/json"})
        j.check(
            "dist.extensions-oci.extensions-property-descriptions.6",
            resp.status_code not in (404, 405, 501),
            f"listed endpoint {point!r} answers HTTP {resp.status_code}",
            expected="the endpoint exists (not 404/405/501)",
            actual=resp.status_code,
            location=where(resp),
        )


def ns_parameter(s: Session, j: Judge) -> None:
    t = s.target()
    ns = "registry.oci-conform.invalid"
    resp = s.client.request(
        "GET",
        f"/v2/{t.repo}/manifests/{t.digest}",
        params={"ns": ns},
        headers={"Accept": t.media_type},
    )
    echoed = resp.headers.get("OCI-Namespace")
    if echoed is None:
        j.not_judged(
            "dist.spec.registry-proxying.7",
            Why.ABSENT,
            f"no OCI-Namespace header (HTTP {resp.status_code}): ns not used to scope",
        )
        plain = s.client.request(
            "GET", f"/v2/{t.repo}/manifests/{t.digest}", headers={"Accept": t.media_type}
        )
        same = (resp.status_code, resp.content) == (plain.status_code, plain.content)
        if same and resp.status_code == 200:
            j.check(
                "dist.spec.registry-proxying.6",
                True,
                "with and without ns the registry serves the same manifest: ns is ignored",
                location=where(resp),
            )
        else:
            j.not_judged(
                "dist.spec.registry-proxying.6",
                Why.ABSENT,
                f"ns changed the answer ({resp.status_code} vs "
                f"{plain.status_code}) without OCI-Namespace: not simply ignored",
            )
        return
    j.not_judged(
        "dist.spec.registry-proxying.6", Why.ABSENT, "the registry used ns (OCI-Namespace sent)"
    )
    j.check(
        "dist.spec.registry-proxying.7",
        echoed == ns,
        f"OCI-Namespace is {echoed!r}",
        expected=ns,
        actual=echoed,
        location=where(resp),
    )


CASES = [
    Case(
        "tags-list",
        "discovery",
        (
            "dist.spec.listing-tags.1",
            "dist.spec.listing-tags.3",
            "dist.spec.listing-tags.sorted-lexical-or-ascii",
            "dist.spec.listing-tags.4",
        ),
        tags_list,
        write=False,
    ),
    Case(
        "tags-mixed-case-order",
        "discovery",
        ("dist.spec.listing-tags.3", "dist.spec.listing-tags.sorted-lexical-or-ascii"),
        tags_mixed_case,
    ),
    Case(
        "tags-paginated",
        "discovery",
        (
            "dist.spec.listing-tags.5",
            "dist.spec.listing-tags.6",
            "dist.spec.listing-tags.7",
            "dist.spec.listing-tags.8",
            "dist.spec.listing-tags.10",
            "dist.spec.listing-tags.paginated-sorted-lexical-or-ascii",
            "dist.spec.listing-tags.12",
        ),
        tags_paginated,
        write=False,
    ),
    Case(
        "tags-n-zero",
        "discovery",
        ("dist.spec.listing-tags.9", "dist.spec.listing-tags.9-b"),
        tags_n_zero,
        write=False,
    ),
    Case(
        "tags-last",
        "discovery",
        (
            "dist.spec.listing-tags.11",
            "dist.spec.listing-tags.12",
            "dist.spec.listing-tags.last-sorted-lexical-or-ascii",
            "dist.spec.listing-tags.13",
        ),
        tags_last,
        write=False,
    ),
    Case(
        "tags-empty-repository",
        "discovery",
        ("dist.spec.listing-tags.1", "dist.spec.listing-tags.2", "dist.spec.listing-tags.4"),
        tags_empty_repository,
    ),
    Case(
        "extensions-discover",
        "discovery",
        (
            "dist.extensions-oci.extensions-property-descriptions.1",
            "dist.extensions-oci.extensions-property-descriptions.2",
            "dist.extensions-oci.extensions-property-descriptions.3",
            "dist.extensions-oci.extensions-property-descriptions.4",
            "dist.extensions-oci.extensions-property-descriptions.5",
            "dist.extensions-oci.extensions-property-descriptions.6",
            "dist.extensions.name.2",
            "dist.extensions-oci.error-codes.1",
        ),
        extensions_discover,
        write=False,
        since="1.1.0",
    ),
    Case(
        "ns-parameter",
        "discovery",
        ("dist.spec.registry-proxying.7", "dist.spec.registry-proxying.6"),
        ns_parameter,
        write=False,
    ),
    Case(
        "tags-unknown-repository",
        "discovery",
        ("dist.spec.error-codes.1", "dist.spec.error-codes.2", "dist.spec.error-codes.5"),
        tags_unknown_repository,
        control=controls.tags_list,
        write=False,
    ),
    Case(
        "referrers-list",
        "referrers",
        (
            "dist.spec.listing-referrers.1",
            "dist.spec.listing-referrers.4",
            "dist.spec.listing-referrers.5",
            "dist.spec.listing-referrers.6",
            "dist.spec.listing-referrers.7",
            "dist.spec.listing-referrers.8",
            "dist.spec.listing-referrers.9",
            "dist.spec.listing-referrers.11",
            "dist.spec.listing-referrers.12",
            "dist.spec.enabling-the-referrers-api.3",
        ),
        referrers_list,
        since="1.1.0",
    ),
    Case(
        "referrers-empty",
        "referrers",
        ("dist.spec.listing-referrers.2", "dist.spec.listing-referrers.10"),
        referrers_empty,
        since="1.1.0",
    ),
    Case(
        "referrers-invalid-digest",
        "referrers",
        ("dist.spec.listing-referrers.3",),
        referrers_invalid_digest,
        control=controls.referrers,
        since="1.1.0",
    ),
    Case(
        "referrers-filter",
        "referrers",
        ("dist.spec.listing-referrers.13", "dist.spec.listing-referrers.14"),
        referrers_filter,
        since="1.1.0",
    ),
    Case(
        "referrers-tag-fallback",
        "referrers",
        ("dist.spec.listing-referrers.16", "dist.spec.listing-referrers.17"),
        referrers_tag_fallback,
        since="1.1.0",
    ),
]
