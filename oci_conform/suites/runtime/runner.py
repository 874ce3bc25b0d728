"""Run cases on one runtime: skips decided first, cases isolated, leak check at the end."""
from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from oci_conform.catalog.loader import Catalog
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding
from oci_conform.suites.runtime.case import Case, Verdict
from oci_conform.suites.runtime.sandbox import Leftovers, Sandbox, cgroup_dirs, remove_cgroup_tree
from oci_conform.suites.runtime.target import RuntimeTarget

LEAK_CLAUSES = {
    "processes": "harness.runtime.leak-processes",
    "mounts": "harness.runtime.leak-mounts",
    "cgroups": "harness.runtime.leak-cgroups",
    "state": "harness.runtime.leak-state",
}
CLEANUP_CLAUSE = "harness.runtime.cleanup"
HOST_CLAUSE = "harness.runtime.host-intact"
HARNESS_CLAUSES = frozenset([*LEAK_CLAUSES.values(), CLEANUP_CLAUSE, HOST_CLAUSE])


@dataclass
class LeakLedger:
    """What each case left behind after the runtime's own delete."""

    found: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in LEAK_CLAUSES})
    cleanup_problems: list[str] = field(default_factory=list)
    host_damage: list[str] = field(default_factory=list)
    cases: int = 0

    def add(self, case: str, left: Leftovers, problems: list[str],
            host: list[str] | None = None) -> None:
        self.cases += 1
        self.host_damage.extend(f"{case}: {d}" for d in host or [])
        for kind in LEAK_CLAUSES:
            for item in getattr(left, kind):
                self.found[kind].append(f"{case}: {item}")
        self.cleanup_problems.extend(f"{case}: {p}" for p in problems)


def skip_reason(case: Case, target: RuntimeTarget) -> str | None:
    if case.since and not target.version_at_least(case.since):
        return (f"behaviour introduced in runtime-spec {case.since}; {target.name} claims "
                f"{target.spec_claim or target.oci_version}")
    for req in case.requires:
        reason = req(target)
        if reason:
            return reason
    return None


def clauses_in_force(case: Case, catalog: Catalog, target: RuntimeTarget
                     ) -> tuple[list[str], list[str]]:
    """(clauses judged, clauses not in force for the version the runtime claims)."""
    judged, dormant = [], []
    for cid in case.clauses:
        clause = catalog.clauses.get(cid)
        spec = catalog.specs.get(clause.spec) if clause else None
        if clause and spec and target.spec_version and not clause.holds_for(
                spec, target.spec_version):
            dormant.append(cid)
        else:
            judged.append(cid)
    return judged, dormant


def _results(case: Case, target: RuntimeTarget, verdicts: list[Verdict], judged: list[str],
             evidence: dict[str, Any], duration: float) -> list[CaseResult]:
    per_clause: dict[str, list[Verdict]] = {c: [] for c in judged}
    for v in verdicts:
        for cid in (v.clauses or tuple(judged)):
            if cid in per_clause:
                per_clause[cid].append(v)
    out = []
    order = (Outcome.ERROR, Outcome.FAIL, Outcome.SKIP, Outcome.NA, Outcome.PASS)
    for cid, vs in per_clause.items():
        if not vs:
            vs = [Verdict(Outcome.ERROR, "the case judged nothing for this clause")]
        worst = min(vs, key=lambda v: order.index(v.outcome) if v.outcome in order else 0)
        findings: list[Finding] = [f for v in vs for f in v.findings]
        message = "; ".join(dict.fromkeys(v.message for v in vs if v.outcome == worst.outcome
                                          and v.message))
        keep: dict[str, Any] = evidence if worst.outcome in (Outcome.FAIL, Outcome.ERROR) else \
            {k: evidence[k] for k in ("container_id", "invocations", "probe") if k in evidence}
        out.append(CaseResult(cid, target.name, worst.outcome, case=f"runtime:{case.name}",
                              message=message[:500], findings=findings, evidence=keep,
                              duration=duration))
    return out


