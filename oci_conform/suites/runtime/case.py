"""Cases: small declarative objects, and the standard probe flow most of them use.

A case names its clauses and group, the host and runtime requirements that decide a
skip before it runs, and a ``flow`` that drives a sandbox and returns verdicts.  Most
cases are built with :func:`probe_case`: a config mutation, a busybox ``sh`` script run
as the container process (it writes what it sees to ``/results``), and a judge that
turns those files into verdicts.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import Finding
from oci_conform.suites.runtime.sandbox import DONE, JSON, Sandbox
from oci_conform.suites.runtime.target import RuntimeTarget

Requirement = Callable[[RuntimeTarget], "str | None"]   # a reason to skip, or None
Mutation = Callable[[JSON, Sandbox], None]


@dataclass
class Verdict:
    """One judgment; ``clauses`` empty means every clause of the case."""

    outcome: Outcome
    message: str = ""
    findings: list[Finding] = field(default_factory=list)
    clauses: tuple[str, ...] = ()


def ok(message: str = "", *clauses: str) -> Verdict:
    return Verdict(Outcome.PASS, message, clauses=clauses)


def bad(message: str, expected: str = "", actual: str = "", location: str = "",
        *clauses: str) -> Verdict:
    return Verdict(Outcome.FAIL, message,
                   [Finding(message, location=location, expected=expected, actual=actual[:500])],
                   clauses=clauses)


def broke(message: str, *clauses: str) -> Verdict:
    """The harness could not observe what it needed (never a pass)."""
    return Verdict(Outcome.ERROR, message, clauses=clauses)


def skipped(message: str, *clauses: str) -> Verdict:
    return Verdict(Outcome.SKIP, message, clauses=clauses)


def expect(cond: bool, message: str, expected: str = "", actual: Any = "",
           location: str = "", *clauses: str) -> Verdict:
    return ok(message, *clauses) if cond else bad(message, expected, str(actual), location,
                                                   *clauses)


Flow = Callable[[Sandbox], "list[Verdict] | Verdict"]


@dataclass(frozen=True)
class Case:
    """One behaviour check: what it judges, when it can run, and how."""

    name: str
    group: str
    clauses: tuple[str, ...]
    flow: Flow
    requires: tuple[Requirement, ...] = ()
    since: str = ""          # the spec version the behaviour first appears in
    doc: str = ""


@dataclass
class Observation:
    """What a probe run saw: the probe's files and the operations' invocations."""

    files: dict[str, str]
    create: Any
    start: Any
    state: JSON | None

    def get(self, name: str) -> str:
        return self.files.get(name, "")

    def lines(self, name: str) -> list[str]:
        return [ln for ln in self.get(name).splitlines() if ln.strip()]

    def kv(self, name: str) -> dict[str, str]:
        out = {}
        for line in self.lines(name):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
        return out


def run_probe(sb: Sandbox, script: str, mutate: Mutation | None = None,
              timeout: float = 10.0) -> Observation | Verdict:
    """Create, start, wait for exit: an Observation, or a Verdict when it could not run."""
    cfg = sb.config(["sh", "-c", f"{script}\necho done > /results/{DONE}"])
    if mutate:
        mutate(cfg, sb)
    sb.write(cfg)
    created = sb.create()
    if not created.ok:
        return _op_failed("create", created)
    _, doc = sb.state()
    started = sb.start()
    if not started.ok:
        return _op_failed("start", started)
    pid = doc.get("pid") if doc else None
    if isinstance(pid, int) and pid > 0:
        sb.wait_exit(pid, timeout)
    else:
        sb.wait_status("stopped", timeout)
    files = sb.probe_files()
    if DONE not in files:
        final = sb.wait_status("stopped", 1.0)
        files = sb.probe_files()
        if DONE not in files:
            return broke("the probe did not finish (no completion marker; status "
                         f"{(final or {}).get('status', '?')})")
    _, last = sb.state()
    sb.delete()
    return Observation(files, created, started, last)


def _op_failed(op: str, inv: Any) -> Verdict:
    if inv.timed_out:
        return broke(f"{op} timed out")
    if inv.exit_code is None:
        return broke(f"{op} could not run: {inv.error}")
    return bad(f"{op} failed, so the configured property was not applied: {inv.brief()}",
               f"{op} exits 0", f"exit {inv.exit_code}: {inv.stderr.strip()[-300:]}")


Judge = Callable[[Observation, Sandbox], "list[Verdict] | Verdict"]


def probe_case(name: str, group: str, clauses: tuple[str, ...], script: str, judge: Judge,
               mutate: Mutation | None = None, requires: tuple[Requirement, ...] = (),
               since: str = "", doc: str = "") -> Case:
    """A case that runs ``script`` in the container and judges what it wrote."""
    def flow(sb: Sandbox) -> list[Verdict] | Verdict:
        obs = run_probe(sb, script, mutate)
        if isinstance(obs, Verdict):
            return obs
        return judge(obs, sb)
    return Case(name, group, clauses, flow, requires, since, doc)


def error_case(name: str, group: str, clauses: tuple[str, ...], mutate: Mutation,
               requires: tuple[Requirement, ...] = (), since: str = "", doc: str = "") -> Case:
    """A config the runtime must refuse: create (or start) errors and no container is left."""
    def flow(sb: Sandbox) -> list[Verdict] | Verdict:
        cfg = sb.config(["sh", "-c", "echo ran > /results/ran"])
        mutate(cfg, sb)
        sb.write(cfg)
        created = sb.create()
        if created.timed_out:
            return broke("create timed out")
        if created.crashed:
            return bad("create crashed instead of reporting an error", "non-zero exit",
                       f"killed by signal {-created.exit_code}")  # type: ignore[operator]
        if created.ok:
            started = sb.start()
            sb.wait_status("stopped", 3)
            if started.failed:
                return ok("create accepted it but start generated an error")
            return bad("the runtime accepted an invalid configuration", "an error",
                       f"create exit 0, start exit {started.exit_code}")
        inv, _ = sb.state()
        if inv.ok:
            return bad("create failed but a container with the id exists", "no container",
                       inv.stdout[:300])
        return ok(f"create generated an error: {created.brief()}")
    return Case(name, group, clauses, flow, requires, since, doc)


# -- requirements ---------------------------------------------------------------------------
def needs_controller(name: str) -> Requirement:
    def req(t: RuntimeTarget) -> str | None:
        if t.host.has_controller(name):
            return None
        return f"host has no {name} cgroup controller ({t.host.cgroup_mode} mode)"
    return req


def needs_cap(name: str) -> Requirement:
    def req(t: RuntimeTarget) -> str | None:
        return None if t.host.has_cap(name) else f"host bounding set lacks {name}"
    return req


def needs_host(attr: str, what: str) -> Requirement:
    def req(t: RuntimeTarget) -> str | None:
        return None if getattr(t.host, attr) else f"host has no {what}"
    return req


def needs_features() -> Requirement:
    def req(t: RuntimeTarget) -> str | None:
        if t.features is not None:
            return None
        return f"{t.name} has no usable `features` command (optional: rt.features.features.1)"
    return req


def needs_hook(hook: str) -> Requirement:
    def req(t: RuntimeTarget) -> str | None:
        listed = t.feature_list("hooks")
        if listed is not None and hook not in listed:
            return f"{t.name} features do not list the {hook} hook"
        return None
    return req


def needs_namespace(ns: str) -> Requirement:
    def req(t: RuntimeTarget) -> str | None:
        listed = t.feature_list("linux", "namespaces")
        if listed is not None and ns not in listed:
            return f"{t.name} features do not list the {ns} namespace"
        return None
    return req
