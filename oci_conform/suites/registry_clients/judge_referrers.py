"""Judges of the referrers fallback a client keeps when a registry has no referrers API: the
referrers tag index, its descriptors, no repeats, and a tag that holds no index."""
from __future__ import annotations

import json
from dataclasses import replace

from oci_conform.model.judging import Observation, Why, errored, not_judged, passed
from oci_conform.suites.registry_clients.faults import PushedManifest
from oci_conform.suites.registry_clients.judge_common import (
    OCI_INDEX,
    Steps,
    base_type,
    cannot_judge,
    check,
    doc_of,
    failed_control,
    route,
    step_of,
)


def _index_entries(m: PushedManifest) -> list[dict]:
    return [d for d in doc_of(m).get("manifests") or [] if isinstance(d, dict)]


def no_duplicate_referrers(steps: Steps, subject: dict) -> list[Observation]:
    clause = "dist.spec.pushing-manifests-with-subject.5"
    step = step_of(steps, "referrer-again")
    early = cannot_judge(clause, step, "push manifests with a subject") or \
        failed_control(clause, steps, "referrer")
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
        out.append(check(clause, not twice, ("each referrer listed once",
                                              "the referrers tag index lists a referrer twice"),
                          f"PUT /v2/{m.repo}/manifests/{tag} (step {name})", "no repeats",
                          ", ".join(twice)))
    return out


def refuses_a_tag_that_is_not_an_index(steps: Steps, subject: dict) -> list[Observation]:
    clause = "dist.spec.pushing-manifests-with-subject.3"
    step = step_of(steps, "referrer-tag-not-index")
    early = cannot_judge(clause, step, "push manifests with a subject") or \
        failed_control(clause, steps, "referrer")
    if early is not None:
        return [early]
    assert step is not None
    tag = referrers_tag(str(subject.get("digest", "")))
    read = [ex for ex in step.exchanges if ex.method in ("GET", "HEAD")
            and ex.path.endswith(f"/manifests/{tag}") and ex.status == 200]
    if not read:
        return [not_judged(clause, Why.ABSENT, "the client never reads the referrers tag")]
    wrote = [m for m in step.manifests if m.ref == tag]
    return [check(clause, not step.ok and not wrote,
                   ("reported failure and left the non-index tag alone",
                    "went on although the referrers tag held an image manifest"),
                   step.name, "a failed push and no write to the tag",
                   f"{step.said()}; {len(wrote)} writes to {tag}")]


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
    step = step_of(steps, "referrer")
    early = [cannot_judge(c, step, "push manifests with a subject") or
             failed_control(c, steps, "push") for c in ids]
    if any(early):
        return [o for o in early if o is not None]
    assert step is not None
    digest = str(subject.get("digest", ""))
    tag = referrers_tag(digest)
    stored = [m for m in step.manifests if m.status < 300]    # not a refused attempt
    pushed = [m for m in stored if "subject" in doc_of(m)]
    if not step.ok or not pushed:
        return [errored(c, f"the client did not push a manifest with a subject: {step.said()}")
                for c in ids]
    referrer = pushed[-1]
    asked = any(route(ex) == "referrers" for ex in step.exchanges)
    indexes = [m for m in stored if doc_of(m).get("mediaType") == OCI_INDEX
               or base_type(m.content_type) == OCI_INDEX]
    at_tag = [m for m in indexes if m.ref == tag]
    checked = ("asked for the referrers API or kept the referrers tag",
               "neither asked for the referrers API nor kept the referrers tag")
    kept = (f"updated the referrers tag {tag} (the registry sent no OCI-Subject)",
            f"did not update the referrers tag {tag} though the registry sent no OCI-Subject")
    out = [check(ids[0], asked or bool(at_tag), checked, step.name,
                  "a referrers request or a referrers tag push", "neither"),
           check(ids[1], bool(at_tag), kept, step.name, f"PUT of an index at {tag}",
                  "no index pushed" if not indexes else
                  f"indexes pushed at {[m.ref for m in indexes]}")]
    # the fallback this section asks for when the referrers API is missing is that tag
    out.append(replace(out[1], clause=ids[7]))
    if not at_tag:
        out += [not_judged(c, Why.ABSENT, "no referrers tag index was pushed")
                for c in ids[2:7]]
        return out
    index = doc_of(at_tag[-1])
    entries = [d for d in index.get("manifests") or [] if isinstance(d, dict)]
    mine = [d for d in entries if d.get("digest") == referrer.digest]
    existed = any(ex.path.endswith(f"/manifests/{tag}") and ex.method == "GET"
                  and ex.status == 200 for ex in step.exchanges)
    doc = doc_of(referrer)
    config = doc.get("config")
    config = config if isinstance(config, dict) else {}
    want_type = doc.get("artifactType") or config.get("mediaType")
    out.append(check(ids[2], len(entries) == 1, "started from an empty index",
                      tag, "one descriptor", f"{len(entries)} descriptors") if not existed
               else not_judged(ids[2], Why.ABSENT, "the referrers tag existed already"))
    desc = mine[0] if mine else {}
    has_own = "artifactType" in doc
    out.append(check(ids[3], bool(mine) and desc.get("artifactType") == doc.get("artifactType"),
                      "artifactType copied", tag, str(doc.get("artifactType")),
                      str(desc.get("artifactType"))) if has_own
               else not_judged(ids[3], Why.ABSENT, "the manifest has no artifactType"))
    out.append(check(ids[4], bool(mine) and desc.get("artifactType") == want_type,
                      "artifactType from the config media type", tag, str(want_type),
                      str(desc.get("artifactType"))) if not has_own
               else not_judged(ids[4], Why.ABSENT, "the manifest has its own artifactType"))
    annotations = doc.get("annotations") or {}
    out.append(check(ids[5], bool(mine) and (desc.get("annotations") or {}) == annotations,
                      "annotations carried", tag, json.dumps(annotations),
                      json.dumps(desc.get("annotations") or {})))
    out.append(passed(ids[6], f"the referrers tag is {tag}"))
    return out
