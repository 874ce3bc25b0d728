"""Run cases on one runtime: skips decided first, cases isolated, leak check at the end."""
from __future__ import annotations

import shutil
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from oci_conform.catalog.loader import Catalog
from oci_conform.interrupts import StopFlag
from oci_conform.model.evidence import Evidence
from oci_conform.model.judging import (
    JUDGED,
    Observation,
    Why,
    case_results,
    errored,
    failed,
    not_judged,
    passed,
    roll_up,
)
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult
from oci_conform.suites.runtime.case import EVERY, Case, Judgment, Unmet, flatten
from oci_conform.suites.runtime.replay import keep_case, moved, replay_line
from oci_conform.suites.runtime.sandbox import (
    Leftovers,
    Sandbox,
    cgroup_dirs,
    mounts_under,
    remove_cgroup_tree,
)
from oci_conform.suites.runtime.target import RuntimeTarget
from oci_conform.suites.runtime.versions import JudgingPlan, plan_for

# The suite-wide checks after every case: what the runtime left, and the harness's own.
LEAK_KINDS = ("processes", "mounts", "cgroups", "state")
HARNESS_CLAUSES = frozenset({"harness.runtime.leak-processes", "harness.runtime.leak-mounts",
                             "harness.runtime.leak-cgroups", "harness.runtime.leak-state",
                             "harness.runtime.cleanup", "harness.runtime.host-intact"})


@dataclass
class LeakLedger:
    """What each case left behind after the runtime's own delete."""

    found: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in LEAK_KINDS})
    cleanup_problems: list[str] = field(default_factory=list)
    host_damage: list[str] = field(default_factory=list)
    cases: int = 0

    def add(self, case: str, left: Leftovers, problems: list[str],
            host: list[str] | None = None) -> None:
        self.cases += 1
        self.host_damage.extend(f"{case}: {d}" for d in host or [])
        for kind in LEAK_KINDS:
            for item in getattr(left, kind):
                self.found[kind].append(f"{case}: {item}")
        self.cleanup_problems.extend(f"{case}: {p}" for p in problems)


def judging_plan(case: Case, catalog: Catalog, target: RuntimeTarget) -> JudgingPlan:
    return plan_for(case.clauses, case.since, catalog, target.name, target.claimed_version,
                    target.judged_at)


def unmet(case: Case, target: RuntimeTarget) -> Unmet | None:
    """The first requirement of ``case`` this host or runtime does not meet."""
    for req in case.requires:
        found = Unmet.of(req(target))
        if found is not None:
            return found
    return None


def _observations(case: Case, judgment: Judgment) -> list[Observation]:
    """The flow's observations, an ``EVERY`` observation copied to each clause of the case."""
    out: list[Observation] = []
    for obs in flatten(judgment):
        if obs.clause == EVERY:
            out.extend(replace(obs, clause=cid) for cid in case.clauses)
        else:
            out.append(obs)
    return out


@dataclass
class Flow:
    """What running a case gave: observations, evidence, and the folder left to judge
    whether to keep (``--keep`` only; None when the sandbox removed it itself)."""

    observations: list[Observation]
    evidence: Evidence
    folder: Path | None = None


def _run_flow(case: Case, target: RuntimeTarget, ledger: LeakLedger) -> Flow:
    """Run the case in its own sandbox (every path cleans up): observations and evidence."""
    sb: Sandbox | None = None
    evidence = Evidence()
    folder: Path | None = None
    try:
        sb = Sandbox(target, case.name)
        observations = _observations(case, case.flow(sb))
    except Exception as exc:  # a case bug is an error outcome, not a stopped suite
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        observations = [errored(cid, f"harness error in case: {detail}")
                        for cid in case.clauses]
    finally:
        if sb is not None:
            evidence = sb.evidence()
            evidence.replay = replay_line(sb.cli.calls, sb.dir)
            sb.cleanup()
            if target.keep_dir is not None and sb.dir.is_dir() and not mounts_under(sb.dir):
                folder = sb.dir          # left by the sandbox for --keep to judge
            ledger.add(case.name, sb.leftovers, sb.cleanup_problems, sb.leftovers_host)
            if sb.leftovers.any():
                evidence.facts["leftovers"] = {k: v for k, v in vars(sb.leftovers).items()
                                               if v}
    return Flow(observations, evidence, folder)


def _keep_or_remove(flow: Flow, failed: bool, target: RuntimeTarget) -> None:
    """--keep: copy a failing case's folder out of the run (paths moved to the copy), then
    remove the original; a passing case's folder is just removed."""
    if flow.folder is None:
        return
    try:
        if failed and target.keep_dir is not None:
            kept, problems = keep_case(flow.folder, target.keep_dir, target.name)
            ev = flow.evidence
            ev.kept = str(kept)
            ev.replay = moved(ev.replay, flow.folder, kept)
            if problems:
                ev.facts["not_kept"] = problems[:20]
    finally:
        shutil.rmtree(flow.folder, ignore_errors=True)


