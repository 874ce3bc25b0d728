"""Judges of what a client must accept or catch: Content-Type parameters, missing Docker
headers, tampered manifests and blobs, warnings, redirects, failed uploads, older registries
and 4 MB manifests."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from oci_conform.model.judging import Observation, Why, errored, failed, not_judged, passed
from oci_conform.reference.registry.recording import Exchange
from oci_conform.suites.registry_clients.judge_common import (
    LARGE,
    Steps,
    cannot_judge,
    check,
    failed_control,
    route,
    step_of,
    where_of,
)


def accepts_content_type_parameters(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pulling-manifests.7"
    return _must_succeed(clause, steps, "pull-content-type-params",
                         "pulled although the manifest Content-Type had a parameter")


def works_without_docker_digest(steps: Steps) -> list[Observation]:
    clause = "dist.spec.legacy-docker-support-http-headers.2"
    return _must_succeed(clause, steps, "pull-no-docker-digest",
                         "pulled from a registry that sent no Docker-Content-Digest")


def _must_succeed(clause: str, steps: Steps, name: str, message: str) -> list[Observation]:
    step = step_of(steps, name)
    early = cannot_judge(clause, step, "pull") or failed_control(clause, steps)
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
                        lambda ex: route(ex) == "manifest" and ex.method == "GET"
                        and "@" not in ex.path and ":" in ex.path.rsplit("/", 1)[-1],
                        "a manifest whose bytes do not hash to the digest pulled")


def verifies_blob_digest(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pulling-blobs.5"
    return _must_refuse(clause, steps, "pull-tampered-blob", "pull",
                        lambda ex: route(ex) == "blob" and ex.method == "GET"
                        and ex.status in (200, 206) and ex.response_bytes > 0,
                        "a blob whose bytes do not hash to its digest")


def _must_refuse(clause: str, steps: Steps, name: str, control: str,
                 served: Callable[[Exchange], bool], what: str) -> list[Observation]:
    step = step_of(steps, name)
    early = cannot_judge(clause, step, "pull") or failed_control(clause, steps, control)
    if early is not None:
        return [early]
    assert step is not None
    lies = [ex for ex in step.exchanges if served(ex)]
    if not lies:
        return [errored(clause, f"the client never fetched {what}; the fault was not served")]
    if step.ok:
        return [failed(clause, f"the client accepted {what} (exit 0)", location=where_of(lies[0]),
                       expected="the pull fails", actual="exit 0")]
    return [passed(clause, f"refused {what}: {step.said()}")]


def warnings_shown_once_not_acted_on(steps: Steps, warning: str) -> list[Observation]:
    ids = ("dist.spec.warnings.4", "dist.spec.warnings.5", "dist.spec.warnings.6")
    step = step_of(steps, "pull-warnings")
    early = [cannot_judge(c, step, "pull") or failed_control(c, steps) for c in ids]
    if any(early):
        return [o for o in early if o is not None]
    assert step is not None
    served = sum(1 for ex in step.exchanges if ex.response_header("Warning"))
    if not served:
        return [errored(c, "no answer carried the warning") for c in ids]
    shown = step.output.count(warning)
    shown_msgs = (f"the client showed the warning ({served} answers carried it)",
                  f"the client never showed the warning {served} answers carried")
    out = [check(ids[0], shown > 0, shown_msgs, step.name,
                  "the warning text in the client's output", "not shown")]
    if shown:
        out.append(check(ids[1], shown == 1 or served == 1,
                          (f"shown {shown} times for {served} answers carrying it",
                           f"the same warning shown {shown} times"), step.name,
                          "shown once", f"shown {shown} times"))
    else:
        out.append(not_judged(ids[1], Why.ABSENT, "the client never shows warnings"))
    plain = step_of(steps, "pull")
    kinds = {(ex.method, route(ex)) for ex in plain.exchanges} if plain else set()
    extra = sorted({(ex.method, route(ex)) for ex in step.exchanges} - kinds)
    out.append(check(ids[2], step.ok and not extra, ("the warned pull went as the plain one",
                                                         "the warning changed what the client did"),
                      step.name, "the same kinds of requests, and success",
                      f"{step.said()}; extra requests {extra}" if extra or not step.ok else ""))
    return out


def redirects(steps: Steps) -> list[Observation]:
    """api.2 (no Authorization to another host) and api.2-b (redirects followed)."""
    step = step_of(steps, "basic-pull-redirected")
    ids = ("dist.spec.api.2", "dist.spec.api.2-b")
    early = [cannot_judge(c, step, "pull") or failed_control(c, steps, "basic-push") for c in ids]
    if any(early):
        return [o for o in early if o is not None]
    assert step is not None
    sent = [ex for ex in step.exchanges if ex.status == 307]
    if not sent:
        return [errored(c, "the client fetched no blob, so no redirect was served") for c in ids]
    arrived = [ex for ex in step.elsewhere if route(ex) == "blob"]
    followed = (f"followed the redirects to the other origin ({len(arrived)} blob "
                "requests there)", "did not follow the blob redirects")
    out = [check(ids[1], step.ok and bool(arrived), followed, step.name,
                  "the blobs fetched from the Location", step.said())]
    if not arrived:
        out.append(not_judged(ids[0], Why.ABSENT, "the client never went to the other host"))
    else:
        leaked = [ex for ex in arrived if ex.header("Authorization")]
        out.append(check(ids[0], not leaked, ("no Authorization went to the other host",
                                      "sent Authorization to the host a redirect named"),
                          where_of(leaked[0]) if leaked else step.name, "no Authorization",
                          leaked[0].header("Authorization") if leaked else ""))
    return out


def abandoned_uploads_cancelled(steps: Steps) -> list[Observation]:
    clause = "dist.spec.cancel-a-blob-upload.2"
    step = step_of(steps, "push-upload-fails")
    early = cannot_judge(clause, step, "push") or failed_control(clause, steps, "push")
    if early is not None:
        return [early]
    assert step is not None
    if step.ok:
        return [errored(clause, "the push succeeded although every upload PUT failed")]
    sessions = {urlsplit(ex.response_header("Location")).path: ex for ex in step.exchanges
                if ex.method == "POST" and route(ex) == "upload" and ex.status == 202}
    done = {ex.path for ex in step.exchanges if ex.method == "PUT" and ex.status == 201}
    deleted = {ex.path for ex in step.exchanges if ex.method == "DELETE"}
    open_ = sorted(set(sessions) - done)
    if not open_:
        return [errored(clause, "the client opened no upload session it then abandoned")]
    left = [p for p in open_ if p not in deleted]
    return [check(clause, not left, (f"deleted all {len(open_)} abandoned upload sessions",
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
    return [check(clause, push.ok and pull.ok, msgs, "push, pull", "both succeed",
                   f"{push.said()}; {pull.said()}")]


def large_manifests(steps: Steps) -> list[Observation]:
    clause = "dist.spec.pushing-manifests.16-b"
    push, pull = step_of(steps, "push-large"), step_of(steps, "pull-large")
    early = cannot_judge(clause, push, "push a large manifest") or \
        failed_control(clause, steps, "push")
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
