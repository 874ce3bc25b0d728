"""Judging recorded client exchanges against the rules of the distribution spec that bind
clients. Pure: steps (``steps.Step``) in, ``Observation`` values out.

Each judge names the clause it judges, written whole, and looks only at the steps it
needs. A judge whose control step failed says ``error``: the fault it relies on means
nothing if the client cannot do the plain thing either.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from oci_conform.model.judging import Observation, Why, errored, failed, not_judged, passed
from oci_conform.reference.registry.recording import Exchange
from oci_conform.suites.registry_clients.faults import PushedManifest
from oci_conform.suites.registry_clients.steps import PUSH_STEPS, Step

Steps = dict[str, Step]
MANIFEST_TYPES = frozenset({
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"})
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LARGE = 4_000_000            # "at least 4 MB" (drivers.registry_clients.LARGE_MANIFEST)


# ---- helpers over exchanges ------------------------------------------------------------

def _route(ex: Exchange) -> str:
    """manifest | upload | blob | tags | referrers | base | token | other."""
    path = ex.path
    if path in ("/v2", "/v2/"):
        return "base"
    if path == "/token":
        return "token"
    for marker, kind in (("/blobs/uploads/", "upload"), ("/manifests/", "manifest"),
                         ("/blobs/", "blob"), ("/tags/list", "tags"), ("/referrers/", "referrers")):
        if marker in path:
            return kind
    return "other"


def _where(ex: Exchange) -> str:
    return f"{ex.method} {ex.path}" + (f"?{ex.query}" if ex.query else "")


def _base_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _exchanges(steps: Iterable[Step]) -> Iterator[tuple[Step, Exchange]]:
    for step in steps:
        for ex in step.exchanges:
            yield step, ex


def _step(steps: Steps, name: str) -> Step | None:
    step = steps.get(name)
    return step if step is not None and step.offered else None


def _needs(clause: str, step: Step | None, what: str) -> Observation | None:
    """The observation when ``step`` cannot be judged (not offered, not run)."""
    if step is None:
        return not_judged(clause, Why.NOT_OFFERED, f"the client does not {what}")
    if step.problem:
        return errored(clause, f"{step.name} could not run: {step.problem}")
    return None


def _control(clause: str, steps: Steps, name: str = "pull") -> Observation | None:
    control = steps.get(name)
    if control is None or not control.ok:
        return errored(clause, f"the control step {name} failed "
                       f"({control.said() if control else 'not run'}), so the fault step "
                       "shows nothing")
    return None


# ---- what a client sends ----------------------------------------------------------------

def accept_lists_manifest_types(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pulling-manifests.5"
    seen = [(s, ex) for s, ex in _exchanges(steps.values())
            if _route(ex) == "manifest" and ex.method in ("GET", "HEAD")]
    if not seen:
        return [not_judged(clause, Why.ABSENT, "the client fetched no manifest")]
    bad = [(s, ex) for s, ex in seen
           if not {_base_type(p) for p in ex.header("Accept").split(",")} & MANIFEST_TYPES]
    if bad:
        s, ex = bad[0]
        return [failed(clause, f"{len(bad)} of {len(seen)} manifest requests name no manifest "
                       f"media type in Accept (step {s.name})", location=_where(ex),
                       expected="Accept listing the manifest media types the client handles",
                       actual=ex.header("Accept") or "(no Accept header)")]
    return [passed(clause, f"all {len(seen)} manifest requests list manifest media types")]


def no_ns_parameter(steps: Steps) -> list[Observation]:
    clause = "dist.spec.registry-proxying.9"
    all_ex = list(_exchanges(steps.values()))
    if not all_ex:
        return [not_judged(clause, Why.ABSENT, "the client made no request")]
    bad = [(s, ex) for s, ex in all_ex if "ns" in parse_qs(ex.query)]
    if bad:
        return [failed(clause, "the client sent ns to a registry that is not a proxy",
                       location=_where(bad[0][1]))]
    return [passed(clause, f"none of {len(all_ex)} requests carries ns")]


def _pushed(steps: Steps) -> list[tuple[Step, PushedManifest]]:
    return [(s, m) for name in (*PUSH_STEPS, "referrer")
            if (s := steps.get(name)) is not None and s.ran for m in s.manifests]


def _doc(m: PushedManifest) -> dict:
    try:
        doc = json.loads(m.body)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


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
        declared = _doc(m).get("mediaType")
        ctype = _base_type(m.content_type)
        known = MANIFEST_TYPES | ({declared} if isinstance(declared, str) else set())
        out.append(_check("dist.spec.pushing-manifests.1", ctype in known,
                          "Content-Type names the manifest's media type", where,
                          "a manifest media type", m.content_type or "(none)"))
        out.append(_check("dist.spec.pushing-manifests.2", ";" not in m.content_type,
                          "Content-Type has no parameters", where, "no parameters",
                          m.content_type))
        out.append(_check("dist.spec.pushing-manifests.4", isinstance(declared, str),
                          "the manifest has a mediaType field", where, "a mediaType field",
                          "none"))
        if isinstance(declared, str):
            out.append(_check("dist.spec.pushing-manifests.5", ctype == declared,
                              "Content-Type equals the mediaType field", where, declared,
                              m.content_type))
        else:
            out.append(not_judged("dist.spec.pushing-manifests.5", Why.ABSENT,
                                  "the manifest has no mediaType field"))
    return out


def _check(clause: str, ok: bool, what: str | tuple[str, str], where: str, expected: str,
           actual: str) -> Observation:
    """``what`` is the pass message, or (pass message, fail message)."""
    good, bad = what if isinstance(what, tuple) else (what, f"expected that {what}; it did not")
    return passed(clause, good) if ok else failed(clause, bad, location=where,
                                                  expected=expected, actual=actual)


def manifest_references_its_blobs(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-manifests.7"
    out: list[Observation] = []
    for name in PUSH_STEPS:
        step = steps.get(name)
        if step is None or not step.ok or not step.manifests:
            continue
        referenced = set()
        for m in step.manifests:
            doc = _doc(m)
            for desc in [doc.get("config"), *(doc.get("layers") or []),
                         *(doc.get("blobs") or [])]:
                if isinstance(desc, dict) and isinstance(desc.get("digest"), str):
                    referenced.add(desc["digest"])
        sent = {_closing_digest(ex) for ex in step.exchanges
                if ex.status == 201 and _route(ex) == "upload"} - {""}
        missing = sorted(sent - referenced)
        out.append(_check(clause, not missing, (f"every blob uploaded in {name} is referenced",
                                                 f"blobs uploaded in {name} that no pushed "
                                                 "manifest references"),
                          f"step {name}", "each uploaded blob in a pushed manifest",
                          ", ".join(missing[:3])))
    return out or [not_judged(clause, Why.ABSENT, "no push step pushed a manifest")]


def _closing_digest(ex: Exchange) -> str:
    values = parse_qs(ex.query).get("digest") or parse_qs(ex.query).get("mount") or [""]
    return values[0]


# ---- upload sessions: the URLs a client uses --------------------------------------------

def _path_query(location: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query, keep_blank_values=True)


_GIVER = {"POST": "dist.spec.post-then-put.5", "PATCH": "dist.spec.pushing-a-blob-in-chunks.9",
          "GET": "dist.spec.pushing-a-blob-in-chunks.17"}


def upload_urls(steps: Steps) -> list[Observation]:
    """post-then-put.5 and .6, pushing-a-blob-in-chunks.9 and .17: every request on an
    upload session goes to the Location last returned for it, query included."""
    out: list[Observation] = []
    for step, ex in _exchanges(steps.values()):
        if _route(ex) != "upload":
            continue
        if ex.method == "POST":
            continue
        given = _latest_location(step.exchanges, ex)
        if given is None:
            out.append(failed("dist.spec.post-then-put.6", "a request on an upload session "
                              "no Location named: the client built the URL itself",
                              location=_where(ex)))
            continue
        giver, location = given
        path, query = _path_query(location)
        sent = parse_qs(ex.query, keep_blank_values=True)
        dropped = sorted(k for k in query if sent.get(k) != query[k])
        clause = _GIVER[giver]
        out.append(passed("dist.spec.post-then-put.6", "upload URLs come from Locations"))
        if ex.path != path or dropped:
            out.append(failed(clause, f"{ex.method} did not use the Location the {giver} "
                              f"returned (step {step.name})", location=_where(ex),
                              expected=location, actual=_where(ex)))
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
        if _route(ex) != "upload" or ex.status not in (202, 204):
            continue
        location = ex.response_header("Location")
        if not location:
            continue
        if urlsplit(location).path == current.path:
            found = (ex.method, location)
    return found


def chunks_not_below_minimum(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-a-blob-in-chunks.6"
    step = _step(steps, "push-chunked")
    early = _needs(clause, step, "push a blob in chunks") or _control(clause, steps, "push")
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
        out.append(_check(clause, not small, (f"{len(sent) - 1} chunks before the last, none "
                                              f"under {minimum} bytes",
                                              f"chunks under the announced {minimum} bytes"),
                          _where(small[0]) if small else path, f">= {minimum} bytes",
                          ", ".join(str(ex.request_bytes) for ex in small[:3])))
    return out or [not_judged(clause, Why.ABSENT, "the client sent each blob in one piece")]


def single_post_length(steps: Steps) -> list[Observation]:
    clause = "dist.spec.single-post.2"
    posts = [(s, ex) for s, ex in _exchanges(steps.values())
             if ex.method == "POST" and _route(ex) == "upload"
             and "digest" in parse_qs(ex.query) and ex.request_bytes]
    if not posts:
        return [not_judged(clause, Why.NOT_OFFERED, "the client never uploads a blob in a "
                           "single POST")]
    return [_check(clause, ex.header("Content-Length") == str(ex.request_bytes),
                   "Content-Length equals the blob sent", _where(ex), str(ex.request_bytes),
                   ex.header("Content-Length") or "(none)") for _, ex in posts]


def digest_algorithm_named(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-a-blob-in-chunks.digest-algorithm"
    closes = [(s, ex) for s, ex in _exchanges(steps.values())
              if ex.method == "PUT" and _route(ex) == "upload" and _closing_digest(ex)]
    other = [(s, ex) for s, ex in closes if not _closing_digest(ex).startswith("sha256:")]
    if not other:
        return [not_judged(clause, Why.ABSENT, f"all {len(closes)} blobs pushed were sha256")]
    out = []
    for step, ex in other:
        algorithm = _closing_digest(ex).split(":", 1)[0]
        posts = [p for p in step.exchanges if p.method == "POST" and p.start < ex.start
                 and _route(p) == "upload"
                 and urlsplit(p.response_header("Location")).path == ex.path]
        named = bool(posts) and parse_qs(posts[-1].query).get("digest-algorithm") == [algorithm]
        out.append(_check(clause, named, f"the POST named {algorithm}", _where(ex),
                          f"digest-algorithm={algorithm}", posts[-1].query if posts else ""))
    return out


# ---- what a client must accept or catch ---------------------------------------------------

def accepts_content_type_parameters(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pulling-manifests.7"
    return _must_succeed(clause, steps, "pull-content-type-params",
                         "pulled although the manifest Content-Type had a parameter")


def works_without_docker_digest(steps: Steps) -> list[Observation]:
    clause = "dist.spec.legacy-docker-support-http-headers.2"
    return _must_succeed(clause, steps, "pull-no-docker-digest",
                         "pulled from a registry that sent no Docker-Content-Digest")


def _must_succeed(clause: str, steps: Steps, name: str, message: str) -> list[Observation]:
    step = _step(steps, name)
    early = _needs(clause, step, "pull") or _control(clause, steps)
    if early is not None:
        return [early]
    assert step is not None
    if step.ok:
        return [passed(clause, message)]
    return [failed(clause, f"the pull failed under the fault {step.plan.fault} while the "
                   f"plain pull worked: {step.said()}", location=step.name)]


def verifies_manifest_digest(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pulling-manifests.15"
    return _must_refuse(clause, steps, "pull-tampered-manifest", "pull-by-digest",
                        lambda ex: _route(ex) == "manifest" and ex.method == "GET"
                        and "@" not in ex.path and ":" in ex.path.rsplit("/", 1)[-1],
                        "a manifest whose bytes do not hash to the digest pulled")


def verifies_blob_digest(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pulling-blobs.5"
    return _must_refuse(clause, steps, "pull-tampered-blob", "pull",
                        lambda ex: _route(ex) == "blob" and ex.method == "GET"
                        and ex.status in (200, 206) and ex.response_bytes > 0,
                        "a blob whose bytes do not hash to its digest")


def _must_refuse(clause: str, steps: Steps, name: str, control: str,
                 served: Callable[[Exchange], bool], what: str) -> list[Observation]:
    step = _step(steps, name)
    early = _needs(clause, step, "pull") or _control(clause, steps, control)
    if early is not None:
        return [early]
    assert step is not None
    lies = [ex for ex in step.exchanges if served(ex)]
    if not lies:
        return [errored(clause, f"the client never fetched {what}; the fault was not served")]
    if step.ok:
        return [failed(clause, f"the client accepted {what} (exit 0)", location=_where(lies[0]),
                       expected="the pull fails", actual="exit 0")]
    return [passed(clause, f"refused {what}: {step.said()}")]


def warnings_shown_once_not_acted_on(steps: Steps, warning: str) -> list[Observation]:
    ids = ("dist.spec.warnings.4", "dist.spec.warnings.5", "dist.spec.warnings.6")
    step = _step(steps, "pull-warnings")
    early = [_needs(c, step, "pull") or _control(c, steps) for c in ids]
    if any(early):
        return [o for o in early if o is not None]
    assert step is not None
    served = sum(1 for ex in step.exchanges if ex.response_header("Warning"))
    if not served:
        return [errored(c, "no answer carried the warning") for c in ids]
    shown = step.output.count(warning)
    shown_msgs = (f"the client showed the warning ({served} answers carried it)",
                  f"the client never showed the warning {served} answers carried")
    out = [_check(ids[0], shown > 0, shown_msgs, step.name,
                  "the warning text in the client's output", "not shown")]
    if shown:
        out.append(_check(ids[1], shown == 1 or served == 1,
                          (f"shown {shown} times for {served} answers carrying it",
                           f"the same warning shown {shown} times"), step.name,
                          "shown once", f"shown {shown} times"))
    else:
        out.append(not_judged(ids[1], Why.ABSENT, "the client never shows warnings"))
    plain = _step(steps, "pull")
    kinds = {(ex.method, _route(ex)) for ex in plain.exchanges} if plain else set()
    extra = sorted({(ex.method, _route(ex)) for ex in step.exchanges} - kinds)
    out.append(_check(ids[2], step.ok and not extra, ("the warned pull went as the plain one",
                                                         "the warning changed what the client did"),
                      step.name, "the same kinds of requests, and success",
                      f"{step.said()}; extra requests {extra}" if extra or not step.ok else ""))
    return out


def redirects(steps: Steps) -> list[Observation]:
    """api.2 (no Authorization to another host) and api.2-b (redirects followed)."""
    step = _step(steps, "basic-pull-redirected")
    ids = ("dist.spec.api.2", "dist.spec.api.2-b")
    early = [_needs(c, step, "pull") or _control(c, steps, "basic-push") for c in ids]
    if any(early):
        return [o for o in early if o is not None]
    assert step is not None
    sent = [ex for ex in step.exchanges if ex.status == 307]
    if not sent:
        return [errored(c, "the client fetched no blob, so no redirect was served") for c in ids]
    arrived = [ex for ex in step.elsewhere if _route(ex) == "blob"]
    followed = (f"followed the redirects to the other origin ({len(arrived)} blob "
                "requests there)", "did not follow the blob redirects")
    out = [_check(ids[1], step.ok and bool(arrived), followed, step.name,
                  "the blobs fetched from the Location", step.said())]
    if not arrived:
        out.append(not_judged(ids[0], Why.ABSENT, "the client never went to the other host"))
    else:
        leaked = [ex for ex in arrived if ex.header("Authorization")]
        out.append(_check(ids[0], not leaked, ("no Authorization went to the other host",
                                      "sent Authorization to the host a redirect named"),
                          _where(leaked[0]) if leaked else step.name, "no Authorization",
                          leaked[0].header("Authorization") if leaked else ""))
    return out


def abandoned_uploads_cancelled(steps: Steps) -> list[Observation]:
    clause = "dist.spec.cancel-a-blob-upload.2"
    step = _step(steps, "push-upload-fails")
    early = _needs(clause, step, "push") or _control(clause, steps, "push")
    if early is not None:
        return [early]
    assert step is not None
    if step.ok:
        return [errored(clause, "the push succeeded although every upload PUT failed")]
    sessions = {urlsplit(ex.response_header("Location")).path: ex for ex in step.exchanges
                if ex.method == "POST" and _route(ex) == "upload" and ex.status == 202}
    done = {ex.path for ex in step.exchanges if ex.method == "PUT" and ex.status == 201}
    deleted = {ex.path for ex in step.exchanges if ex.method == "DELETE"}
    open_ = sorted(set(sessions) - done)
    if not open_:
        return [errored(clause, "the client opened no upload session it then abandoned")]
    left = [p for p in open_ if p not in deleted]
    return [_check(clause, not left, (f"deleted all {len(open_)} abandoned upload sessions",
                                      f"left {len(left)} of {len(open_)} abandoned upload "
                                      "sessions open (no DELETE)"),
                   left[0] if left else step.name, "a DELETE of each abandoned session",
                   f"{len(left)} of {len(open_)} left open")]


def works_with_older_registries(steps: Steps) -> list[Observation]:
    clause = "dist.spec.backwards-compatibility.1"
    push, pull = steps.get("push"), steps.get("pull")
    if push is None or pull is None or push.problem or pull.problem:
        return [errored(clause, "the push or pull step could not run")]
    msgs = ("pushed to and pulled from a registry of spec v1.0 (no referrers API)",
            "failed against a registry of spec v1.0")
    return [_check(clause, push.ok and pull.ok, msgs, "push, pull", "both succeed",
                   f"{push.said()}; {pull.said()}")]


def large_manifests(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-manifests.16-b"
    push, pull = _step(steps, "push-large"), _step(steps, "pull-large")
    early = _needs(clause, push, "push a large manifest") or _control(clause, steps, "push")
    if early is not None:
        return [early]
    assert push is not None
    sent = max((len(m.body) for m in push.manifests), default=0)
    if push.ok and sent < LARGE:
        return [not_judged(clause, Why.NOT_OFFERED, f"the client rewrote the padded manifest "
                           f"to {sent} bytes: it never sent one of 4 MB")]
    if not push.ok:
        return [failed(clause, f"the push of a {LARGE}-byte manifest failed: {push.said()}",
                       location=push.name, expected="push succeeds", actual=push.said())]
    if pull is None or not pull.ok:
        return [failed(clause, f"pushed a {sent}-byte manifest but could not pull it back: "
                       f"{pull.said() if pull else 'no pull step'}", location="pull-large")]
    return [passed(clause, f"pushed and pulled back a manifest of {sent} bytes")]


def _index_entries(m: PushedManifest) -> list[dict]:
    return [d for d in _doc(m).get("manifests") or [] if isinstance(d, dict)]


def no_duplicate_referrers(steps: Steps, subject: dict) -> list[Observation]:
    clause = "dist.spec.pushing-manifests-with-subject.5"
    step = _step(steps, "referrer-again")
    early = _needs(clause, step, "push manifests with a subject") or \
        _control(clause, steps, "referrer")
    if early is not None:
        return [early]
    tag = referrers_tag(str(subject.get("digest", "")))
    indexes = [(s.name, m) for name in ("referrer", "referrer-again")
               if (s := steps.get(name)) is not None for m in s.manifests
               if m.ref == tag and m.status < 300]
    if not indexes:
        return [not_judged(clause, Why.ABSENT, "the client keeps no referrers tag index")]
    out = []
    for name, m in indexes:
        digests = [d.get("digest") for d in _index_entries(m)]
        twice = sorted({d for d in digests if digests.count(d) > 1 and isinstance(d, str)})
        out.append(_check(clause, not twice, ("each referrer listed once",
                                              "the referrers tag index lists a referrer twice"),
                          f"PUT /v2/{m.repo}/manifests/{tag} (step {name})", "no repeats",
                          ", ".join(twice)))
    return out


def refuses_a_tag_that_is_not_an_index(steps: Steps, subject: dict) -> list[Observation]:
    clause = "dist.spec.pushing-manifests-with-subject.3"
    step = _step(steps, "referrer-tag-not-index")
    early = _needs(clause, step, "push manifests with a subject") or \
        _control(clause, steps, "referrer")
    if early is not None:
        return [early]
    assert step is not None
    tag = referrers_tag(str(subject.get("digest", "")))
    read = [ex for ex in step.exchanges if ex.method in ("GET", "HEAD")
            and ex.path.endswith(f"/manifests/{tag}") and ex.status == 200]
    if not read:
        return [not_judged(clause, Why.ABSENT, "the client never reads the referrers tag")]
    wrote = [m for m in step.manifests if m.ref == tag]
    return [_check(clause, not step.ok and not wrote,
                   ("reported failure and left the non-index tag alone",
                    "went on although the referrers tag held an image manifest"),
                   step.name, "a failed push and no write to the tag",
                   f"{step.said()}; {len(wrote)} writes to {tag}")]


# ---- referrers: the fallback a client must keep when the API is missing -------------------

def referrers_tag(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    text = f"{algorithm[:32]}-{encoded[:64]}"
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in text)


def referrers_fallback(steps: Steps, subject: dict) -> list[Observation]:
    ids = ("dist.spec.unavailable-referrers-api.1", "dist.spec.pushing-manifests-with-subject.2",
           "dist.spec.pushing-manifests-with-subject.4",
           "dist.spec.pushing-manifests-with-subject.6",
           "dist.spec.pushing-manifests-with-subject.7",
           "dist.spec.pushing-manifests-with-subject.8",
           "dist.spec.referrers-tag-schema.tag-format", "dist.spec.backwards-compatibility.2")
    step = _step(steps, "referrer")
    early = [_needs(c, step, "push manifests with a subject") or
             _control(c, steps, "push") for c in ids]
    if any(early):
        return [o for o in early if o is not None]
    assert step is not None
    digest = str(subject.get("digest", ""))
    tag = referrers_tag(digest)
    stored = [m for m in step.manifests if m.status < 300]    # not a refused attempt
    pushed = [m for m in stored if "subject" in _doc(m)]
    if not step.ok or not pushed:
        return [errored(c, f"the client did not push a manifest with a subject: {step.said()}")
                for c in ids]
    referrer = pushed[-1]
    asked = any(_route(ex) == "referrers" for ex in step.exchanges)
    indexes = [m for m in stored if _doc(m).get("mediaType") == OCI_INDEX
               or _base_type(m.content_type) == OCI_INDEX]
    at_tag = [m for m in indexes if m.ref == tag]
    checked = ("asked for the referrers API or kept the referrers tag",
               "neither asked for the referrers API nor kept the referrers tag")
    kept = (f"updated the referrers tag {tag} (the registry sent no OCI-Subject)",
            f"did not update the referrers tag {tag} though the registry sent no OCI-Subject")
    out = [_check(ids[0], asked or bool(at_tag), checked, step.name,
                  "a referrers request or a referrers tag push", "neither"),
           _check(ids[1], bool(at_tag), kept, step.name, f"PUT of an index at {tag}",
                  "no index pushed" if not indexes else
                  f"indexes pushed at {[m.ref for m in indexes]}")]
    # the fallback this section asks for when the referrers API is missing is that tag
    out.append(replace(out[1], clause=ids[7]))
    if not at_tag:
        out += [not_judged(c, Why.ABSENT, "no referrers tag index was pushed")
                for c in ids[2:7]]
        return out
    index = _doc(at_tag[-1])
    entries = [d for d in index.get("manifests") or [] if isinstance(d, dict)]
    mine = [d for d in entries if d.get("digest") == referrer.digest]
    existed = any(ex.path.endswith(f"/manifests/{tag}") and ex.method == "GET"
                  and ex.status == 200 for ex in step.exchanges)
    doc = _doc(referrer)
    config = doc.get("config")
    config = config if isinstance(config, dict) else {}
    want_type = doc.get("artifactType") or config.get("mediaType")
    out.append(_check(ids[2], len(entries) == 1, "started from an empty index",
                      tag, "one descriptor", f"{len(entries)} descriptors") if not existed
               else not_judged(ids[2], Why.ABSENT, "the referrers tag existed already"))
    desc = mine[0] if mine else {}
    has_own = "artifactType" in doc
    out.append(_check(ids[3], bool(mine) and desc.get("artifactType") == doc.get("artifactType"),
                      "artifactType copied", tag, str(doc.get("artifactType")),
                      str(desc.get("artifactType"))) if has_own
               else not_judged(ids[3], Why.ABSENT, "the manifest has no artifactType"))
    out.append(_check(ids[4], bool(mine) and desc.get("artifactType") == want_type,
                      "artifactType from the config media type", tag, str(want_type),
                      str(desc.get("artifactType"))) if not has_own
               else not_judged(ids[4], Why.ABSENT, "the manifest has its own artifactType"))
    annotations = doc.get("annotations") or {}
    out.append(_check(ids[5], bool(mine) and (desc.get("annotations") or {}) == annotations,
                      "annotations carried", tag, json.dumps(annotations),
                      json.dumps(desc.get("annotations") or {})))
    out.append(passed(ids[6], f"the referrers tag is {tag}"))
    return out


JUDGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("accept_lists_manifest_types", ("dist.spec.pulling-manifests.5",)),
    ("no_ns_parameter", ("dist.spec.registry-proxying.9",)),
    ("manifest_content_type", ("dist.spec.pushing-manifests.1", "dist.spec.pushing-manifests.2",
                               "dist.spec.pushing-manifests.4", "dist.spec.pushing-manifests.5")),
    ("manifest_references_its_blobs", ("dist.spec.pushing-manifests.7",)),
    ("upload_urls", ("dist.spec.post-then-put.5", "dist.spec.post-then-put.6",
                     "dist.spec.pushing-a-blob-in-chunks.9",
                     "dist.spec.pushing-a-blob-in-chunks.17")),
    ("single_post_length", ("dist.spec.single-post.2",)),
    ("chunks_not_below_minimum", ("dist.spec.pushing-a-blob-in-chunks.6",)),
    ("digest_algorithm_named", ("dist.spec.pushing-a-blob-in-chunks.digest-algorithm",)),
    ("accepts_content_type_parameters", ("dist.spec.pulling-manifests.7",)),
    ("works_without_docker_digest", ("dist.spec.legacy-docker-support-http-headers.2",)),
    ("verifies_manifest_digest", ("dist.spec.pulling-manifests.15",)),
    ("verifies_blob_digest", ("dist.spec.pulling-blobs.5",)),
    ("warnings_shown_once_not_acted_on", ("dist.spec.warnings.4", "dist.spec.warnings.5",
                                          "dist.spec.warnings.6")),
    ("redirects", ("dist.spec.api.2", "dist.spec.api.2-b")),
    ("abandoned_uploads_cancelled", ("dist.spec.cancel-a-blob-upload.2",)),
    ("works_with_older_registries", ("dist.spec.backwards-compatibility.1",)),
    ("large_manifests", ("dist.spec.pushing-manifests.16-b",)),
    ("no_duplicate_referrers", ("dist.spec.pushing-manifests-with-subject.5",)),
    ("refuses_a_tag_that_is_not_an_index", ("dist.spec.pushing-manifests-with-subject.3",)),
    ("referrers_fallback", ("dist.spec.unavailable-referrers-api.1",
                            "dist.spec.pushing-manifests-with-subject.2",
                            "dist.spec.pushing-manifests-with-subject.4",
                            "dist.spec.pushing-manifests-with-subject.6",
                            "dist.spec.pushing-manifests-with-subject.7",
                            "dist.spec.pushing-manifests-with-subject.8",
                            "dist.spec.referrers-tag-schema.tag-format",
                            "dist.spec.backwards-compatibility.2")),
)


def judge_all(steps: Steps, *, warning: str, subject: dict,
              only: Iterable[str] | None = None) -> Iterator[tuple[str, Observation]]:
    """(judge name, observation) for every judge (or those in ``only``) over the steps."""
    import sys
    module = sys.modules[__name__]
    for name, _clauses in JUDGES:
        if only is not None and name not in only:
            continue
        fn = getattr(module, name)
        if name == "warnings_shown_once_not_acted_on":
            found = fn(steps, warning)
        elif name in ("referrers_fallback", "no_duplicate_referrers",
                      "refuses_a_tag_that_is_not_an_index"):
            found = fn(steps, subject)
        else:
            found = fn(steps)
        for obs in found:
            yield name, obs