def execute(case: Case, catalog: Catalog, target: RuntimeTarget,
            ledger: LeakLedger) -> list[CaseResult]:
    """Run one case in its own sandbox; every path cleans up."""
    judged, dormant = clauses_in_force(case, catalog, target)
    results = [CaseResult(cid, target.name, Outcome.SKIP, case=f"runtime:{case.name}",
                          message=f"clause not in force in runtime-spec {target.spec_version} "
                                  f"claimed by {target.name}") for cid in dormant]
    if not judged:
        return results
    reason = skip_reason(case, target)
    if reason:
        return results + [CaseResult(cid, target.name, Outcome.SKIP,
                                     case=f"runtime:{case.name}", message=reason)
                          for cid in judged]
    start = time.monotonic()
    sb: Sandbox | None = None
    try:
        sb = Sandbox(target, case.name)
        raw = case.flow(sb)
        verdicts = raw if isinstance(raw, list) else [raw]
    except Exception as exc:  # a case bug is an error outcome, not a stopped suite
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        verdicts = [Verdict(Outcome.ERROR, f"harness error in case: {detail}")]
    finally:
        if sb is not None:
            evidence = sb.evidence()
            sb.cleanup()
            ledger.add(case.name, sb.leftovers, sb.cleanup_problems, sb.leftovers_host)
            if sb.leftovers.any():
                evidence["leftovers"] = {k: v for k, v in vars(sb.leftovers).items() if v}
    return results + _results(case, target, verdicts, judged,
                              evidence if sb else {}, time.monotonic() - start)


def run_cases(cases: Iterable[Case], catalog: Catalog, target: RuntimeTarget, jobs: int,
              progress=lambda _m: None) -> Iterator[CaseResult]:
    """Run ``cases`` (``jobs`` at a time), then the leak check; yields in case order."""
    ledger = LeakLedger()
    chosen = list(cases)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(execute, c, catalog, target, ledger) for c in chosen]
        for n, (case, fut) in enumerate(zip(chosen, futures, strict=True), 1):
            results = fut.result()
            bad = [r for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
            progress(f"[runtime] {target.name} {n}/{len(chosen)} {case.name}: "
                     + ("ok" if not bad else ", ".join(sorted({r.outcome.value for r in bad}))))
            yield from results
    yield from leak_results(target, ledger)


def leak_results(target: RuntimeTarget, ledger: LeakLedger) -> list[CaseResult]:
    """One outcome per leak kind, plus the harness's own cleanup (after removing the parent)."""
    out = []
    for kind, cid in LEAK_CLAUSES.items():
        items = ledger.found[kind]
        if ledger.cases == 0:
            out.append(CaseResult(cid, target.name, Outcome.SKIP, case="runtime:leak-check",
                                  message="no case ran"))
            continue
        outcome = Outcome.FAIL if items else Outcome.PASS
        msg = (f"{len(items)} {kind} left after the runtime's delete in "
               f"{len({i.split(':')[0] for i in items})} case(s)" if items
               else f"no {kind} left behind by {ledger.cases} cases")
        out.append(CaseResult(cid, target.name, outcome, case="runtime:leak-check", message=msg,
                              findings=[Finding(i, expected="nothing left", actual=i)
                                        for i in items[:20]],
                              evidence={"leftovers": items[:50]} if items else {}))
    if ledger.cases:
        damage = ledger.host_damage
        out.append(CaseResult(
            HOST_CLAUSE, target.name, Outcome.FAIL if damage else Outcome.PASS,
            case="runtime:leak-check",
            message=(f"{len(damage)} change(s) to host device nodes, first noticed after: "
                     + "; ".join(damage[:3]) + (" (cases run concurrently: the case named "
                                                "is where it was noticed)")) if damage
            else "the host's /dev/null was unchanged after every case",
            findings=[Finding(d, location="/dev/null", expected="char 1:3 root:root 0666",
                              actual=d) for d in damage[:10]],
            evidence={"changes": damage[:50]} if damage else {}))
    problems = list(ledger.cleanup_problems)
    problems += [f"cannot remove cgroup parent {p}" for p in remove_cgroup_parent(target)]
    outcome = Outcome.ERROR if problems else Outcome.PASS
    out.append(CaseResult(CLEANUP_CLAUSE, target.name, outcome, case="runtime:leak-check",
                          message="; ".join(problems[:5]) if problems
                          else "the harness removed everything it and the runtime created",
                          evidence={"problems": problems[:50]} if problems else {}))
    return out


def remove_cgroup_parent(target: RuntimeTarget, patience: float = 5.0) -> list[str]:
    """Remove the run's cgroup parent on every hierarchy (retrying while runtimes finish)."""
    deadline = time.monotonic() + patience
    while True:
        left = [str(p) for p in cgroup_dirs(target.cgroup_parent) if not remove_cgroup_tree(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
