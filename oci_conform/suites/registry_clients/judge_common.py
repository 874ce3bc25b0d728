"""What the client judges share: the kind of a recorded request, the step lookups, the
control rule (a fault step whose plain step failed is an error) and the pass/fail helper."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qs

from oci_conform.model.judging import Observation, Why, errored, failed, not_judged, passed
from oci_conform.reference.registry.recording import Exchange
from oci_conform.suites.registry_clients.faults import PushedManifest
from oci_conform.suites.registry_clients.steps import Step

Steps = dict[str, Step]
MANIFEST_TYPES = frozenset({
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"})
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LARGE = 4_000_000            # "at least 4 MB" (drivers.registry_clients.LARGE_MANIFEST)


def route(ex: Exchange) -> str:
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


def where_of(ex: Exchange) -> str:
    return f"{ex.method} {ex.path}" + (f"?{ex.query}" if ex.query else "")


def base_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def exchanges_of(steps: Iterable[Step]) -> Iterator[tuple[Step, Exchange]]:
    for step in steps:
        for ex in step.exchanges:
            yield step, ex


def step_of(steps: Steps, name: str) -> Step | None:
    step = steps.get(name)
    return step if step is not None and step.offered else None


def cannot_judge(clause: str, step: Step | None, what: str) -> Observation | None:
    """The observation when ``step`` cannot be judged (not offered, not run)."""
    if step is None:
        return not_judged(clause, Why.NOT_OFFERED, f"the client does not {what}")
    if step.problem:
        return errored(clause, f"{step.name} could not run: {step.problem}")
    return None


def failed_control(clause: str, steps: Steps, name: str = "pull") -> Observation | None:
    control = steps.get(name)
    if control is None or not control.ok:
        return errored(clause, f"the control step {name} failed "
                       f"({control.said() if control else 'not run'}), so the fault step "
                       "shows nothing")
    return None


def doc_of(m: PushedManifest) -> dict:
    try:
        doc = json.loads(m.body)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def check(clause: str, ok: bool, what: str | tuple[str, str], where: str, expected: str,
           actual: str) -> Observation:
    """``what`` is the pass message, or (pass message, fail message)."""
    good, bad = what if isinstance(what, tuple) else (what, f"expected that {what}; it did not")
    return passed(clause, good) if ok else failed(clause, bad, location=where,
                                                  expected=expected, actual=actual)


def closing_digest(ex: Exchange) -> str:
    values = parse_qs(ex.query).get("digest") or parse_qs(ex.query).get("mount") or [""]
    return values[0]