def execute(case: Case, catalog: Catalog, target: RuntimeTarget,
            ledger: LeakLedger) -> list[CaseResult]:
    """Judge one case: clauses not in force are n/a, unmet requirements skip (host) or n/a,
    the rest is observed and rolled up by ``model.judging`` (unobserved = error)."""
    name = f"runtime:{case.name}"
    plan = judging_plan(case, catalog, target)
    live = [cid for cid in case.clauses if cid not in plan.not_in_force]
    observations: list[Observation] = list(plan.not_in_force.values())
    evidence, start = Evidence(), time.monotonic()
    reason = unmet(case, target) if live else None
    if reason is not None:
        observations += [not_judged(cid, reason.why, reason.reason) for cid in live]
    flow: Flow | None = None
    if reason is None and live:
        flow = _run_flow(case, target, ledger)
        seen, evidence = flow.observations, flow.evidence
        observations += [o for o in seen if o.clause in live]
        strays = sorted({o.clause for o in seen} - set(case.clauses))
        if strays:
            observations += [errored(cid, "the case judged a clause it does not declare: "
                                     + ", ".join(strays)) for cid in live]
    verdicts = roll_up(observations, case.clauses, unobserved=Outcome.ERROR,
                       unobserved_reason="the case judged nothing for this clause")
    if flow is not None:
        failed = any(v.outcome in (Outcome.FAIL, Outcome.ERROR) for v in verdicts.values())
        if not failed:
            evidence.replay = ""     # replay lines are for failures: results stay small
        _keep_or_remove(flow, failed, target)
    results = list(case_results(verdicts.values(), target.name, name, evidence=evidence,
                                duration=time.monotonic() - start))
    for r in results:
        if r.outcome in JUDGED:
            r.beyond_claim = plan.beyond.get(r.clause, "")
    return results


def run_cases(cases: Iterable[Case], catalog: Catalog, target: RuntimeTarget, jobs: int,
              progress=lambda _m: None, stop: StopFlag | None = None) -> Iterator[CaseResult]:
    """Run ``cases`` (``jobs`` at a time), then the leak check; yields in case order.

    Once ``stop`` is set no case starts: queued ones are dropped, running ones finish and
    are cleaned up, and the leak check covers the cases that ran. However this generator
    ends (closed, or an exception in the main thread), it first cancels what has not
    started and waits for what has, so no case outlives it."""
    ledger = LeakLedger()
    chosen = list(cases)
    flag = stop or StopFlag()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    futures = [pool.submit(_unless_stopped, flag, c, catalog, target, ledger) for c in chosen]
    try:
        for n, (case, fut) in enumerate(zip(chosen, futures, strict=True), 1):
            if flag.is_set():
                for later in futures:
                    later.cancel()              # only those not yet started
            if fut.cancelled() or (results := fut.result()) is None:
                continue
            bad = [r for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
            progress(f"[runtime] {target.name} {n}/{len(chosen)} {case.name}: "
                     + ("ok" if not bad else ", ".join(sorted({r.outcome.value for r in bad}))))
            yield from results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)   # drop queued cases, await running
    yield from leak_results(target, ledger)


def _unless_stopped(stop: StopFlag, case: Case, catalog: Catalog, target: RuntimeTarget,
                    ledger: LeakLedger) -> list[CaseResult] | None:
    """``execute`` the case, or None when the run was stopped before it could start."""
    return None if stop.is_set() else execute(case, catalog, target, ledger)


def _leaks(clause: str, kind: str, ledger: LeakLedger) -> list[Observation]:
    items = ledger.found[kind]
    if not items:
        return [passed(clause, f"no {kind} left behind by {ledger.cases} cases")]
    where = len({i.split(":")[0] for i in items})
    return [failed(clause, f"{len(items)} {kind} left after the runtime's delete in {where} "
                   f"case(s)", location=i.split(":")[0], expected="nothing left", actual=i)
            for i in items]


def _host_damage(ledger: LeakLedger) -> list[Observation]:
    damage = ledger.host_damage
    if not damage:
        return [passed("harness.runtime.host-intact",
                       "the host's /dev/null was unchanged after every case")]
    msg = (f"{len(damage)} change(s) to host device nodes, first noticed after: "
           + "; ".join(damage[:3]) + " (cases run concurrently: the case named is where it "
           "was noticed)")
    return [failed("harness.runtime.host-intact", msg, location="/dev/null",
                   expected="char 1:3 root:root 0666", actual=d) for d in damage]


def leak_results(target: RuntimeTarget, ledger: LeakLedger) -> list[CaseResult]:
    """One outcome per leak kind, plus the harness's own cleanup (after removing the parent)."""
    problems = list(ledger.cleanup_problems)
    problems += [f"cannot remove cgroup parent {p}" for p in remove_cgroup_parent(target)]
    facts = {k: v[:50] for k, v in (("problems", problems),
                                    ("changes", ledger.host_damage)) if v}
    facts.update({f"leftover_{k}": v[:50] for k, v in ledger.found.items() if v})
    if ledger.cases == 0:
        observations = [not_judged(cid, Why.ABSENT, "no case ran") for cid in HARNESS_CLAUSES
                        if cid != "harness.runtime.cleanup"]
    else:
        observations = [*_leaks("harness.runtime.leak-processes", "processes", ledger),
                        *_leaks("harness.runtime.leak-mounts", "mounts", ledger),
                        *_leaks("harness.runtime.leak-cgroups", "cgroups", ledger),
                        *_leaks("harness.runtime.leak-state", "state", ledger),
                        *_host_damage(ledger)]
    observations += [errored("harness.runtime.cleanup", p) for p in problems] or [
        passed("harness.runtime.cleanup",
               "the harness removed everything it and the runtime created")]
    verdicts = roll_up(observations, sorted(HARNESS_CLAUSES), max_findings=20)
    return list(case_results(verdicts.values(), target.name, "runtime:leak-check",
                             evidence=Evidence(facts=facts)))


def remove_cgroup_parent(target: RuntimeTarget, patience: float = 5.0) -> list[str]:
    """Remove the run's cgroup parent on every hierarchy (retrying while runtimes finish)."""
    deadline = time.monotonic() + patience
    while True:
        left = [str(p) for p in cgroup_dirs(target.cgroup_parent) if not remove_cgroup_tree(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
