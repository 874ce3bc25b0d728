"""Running one client column: registries up in recording mode, the steps, the judging.

Three reference registries per column, each on a free loopback port with its own storage
and recording: ``anonymous`` (profile v1.0: no referrers API), ``basic`` (htpasswd user)
and ``token`` (bearer tokens from its /token endpoint); plus an anonymous registry on
127.0.0.2 over the ``basic`` storage, the other origin blob redirects point to. Every
registry and the client's own state (stores, containerd) are removed after the column.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from oci_conform.drivers.registry_clients import TIMEOUT, Client, ClientError, Creds
from oci_conform.model.evidence import REDACTED, Evidence, HttpExchange, ProcessRun
from oci_conform.model.judging import Observation, Why, case_results, not_judged, roll_up
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.reference.registry.recording import Exchange, load
from oci_conform.reference.registry.server import RegistryConfig, RegistryServer
from oci_conform.suites.registry_clients.faults import Faults
from oci_conform.suites.registry_clients.judge import JUDGES, judge_all
from oci_conform.suites.registry_clients.steps import PLAN, Step, StepPlan

REPO = "clients"
USER = "client"
OTHER_HOST = "127.0.0.2"
FAULT_TIMEOUT = 20           # seconds for a step the client must fail


@dataclass
class Registry:
    """One recorded registry and its front."""

    server: RegistryServer
    faults: Faults
    record: Path
    creds: Creds | None = None

    @property
    def host(self) -> str:
        return self.server.address


@dataclass
class Bench:
    """The registries of one column."""

    registries: dict[str, Registry] = field(default_factory=dict)
    other: Registry | None = None
    other_problem: str = ""          # why the other host could not be served
    password: str = ""
    digest: str = ""
    subject: dict[str, object] = field(default_factory=dict)


def _sha_user(password: str) -> dict[str, str]:
    hashed = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return {USER: "{SHA}" + hashed}


@contextlib.contextmanager
def bench(work: Path) -> Iterator[Bench]:
    """The registries of one column, stopped (and their recordings closed) at the end."""
    password = secrets.token_hex(12)
    out = Bench(password=password)
    started: list[RegistryServer] = []
    try:
        for name, options in (("anonymous", {"profile": "v1.0"}),
                              ("basic", {"users": _sha_user(password)}),
                              ("token", {"users": _sha_user(password), "token_auth": True})):
            faults = Faults()
            record = work / f"{name}.jsonl"
            server = RegistryServer(RegistryConfig(work / f"{name}-storage", record=record,
                                                   front=faults, **options)).start()
            started.append(server)
            out.registries[name] = Registry(server, faults, record,
                                            None if name == "anonymous"
                                            else Creds(USER, password))
        faults = Faults()
        try:
            other = RegistryServer(RegistryConfig(work / "basic-storage", host=OTHER_HOST,
                                                  record=work / "other.jsonl", front=faults,
                                                  read_only=True)).start()
        except OSError as exc:
            out.other_problem = f"cannot listen on {OTHER_HOST}: {exc.strerror or exc}"
        else:
            started.append(other)
            out.other = Registry(other, faults, work / "other.jsonl")
            out.registries["basic"].faults.other_origin = other.url
        yield out
    finally:
        for server in started:
            server.stop()


def steps_for(judges: Iterable[str]) -> set[str]:
    """The steps the given judges read (push always: later steps use what it pushed)."""
    return {"push", *(n for j in judges for n in _STEPS_OF.get(j, ("push", "pull")))}


def run_column(impl: Implementation, client: Client, work: Path,
               progress=lambda _m: None, judges: Iterable[str] | None = None
               ) -> Iterator[CaseResult]:
    """The CaseResults of ``judges`` (default: all) for one client column; only the steps
    they read are run."""
    chosen = [name for name, _ in JUDGES if judges is None or name in set(judges)]
    needed = steps_for(chosen)
    try:
        client.prepare()
    except ClientError as exc:
        yield from _all_skipped(impl, f"cannot prepare {impl.name} here: {exc}")
        client.close()
        return
    try:
        with bench(work / "registries") as b:
            steps = {}
            for plan in (p for p in PLAN if p.name in needed):
                progress(f"registry-clients: {impl.name} {plan.name}")
                steps[plan.name] = _run_step(plan, client, b)
            windows = {name: step.facts.pop("_window") for name, step in steps.items()
                       if "_window" in step.facts}
        _attach(steps, windows, b)
        warning = b.registries["anonymous"].faults.warning
        yield from _results(impl, steps, warning, b.subject, chosen, b.password)
    finally:
        client.close()
        shutil.rmtree(work / "registries", ignore_errors=True)   # storages and recordings


def _ref(registry: Registry, target: str, digest: str) -> str:
    if target.endswith("@digest"):
        return f"{registry.host}/{REPO}/{target[:-len('@digest')]}@{digest}"
    return f"{registry.host}/{REPO}/{target}"


def _run_step(plan: StepPlan, client: Client, b: Bench) -> Step:
    step = Step(plan, offered=plan.action in client.offers)
    if not step.offered:
        return step
    registry = b.registries[plan.registry]
    if "@digest" in plan.target and not b.digest:
        step.problem = "the push step left no manifest to pull by digest"
        return step
    if plan.fault == "redirect-blobs" and b.other is None:
        step.problem = b.other_problem or "no other host to redirect to"
        return step
    if plan.action == "referrer" and not b.subject:
        step.problem = "the push step left no manifest to refer to"
        return step
    ref = _ref(registry, plan.target, b.digest)
    for each in (*b.registries.values(), *([b.other] if b.other else [])):
        each.faults.mode = plan.fault
    # a client that retries a failing registry for minutes has shown what it does by then
    client.timeout = TIMEOUT if plan.expect_ok else FAULT_TIMEOUT
    started = time.time()
    try:
        if plan.action == "push":
            step.run = client.push(ref, registry.creds)
        elif plan.action == "push-large":
            step.run = client.push_large(ref, registry.creds)
        elif plan.action == "push-chunked":
            step.run = client.push_chunked(ref, registry.creds)
        elif plan.action == "pull":
            step.run = client.pull(ref, registry.creds)
        elif plan.action == "tags":
            step.run = client.tags(ref.rsplit(":", 1)[0], registry.creds)
        else:
            step.run = client.referrer(ref, b.subject, registry.creds)
    except ClientError as exc:          # the harness could not set the step up
        step.problem = str(exc)
    finally:
        for each in (*b.registries.values(), *([b.other] if b.other else [])):
            each.faults.mode = ""
    step.facts["_window"] = (started, time.time())
    step.facts["ref"] = ref
    if plan.name == "push" and step.run is not None and step.run.ok:
        b.digest, b.subject = _subject(registry)
    return step


def _subject(registry: Registry) -> tuple[str, dict[str, object]]:
    """The digest and descriptor of what the push step stored at ``image:v1``."""
    for m in reversed(registry.faults.manifests):
        if m.repo == f"{REPO}/image" and m.ref == "v1" and m.status == 201:
            media_type = m.content_type.split(";", 1)[0].strip()
            return m.digest, {"mediaType": media_type, "digest": m.digest, "size": len(m.body)}
    return "", {}


def _attach(steps: dict[str, Step], windows: dict[str, tuple[float, float]], b: Bench) -> None:
    """Give each step the exchanges and manifests that started in its window."""
    recorded: dict[str, list[Exchange]] = {}
    for name, registry in b.registries.items():
        recorded[name] = load(registry.record)[0]
    elsewhere = load(b.other.record)[0] if b.other else []
    for name, step in steps.items():
        if name not in windows:
            continue
        start, end = windows[name]
        registry = b.registries[step.plan.registry]
        step.exchanges = [ex for ex in recorded[step.plan.registry] if start <= ex.start <= end]
        step.elsewhere = [ex for ex in elsewhere if start <= ex.start <= end]
        step.manifests = [m for m in registry.faults.manifests if start <= m.time <= end]


def _results(impl: Implementation, steps: dict[str, Step], warning: str,
             subject: dict[str, object], chosen: list[str], secret: str
             ) -> Iterator[CaseResult]:
    by_judge: dict[str, list[Observation]] = {name: [] for name in chosen}
    for name, obs in judge_all(steps, warning=warning, subject=subject, only=chosen):
        by_judge[name].append(obs)
    for name, clauses in JUDGES:
        if name not in by_judge:
            continue
        verdicts = roll_up(by_judge[name], clauses, unobserved=_error(),
                           unobserved_reason="the judge did not observe this clause")
        yield from case_results(verdicts.values(), impl.name, f"client:{name}",
                                evidence=_evidence(steps, name, secret))


def _error():
    from oci_conform.model.outcome import Outcome
    return Outcome.ERROR


# which steps each judge reads (evidence shows those)
_STEPS_OF = {
    "accepts_content_type_parameters": ("pull", "pull-content-type-params"),
    "works_without_docker_digest": ("pull", "pull-no-docker-digest"),
    "verifies_manifest_digest": ("pull-by-digest", "pull-tampered-manifest"),
    "verifies_blob_digest": ("pull", "pull-tampered-blob"),
    "warnings_shown_once_not_acted_on": ("pull", "pull-warnings"),
    "redirects": ("basic-push", "basic-pull-redirected"),
    "abandoned_uploads_cancelled": ("push", "push-upload-fails"),
    "works_with_older_registries": ("push", "pull"),
    "referrers_fallback": ("push", "referrer"),
    "large_manifests": ("push", "push-large", "pull-large"),
    "chunks_not_below_minimum": ("push", "push-chunked"),
    "no_duplicate_referrers": ("push", "referrer", "referrer-again"),
    "refuses_a_tag_that_is_not_an_index": ("push", "referrer", "referrer-tag-not-index"),
    "upload_urls": ("push", "basic-push", "token-push", "push-chunked"),
    "manifest_content_type": ("push", "basic-push", "token-push", "referrer"),
    "manifest_references_its_blobs": ("push", "basic-push", "token-push"),
    "accept_lists_manifest_types": ("push", "pull", "pull-by-digest", "token-pull"),
    "no_ns_parameter": ("push", "tags", "pull", "basic-push", "token-push", "token-pull"),
    "single_post_length": ("push", "basic-push", "token-push"),
    "digest_algorithm_named": ("push", "basic-push", "token-push"),
}


def _evidence(steps: dict[str, Step], judge: str, secret: str) -> Evidence:
    names = _STEPS_OF.get(judge, tuple(steps))
    # the step with the fault (named last) first: the evidence keeps the first exchanges
    chosen = [steps[n] for n in reversed(names) if n in steps and steps[n].ran]
    # runs in the order they ran (the fault step last: renderers show the last run)
    runs = [_redacted(s.run.process_run(), secret) for s in reversed(chosen)
            if s.run is not None]
    exchanges = [_http(ex) for s in chosen for ex in [*s.exchanges, *s.elsewhere]]
    return Evidence.of(runs=runs, exchanges=exchanges,
                       facts={"steps": {s.name: s.said() for s in chosen}})


def _redacted(run: ProcessRun, secret: str) -> ProcessRun:
    """The run with the registry password replaced wherever it shows (argv, output)."""
    def clean(text: str) -> str:
        return text.replace(secret, REDACTED) if secret else text
    return replace(run, argv=[clean(a) for a in run.argv], stdout=clean(run.stdout),
                   stderr=clean(run.stderr), error=clean(run.error))


def _http(ex: Exchange) -> HttpExchange:
    url = ex.path + (f"?{ex.query}" if ex.query else "")
    return HttpExchange.recorded(ex.method, url, ex.status or None,
                                 request_headers=ex.request_headers,
                                 response_headers=ex.response_headers,
                                 duration=ex.end - ex.start)


def _all_skipped(impl: Implementation, reason: str) -> Iterator[CaseResult]:
    for name, clauses in JUDGES:
        verdicts = roll_up([not_judged(c, Why.HOST_LIMIT, reason) for c in clauses])
        yield from case_results(verdicts.values(), impl.name, f"client:{name}")
