"""Cases: small declarative objects, and the standard probe flow most of them use.

A case names its clauses and group, the host and runtime requirements that decide a
skip before it runs, and a ``flow`` that drives a sandbox and returns observations
(``model.judging``).  Most
cases are built with :func:`probe_case`: a config mutation, a busybox ``sh`` script run
as the container process (it writes what it sees to ``/results``), and a judge that
turns those files into observations.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oci_conform.model import judging
from oci_conform.model.judging import Observation, Why
from oci_conform.suites.runtime.sandbox import DONE, JSON, Sandbox
from oci_conform.suites.runtime.target import RuntimeTarget

# A requirement says why a case cannot run here, or None: a plain string is a host limit
# found by a probe of the host (skip); an ``Unmet`` names another reason (n/a).
Requirement = Callable[[RuntimeTarget], "str | Unmet | None"]
Mutation = Callable[[JSON, Sandbox], None]
# What a case's flow returns: observations (``model.judging``), nested lists allowed.
Judgment = Observation | list["Judgment"]
EVERY = ""      # the clause of an observation that holds for every clause of its case


@dataclass(frozen=True)
class Unmet:
    """A requirement a case cannot meet here: ``why`` decides skip (host) or n/a."""

    why: Why
    reason: str

    @classmethod
    def of(cls, value: str | Unmet | None) -> Unmet | None:
        if value is None or isinstance(value, Unmet):
            return value
        return cls(Why.HOST_LIMIT, value)


def not_offered(reason: str) -> Unmet:
    """An optional feature the runtime says it does not offer: its clauses are n/a."""
    return Unmet(Why.NOT_OFFERED, reason)


def _each(make: Callable[[str], Observation], clauses: tuple[str, ...]) -> Judgment:
    if len(clauses) <= 1:
        return make(clauses[0] if clauses else EVERY)
    return [make(c) for c in clauses]


def ok(message: str = "", *clauses: str) -> Judgment:
    return _each(lambda c: judging.passed(c, message), clauses)


def bad(message: str, expected: str = "", actual: str = "", location: str = "",
        *clauses: str) -> Judgment:
    return _each(lambda c: judging.failed(c, message, location=location, expected=expected,
                                          actual=str(actual)[:500]), clauses)


def broke(message: str, *clauses: str) -> Judgment:
    """The harness could not observe what it needed (never a pass)."""
    return _each(lambda c: judging.errored(c, message), clauses)


def unjudged(why: Why, message: str, *clauses: str) -> Judgment:
    """Not judged, and why (``Why`` alone decides skip versus n/a)."""
    return _each(lambda c: judging.not_judged(c, why, message), clauses)


def expect(cond: bool, message: str, expected: str = "", actual: Any = "",
           location: str = "", *clauses: str) -> Judgment:
    return ok(message, *clauses) if cond else bad(message, expected, str(actual), location,
                                                   *clauses)


def flatten(judgment: Judgment) -> list[Observation]:
    """The observations of a (nested) judgment, in order."""
    if isinstance(judgment, Observation):
        return [judgment]
    out: list[Observation] = []
    for part in judgment:
        out.extend(flatten(part))
    return out


Flow = Callable[[Sandbox], "list[Judgment] | Judgment"]


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
    where: str = ""          # "module:function" that judges, when not the flow itself


@dataclass
class Probe:
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
              timeout: float = 10.0) -> Probe | Judgment:
    """Create, start, wait for exit: an Probe, or a Judgment when it could not run."""
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
    return Probe(files, created, started, last)


def _op_failed(op: str, inv: Any) -> Judgment:
    if inv.timed_out:
        return broke(f"{op} timed out")
    if inv.exit_code is None:
        return broke(f"{op} could not run: {inv.error}")
    return bad(f"{op} failed, so the configured property was not applied: {inv.brief()}",
               f"{op} exits 0", f"exit {inv.exit_code}: {inv.stderr.strip()[-300:]}")


Judge = Callable[[Probe, Sandbox], "list[Judgment] | Judgment"]


def probe_case(name: str, group: str, clauses: tuple[str, ...], script: str, judge: Judge,
               mutate: Mutation | None = None, requires: tuple[Requirement, ...] = (),
               since: str = "", doc: str = "") -> Case:
    """A case that runs ``script`` in the container and judges what it wrote."""
    def flow(sb: Sandbox) -> list[Judgment] | Judgment:
        obs = run_probe(sb, script, mutate)
        if isinstance(obs, Observation):
            return obs
        return judge(obs, sb)
    return Case(name, group, clauses, flow, requires, since, doc,
                f"{judge.__module__}:{judge.__qualname__.split('.<locals>')[0]}")


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
    def req(t: RuntimeTarget) -> Unmet | None:
        if t.features is not None:
            return None
        return not_offered(f"{t.name} has no usable `features` command (it is optional)")
    return req


def needs_hook(hook: str) -> Requirement:
    def req(t: RuntimeTarget) -> Unmet | None:
        listed = t.feature_list("hooks")
        if listed is not None and hook not in listed:
            return not_offered(f"{t.name} features do not list the {hook} hook")
        return None
    return req


def needs_namespace(ns: str) -> Requirement:
    def req(t: RuntimeTarget) -> Unmet | None:
        listed = t.feature_list("linux", "namespaces")
        if listed is not None and ns not in listed:
            return not_offered(f"{t.name} features do not list the {ns} namespace")
        return None
    return req
