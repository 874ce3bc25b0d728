"""Run the registry cases against one registry and turn their observations into CaseResults.

Judging goes through ``model.judging`` only: each case records observations on a strict
``Judge`` (it may only judge the clauses it declares), ``roll_up`` folds them with the one
severity order, a declared clause nobody observed is ``error`` ("not observed"), clauses not
in force at the profile's version are ``n/a`` (``in_force``), read-only mode leaves writing
cases ``not selected`` (skip).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from oci_conform.catalog.loader import Catalog
from oci_conform.drivers.registry_http import RegistryClient
from oci_conform.model.evidence import Evidence, HttpExchange
from oci_conform.model.judging import (
    Judge,
    Observation,
    Verdict,
    Why,
    case_results,
    errored,
    in_force,
    not_in_force,
    not_judged,
    roll_up,
)
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult
from oci_conform.suites.base import Selection
from oci_conform.suites.registry.cases_discovery import CASES as DISCOVERY_CASES
from oci_conform.suites.registry.cases_edges import CASES as EDGE_CASES
from oci_conform.suites.registry.cases_manage import CASES as MANAGE_CASES
from oci_conform.suites.registry.cases_pull import CASES as PULL_CASES
from oci_conform.suites.registry.cases_push import CASES as PUSH_CASES
from oci_conform.suites.registry.framework import Case, CaseError, NotJudged
from oci_conform.suites.registry.session import FixtureError, Session
from oci_conform.suites.registry.summaries import SUMMARY_CASES, RunRecord

SPEC = "distribution-spec"
PROFILES = {"v1.0": "1.0.0", "v1.1": "1.1.1", "dev": "main"}
MAX_EXCHANGES = 40            # exchanges kept for a fail or error
MAX_EXCHANGES_QUIET = 12      # exchanges kept for a pass / n/a / skip
CLEANUP_SECONDS = 120.0       # time cleanup gets when the run's deadline has passed
UNOBSERVED = "not observed: the case ended without judging this clause"

CASES: list[Case] = [*PULL_CASES, *PUSH_CASES, *DISCOVERY_CASES, *MANAGE_CASES, *EDGE_CASES]
HARNESS_CLAUSES = ("harness.registry.cleanup", "harness.registry.reachable")


def all_cases() -> list[Case]:
    return [*CASES, *SUMMARY_CASES]


def all_clause_ids() -> set[str]:
    ids = {c for case in all_cases() for c in case.clauses}
    ids.update(HARNESS_CLAUSES)
    return ids


def check_count() -> int:
    """Declared checks: one per (case, clause)."""
    return sum(len(case.clauses) for case in all_cases())


@dataclass
class RunOptions:
    """How the registry suite runs: profile, namespace, case selection, stop signal."""

    profile: str = "v1.1"
    read_only: bool = False
    namespace: str = ""
    selection: Selection = field(default_factory=Selection)
    cases: tuple[str, ...] = ()          # case names to run ("" = every selected case)
    stopped: Callable[[], bool] = lambda: False   # SIGINT/SIGTERM: start no further case

    def wants(self, case: Case) -> bool:
        if self.cases and case.name not in self.cases:
            return False
        return self.selection.wants(case.clauses, case.group, case.name)

    def wants_reachable(self) -> bool:
        """Whether the passing reachability check is shown (its error always is)."""
        return (not self.cases or "reachable" in self.cases) and self.selection.wants(
            ("harness.registry.reachable",), "harness", "reachable")


def _fill(j: Judge, make: Callable[[str], Observation]) -> None:
    """Every declared clause ``j`` has not observed yet gets ``make(clause)``."""
    seen = {o.clause for o in j.observations}
    for clause in j.declared:
        if clause not in seen:
            j.add(make(clause))


def _relevant_first(exchanges: list[HttpExchange], verdict: Verdict) -> list[HttpExchange]:
    """The exchanges a finding points at first (a failing cell shows its request on top)."""
    places = {f.location for f in verdict.findings if f.location}
    if not places:
        return exchanges
    hit = [e for e in exchanges if f"{e.method} {e.url}" in places or e.line() in places]
    chosen = {id(e) for e in hit}
    return hit + [e for e in exchanges if id(e) not in chosen]


class RegistryRun:
    """One registry, one profile: runs every selected case, then the summaries, then cleanup."""

    def __init__(self, client: RegistryClient, catalog: Catalog, impl_name: str,
                 options: RunOptions, progress: Callable[[str], None] = lambda _m: None):
        self.client = client
        self.catalog = catalog
        self.impl = impl_name
        self.options = options
        self.version = PROFILES.get(options.profile, options.profile)
        self.progress = progress
        self.session = Session(client, options.namespace, options.read_only, self.version)
        self.record = RunRecord(read_only=options.read_only)

    # -- per case -----------------------------------------------------------------------

    def _not_in_force(self, case: Case) -> dict[str, Observation]:
        """The n/a observation of each declared clause not in force at this profile."""
        spec = self.catalog.specs.get(SPEC)
        if spec is None:
            return {}
        if case.since and self.version in spec.versions and case.since in spec.versions \
                and spec.index(self.version) < spec.index(case.since):
            why = f"{case.name} concerns an API added in distribution-spec {case.since}"
            return {c: not_in_force(c, why) for c in case.clauses}
        out: dict[str, Observation] = {}
        for clause in case.clauses:
            entry = self.catalog.clauses.get(clause)
            obs = in_force(entry, spec, self.version) if entry is not None else None
            if obs is not None:
                out[clause] = obs
        return out

    def _judge(self, case: Case, subject: Any, nif: dict[str, Observation]) -> Judge:
        """Run ``case`` on ``subject`` (a Session or the RunRecord); its observations."""
        j = Judge(case.clauses, strict=True)
        if len(nif) == len(case.clauses):
            return j
        if case.write and self.options.read_only:
            _fill(j, lambda c: not_judged(c, Why.NOT_SELECTED,
                                          "read-only mode: this case pushes content"))
            return j
        if self.client.past_deadline:
            _fill(j, lambda c: errored(c, f"not run: the run's deadline of "
                                          f"{self.client.run_seconds:g}s had passed"))
            return j
        try:
            if case.control is not None:
                case.control(subject)
            case.run(subject, j)
        except NotJudged as exc:
            why, reason = exc.why, str(exc)
            _fill(j, lambda c: not_judged(c, why, reason))
        except (CaseError, FixtureError) as exc:
            reason = str(exc)
            _fill(j, lambda c: errored(c, reason))
        except requests.RequestException as exc:
            reason = f"HTTP failure: {type(exc).__name__}: {exc}"
            _fill(j, lambda c: errored(c, reason))
        except Exception as exc:  # a bug in one case must not stop the others
            reason = f"case crashed: {type(exc).__name__}: {exc}"
            _fill(j, lambda c: errored(c, reason))
        return j

    def run_case(self, case: Case, subject: Any) -> list[CaseResult]:
        started = time.monotonic()
        self.client.take()
        nif = self._not_in_force(case)
        j = self._judge(case, subject, nif)
        exchanges = self.client.take()
        self.record.add(exchanges)
        observations = [o for o in j.observations if o.clause not in nif] + list(nif.values())
        verdicts = roll_up(observations, case.clauses, unobserved=Outcome.ERROR,
                           unobserved_reason=UNOBSERVED)
        duration = time.monotonic() - started
        return [self._result(case, v, exchanges, j.notes, duration) for v in verdicts.values()]

    def _facts(self, case: Case, notes: list[str]) -> dict[str, Any]:
        facts: dict[str, Any] = {"profile": self.options.profile, "spec_version": self.version,
                                 "group": case.group}
        if notes:
            facts["notes"] = list(notes)
        if self.client.withheld:
            facts["credentials_withheld"] = self.client.withheld
        return facts

    def _result(self, case: Case, verdict: Verdict, exchanges: list[HttpExchange],
                notes: list[str], duration: float) -> CaseResult:
        keep = MAX_EXCHANGES if verdict.outcome in (Outcome.FAIL, Outcome.ERROR) \
            else MAX_EXCHANGES_QUIET
        evidence = Evidence.of(exchanges=_relevant_first(exchanges, verdict),
                               facts=self._facts(case, notes), max_exchanges=keep)
        return next(case_results([verdict], self.impl, f"registry:{case.name}",
                                 evidence=evidence, duration=duration))

    # -- the run ------------------------------------------------------------------------

    def run(self) -> Iterator[CaseResult]:
        try:
            for case in CASES:
                if self.options.stopped():
                    break
                if not self.options.wants(case):
                    continue
                self.progress(f"[registry] {self.impl}: {case.name}")
                results = self.run_case(case, self.session)
                for r in results:
                    self.record.group_results.setdefault(case.group, []).append(
                        (case.name, r.outcome))
                yield from results
            for case in SUMMARY_CASES:
                if self.options.wants(case) and not self.options.stopped():
                    yield from self.run_case(case, self.record)
        finally:
            cleanup = self._cleanup()
        if cleanup is not None:
            yield cleanup

    def _cleanup(self) -> CaseResult | None:
        """harness.registry.cleanup: everything this run pushed is deleted again."""
        if self.options.read_only or "harness.registry.cleanup" not in self.catalog.clauses:
            return None
        if self.client.past_deadline:
            self.client.set_deadline(CLEANUP_SECONDS)
        self.client.take()
        started = time.monotonic()
        try:
            left = self.session.cleanup()
        except Exception as exc:  # report, never raise from cleanup
            left = [f"cleanup stopped: {type(exc).__name__}: {exc}"]
        exchanges = [e for e in self.client.take() if e.status not in (200, 202, 204, 404)]
        pushed = len(self.session.ledger.manifests) + len(self.session.ledger.blobs)
        j = Judge(("harness.registry.cleanup",), strict=True)
        if not pushed:
            j.not_judged("harness.registry.cleanup", Why.ABSENT, "nothing was pushed")
        elif not left:
            j.passed("harness.registry.cleanup",
                     f"removed all {pushed} manifests and blobs pushed")
        for line in left:
            j.fail("harness.registry.cleanup", f"could not remove {line}",
                   location=line.split(":")[0])
        evidence = Evidence.of(exchanges=exchanges, max_exchanges=MAX_EXCHANGES,
                               facts={"removed": pushed - len(left), "pushed": pushed,
                                      "left": left[:50]})
        verdict = j.verdicts()["harness.registry.cleanup"]
        return next(case_results([verdict], self.impl, "registry:cleanup", evidence=evidence,
                                 duration=time.monotonic() - started))
