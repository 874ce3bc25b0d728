"""Judges of what a client sends: Accept, manifest Content-Type, the blobs a manifest names,
upload URLs and chunk sizes, single-POST lengths, digest algorithms, no ns."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from oci_conform.model.judging import Observation, Why, failed, not_judged, passed
from oci_conform.reference.registry.recording import Exchange
from oci_conform.suites.registry_clients.faults import PushedManifest
from oci_conform.suites.registry_clients.judge_common import (
    MANIFEST_TYPES,
    Steps,
    base_type,
    cannot_judge,
    check,
    closing_digest,
    doc_of,
    exchanges_of,
    failed_control,
    route,
    step_of,
    where_of,
)
from oci_conform.suites.registry_clients.steps import PUSH_STEPS, Step


def accept_lists_manifest_types(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pulling-manifests.5"
    seen = [(s, ex) for s, ex in exchanges_of(steps.values())
            if route(ex) == "manifest" and ex.method in ("GET", "HEAD")]
    if not seen:
        return [not_judged(clause, Why.ABSENT, "the client fetched no manifest")]
    bad = [(s, ex) for s, ex in seen
           if not {base_type(p) for p in ex.header("Accept").split(",")} & MANIFEST_TYPES]
    if bad:
        s, ex = bad[0]
        return [failed(clause, f"{len(bad)} of {len(seen)} manifest requests name no manifest "
                       f"media type in Accept (step {s.name})", location=where_of(ex),
                       expected="Accept listing the manifest media types the client handles",
                       actual=ex.header("Accept") or "(no Accept header)")]
    return [passed(clause, f"all {len(seen)} manifest requests list manifest media types")]


def no_ns_parameter(steps: Steps) -> list[Observation]:
    clause = "dist.spec.registry-proxying.9"
    all_ex = list(exchanges_of(steps.values()))
    if not all_ex:
        return [not_judged(clause, Why.ABSENT, "the client made no request")]
    bad = [(s, ex) for s, ex in all_ex if "ns" in parse_qs(ex.query)]
    if bad:
        return [failed(clause, "the client sent ns to a registry that is not a proxy",
                       location=where_of(bad[0][1]))]
    return [passed(clause, f"none of {len(all_ex)} requests carries ns")]


def _pushed(steps: Steps) -> list[tuple[Step, PushedManifest]]:
    return [(s, m) for name in (*PUSH_STEPS, "referrer")
            if (s := steps.get(name)) is not None and s.ran for m in s.manifests]


def manifest_content_type(steps: Steps) -> list[Observation]:
    """pushing-manifests.1 (a Content-Type naming a manifest type), .2 (no parameters),
    .4 (a mediaType field) and .5 (Content-Type equals that field)."""
    pushed = _pushed(steps)
    ids = ("dist.spec.pushing-manifests.1", "dist.spec.pushing-manifests.2",
           "dist.spec.pushing-manifests.4", "dist.spec.pushing-manifests.5")
    if not pushed:
        return [not_judged(c, Why.ABSENT, "the client pushed no manifest") for c in ids]
    out: list[Observation] = []
    for step, m in pushed:
        where = f"PUT /v2/{m.repo}/manifests/{m.ref} (step {step.name})"
        declared = doc_of(m).get("mediaType")
        ctype = base_type(m.content_type)
        known = MANIFEST_TYPES | ({declared} if isinstance(declared, str) else set())
        out.append(check("dist.spec.pushing-manifests.1", ctype in known,
                          "Content-Type names the manifest's media type", where,
                          "a manifest media type", m.content_type or "(none)"))
        out.append(check("dist.spec.pushing-manifests.2", ";" not in m.content_type,
                          "Content-Type has no parameters", where, "no parameters",
                          m.content_type))
        out.append(check("dist.spec.pushing-manifests.4", isinstance(declared, str),
                          "the manifest has a mediaType field", where, "a mediaType field",
                          "none"))
        if isinstance(declared, str):
            out.append(check("dist.spec.pushing-manifests.5", ctype == declared,
                              "Content-Type equals the mediaType field", where, declared,
                              m.content_type))
        else:
            out.append(not_judged("dist.spec.pushing-manifests.5", Why.ABSENT,
                                  "the manifest has no mediaType field"))
    return out


def manifest_references_its_blobs(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-manifests.7"
    out: list[Observation] = []
    for name in PUSH_STEPS:
        step = steps.get(name)
        if step is None or not step.ok or not step.manifests:
            continue
        referenced = set()
        for m in step.manifests:
            doc = doc_of(m)
            for desc in [doc.get("config"), *(doc.get("layers") or []),
                         *(doc.get("blobs") or [])]:
                if isinstance(desc, dict) and isinstance(desc.get("digest"), str):
                    referenced.add(desc["digest"])
        sent = {closing_digest(ex) for ex in step.exchanges
                if ex.status == 201 and route(ex) == "upload"} - {""}
        missing = sorted(sent - referenced)
        out.append(check(clause, not missing, (f"every blob uploaded in {name} is referenced",
                                                 f"blobs uploaded in {name} that no pushed "
                                                 "manifest references"),
                          f"step {name}", "each uploaded blob in a pushed manifest",
                          ", ".join(missing[:3])))
    return out or [not_judged(clause, Why.ABSENT, "no push step pushed a manifest")]


def _path_query(location: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query, keep_blank_values=True)


_GIVER = {"POST": "dist.spec.post-then-put.5", "PATCH": "dist.spec.pushing-a-blob-in-chunks.9",
          "GET": "dist.spec.pushing-a-blob-in-chunks.17"}


def upload_urls(steps: Steps) -> list[Observation]:
    """post-then-put.5 and .6, pushing-a-blob-in-chunks.9 and .17: every request on an
    upload session goes to the Location last returned for it, query included."""
    out: list[Observation] = []
    for step, ex in exchanges_of(steps.values()):
        if route(ex) != "upload":
            continue
        if ex.method == "POST":
            continue
        given = _latest_location(step.exchanges, ex)
        if given is None:
            out.append(failed("dist.spec.post-then-put.6", "a request on an upload session "
                              "no Location named: the client built the URL itself",
                              location=where_of(ex)))
            continue
        giver, location = given
        path, query = _path_query(location)
        sent = parse_qs(ex.query, keep_blank_values=True)
        dropped = sorted(k for k in query if sent.get(k) != query[k])
        clause = _GIVER[giver]
        out.append(passed("dist.spec.post-then-put.6", "upload URLs come from Locations"))
        if ex.path != path or dropped:
            out.append(failed(clause, f"{ex.method} did not use the Location the {giver} "
                              f"returned (step {step.name})", location=where_of(ex),
                              expected=location, actual=where_of(ex)))
        else:
            out.append(passed(clause, f"{ex.method} used the Location the {giver} returned"))
    for clause in ("dist.spec.post-then-put.5", "dist.spec.pushing-a-blob-in-chunks.9",
                   "dist.spec.pushing-a-blob-in-chunks.17", "dist.spec.post-then-put.6"):
        if not any(o.clause == clause for o in out):
            out.append(not_judged(clause, Why.ABSENT, "the client made no request on an "
                                  "upload session after a Location of this kind"))
    return out


def _latest_location(exchanges: list[Exchange], current: Exchange) -> tuple[str, str] | None:
    """(method that gave it, Location) last returned for ``current``'s session before it.

    Ordered by start time: the recording's order is that of completion, and a client may
    send the next request on another connection before the server has logged the answer
    that gave its URL."""
    found = None
    for ex in sorted(exchanges, key=lambda e: e.start):
        if ex.start >= current.start or ex is current:
            break
        if route(ex) != "upload" or ex.status not in (202, 204):
            continue
        location = ex.response_header("Location")
        if not location:
            continue
        if urlsplit(location).path == current.path:
            found = (ex.method, location)
    return found


def chunks_not_below_minimum(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-a-blob-in-chunks.6"
    step = step_of(steps, "push-chunked")
    early = cannot_judge(clause, step, "push a blob in chunks") or \
        failed_control(clause, steps, "push")
    if early is not None:
        return [early]
    assert step is not None
    out = []
    for post in step.exchanges:
        minimum = post.response_header("OCI-Chunk-Min-Length")
        if post.method != "POST" or post.status != 202 or not minimum.isdigit():
            continue
        path = urlsplit(post.response_header("Location")).path
        sent = sorted((ex for ex in step.exchanges if ex.path == path and ex.request_bytes
                       and ex.method in ("PATCH", "PUT")), key=lambda e: e.start)
        if len(sent) < 2:
            continue
        small = [ex for ex in sent[:-1] if ex.request_bytes < int(minimum)]
        out.append(check(clause, not small, (f"{len(sent) - 1} chunks before the last, none "
                                              f"under {minimum} bytes",
                                              f"chunks under the announced {minimum} bytes"),
                          where_of(small[0]) if small else path, f">= {minimum} bytes",
                          ", ".join(str(ex.request_bytes) for ex in small[:3])))
    return out or [not_judged(clause, Why.ABSENT, "the client sent each blob in one piece")]


def single_post_length(steps: Steps) -> list[Observation]:
    clause = "dist.spec.single-post.2"
    posts = [(s, ex) for s, ex in exchanges_of(steps.values())
             if ex.method == "POST" and route(ex) == "upload"
             and "digest" in parse_qs(ex.query) and ex.request_bytes]
    if not posts:
        return [not_judged(clause, Why.NOT_OFFERED, "the client never uploads a blob in a "
                           "single POST")]
    return [check(clause, ex.header("Content-Length") == str(ex.request_bytes),
                   "Content-Length equals the blob sent", where_of(ex), str(ex.request_bytes),
                   ex.header("Content-Length") or "(none)") for _, ex in posts]


def digest_algorithm_named(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-a-blob-in-chunks.digest-algorithm"
    closes = [(s, ex) for s, ex in exchanges_of(steps.values())
              if ex.method == "PUT" and route(ex) == "upload" and closing_digest(ex)]
    other = [(s, ex) for s, ex in closes if not closing_digest(ex).startswith("sha256:")]
    if not other:
        return [not_judged(clause, Why.ABSENT, f"all {len(closes)} blobs pushed were sha256")]
    out = []
    for step, ex in other:
        algorithm = closing_digest(ex).split(":", 1)[0]
        posts = [p for p in step.exchanges if p.method == "POST" and p.start < ex.start
                 and route(p) == "upload"
                 and urlsplit(p.response_header("Location")).path == ex.path]
        named = bool(posts) and parse_qs(posts[-1].query).get("digest-algorithm") == [algorithm]
        out.append(check(clause, named, f"the POST named {algorithm}", where_of(ex),
                          f"digest-algorithm={algorithm}", posts[-1].query if posts else ""))
    return out
