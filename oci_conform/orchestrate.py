"""Run suites against implementations and gather one Results document.

Commands parse and check their inputs, then describe the run as one ``RunRequest`` (suites
with the implementations given, the selection, typed options) and hand it to ``execute``:
the orchestrator makes the run's private folder and context, finds the implementations a
suite was not given, refuses an empty plan (``NothingSelected``), runs every suite on each of
its implementations (a suite crash is a harness error, never a lost column) and stamps the
results with the spec versions judged and the clauses seen.

Interruption (``ctx.stop``, set by the first SIGINT/SIGTERM; see ``oci_conform.interrupts``):
no new column starts, the running suite is closed at its next result (or read to its end
when it stops itself), and the results keep every outcome so far, marked ``interrupted``.
A second signal (``Interrupted``) lands here too: the suite's ``finally`` blocks have
cleaned up by the time it arrives, and the results are kept the same way.
"""
from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from oci_conform.catalog.loader import Catalog
from oci_conform.interrupts import Interrupted, StopFlag, catching
from oci_conform.lanes import (
    REAPED,
    Column,
    ColumnResults,
    Scheduler,
    lanes_of,
    longest_first,
)
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation, Results
from oci_conform.provenance import finish, new_results, now  # noqa: F401 (re-exported)
from oci_conform.suites.base import (
    RegistryOptions,
    RunContext,
    RuntimeOptions,
    Selection,
    Suite,
)


@dataclass
class PlanItem:
    """One suite and the implementations it runs on."""

    suite: Suite
    implementations: list[Implementation]


@dataclass(frozen=True)
class SuiteRequest:
    """One suite of a run and the implementations given for it (none: find them here)."""

    suite: Suite
    given: tuple[Implementation, ...] = ()


@dataclass(frozen=True)
class RunRequest:
    """One run as a command describes it, every part already checked."""

    suites: tuple[SuiteRequest, ...]
    selection: Selection = field(default_factory=Selection)
    jobs: int = 1
    spec_versions: Mapping[str, str] = field(default_factory=dict)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    registry: RegistryOptions = field(default_factory=RegistryOptions)
    command: tuple[str, ...] = ()
    debug: bool = False
    # seconds each column (by implementation name) took in an earlier run: with --jobs > 1
    # the longest lanes start first (a hint; an empty map keeps the plan's order)
    costs: Mapping[str, float] = field(default_factory=dict)


class NothingSelected(Exception):
    """The request selects nothing to run (exit code 4); the message says why."""


def _selected_ids(suite: Suite, ctx: RunContext) -> set[str]:
    """The clause ids the selection picks in ``suite``: the suite knows its groups and case
    names when it offers ``selected_clause_ids``; else clause ids are matched alone."""
    chooser = getattr(suite, "selected_clause_ids", None)
    if callable(chooser):
        return set(chooser(ctx.selection))
    return {cid for cid in suite.clause_ids() if ctx.selection.wants([cid])}


def _skips_for(suite: Suite, impl: Implementation, ctx: RunContext) -> Iterable[CaseResult]:
    """An implementation that is not there is a column of skips with the reason."""
    for cid in sorted(_selected_ids(suite, ctx)):
        yield CaseResult(cid, impl.name, Outcome.SKIP, case=f"{suite.name}:unavailable",
                         message=impl.reason or f"{impl.name} is not available")


def _consume(source: Iterator[CaseResult], results: Results, ctx: RunContext,
             stops_itself: bool) -> int:
    """Append what ``source`` yields; close it at the next result once the run must stop."""
    count = 0
    try:
        for result in source:
            results.results.append(result)
            count += 1
            if ctx.stop.is_set() and not stops_itself:
                break
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()                  # the suite's finally blocks clean up now
    return count


def _run_one(suite: Suite, impl: Implementation, ctx: RunContext, results: Results) -> None:
    ctx.progress(f"[{suite.name}] {impl.name}: starting")
    count = 0
    try:
        with ctx.stop.hard_stop_zone():
            source = suite.run(impl, ctx) if impl.available else _skips_for(suite, impl, ctx)
            count = _consume(iter(source), results, ctx,
                             bool(getattr(suite, "stops_itself", False)))
    except Interrupted as exc:   # a second signal: the suite has cleaned up on the way out
        ctx.stop.set(str(exc) or "SIGINT")
    except Exception as exc:  # a suite bug must not lose the other columns
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        problem = f"suite {suite.name} on {impl.name} stopped: {detail}"
        results.harness_errors.append(problem)
        ctx.progress(traceback.format_exc() if ctx.debug else
                     f"[{suite.name}] {impl.name}: harness error: {detail} (--debug shows the "
                     "traceback)")
    ctx.progress(f"[{suite.name}] {impl.name}: {count} outcomes")


def _run_in_order(plan: list[PlanItem], ctx: RunContext, results: Results) -> list[str]:
    """Every column one after another; the columns not started (after a stop)."""
    left: list[str] = []
    for item in plan:
        for impl in item.implementations:
            if ctx.stop.is_set():
                left.append(f"{item.suite.name}:{impl.name}")
                continue
            if item.suite.name in REAPED and impl.available:
                _run_reaped(item.suite, impl, ctx, results)
            else:
                results.implementations.append(impl)
                began = time.monotonic()
                _run_one(item.suite, impl, ctx, results)
                results.column_seconds[impl.name] = time.monotonic() - began
    return left


def _run_reaped(suite: Suite, impl: Implementation, ctx: RunContext, results: Results) -> None:
    """A runtime column in order, but in a lane of its own (a child process under a
    subreaper, ``lanes``), as it runs when columns run at once: the runtime's orphans are
    reaped at once either way, so its outcomes do not depend on ``--jobs``."""
    done, _ = Scheduler([[Column(0, suite, impl)]], ctx, _run_one).run()
    _gather(done, results)            # nothing when stopped before the lane started


def _gather(done: list[ColumnResults], results: Results) -> None:
    """The columns lanes sent back, appended in plan order with their wall times."""
    for column in done:
        results.implementations.append(column.impl)
        results.results.extend(column.results)
        results.harness_errors.extend(column.harness_errors)
        if column.impl.name:
            results.column_seconds[column.impl.name] = column.seconds


def _run_in_lanes(lanes: list[list[Column]], ctx: RunContext, results: Results,
                  costs: Mapping[str, float]) -> list[str]:
    """Independent columns at once under ``ctx.jobs`` (``oci_conform.lanes``), gathered in
    plan order; the columns not started (after a stop)."""
    done, left = Scheduler(longest_first(lanes, costs), ctx, _run_one).run()
    _gather(done, results)
    return [f"{c.suite.name}:{c.impl.name}" for c in left]


def run_plan(plan: list[PlanItem], ctx: RunContext, command: list[str] | None = None,
             costs: Mapping[str, float] | None = None) -> Results:
    """Run every suite on each of its implementations; never raises for a suite bug. With
    ``ctx.jobs`` > 1, independent columns run at once (same results, same order), the
    longest first when ``costs`` (seconds per implementation, from an earlier run) say so."""
    results = new_results(ctx.catalog, command or [])
    lanes = lanes_of(plan) if ctx.jobs > 1 else []
    left = _run_in_lanes(lanes, ctx, results, costs or {}) if len(lanes) > 1 \
        else _run_in_order(plan, ctx, results)
    if ctx.stop.is_set():
        results.interrupted = ctx.stop.signal_name
        ctx.progress(f"{ctx.stop.signal_name}: stopped early; {len(results.results)} outcomes "
                     f"kept" + (f"; not started: {', '.join(left)}" if left else ""))
    finish(results, ctx.catalog, ctx.spec_versions)
    return results


def _plan(request: RunRequest, ctx: RunContext) -> list[PlanItem]:
    plan = [PlanItem(r.suite, list(r.given) or r.suite.default_implementations(ctx))
            for r in request.suites]
    if not any(item.implementations for item in plan):
        raise NothingSelected("no suite has an implementation")
    chosen = request.selection.clauses
    if chosen and not any(request.selection.wants([cid]) for item in plan
                          for cid in item.suite.clause_ids()):
        raise NothingSelected("no clause of the planned suites matches --clause "
                              + ", ".join(chosen))
    return plan


def execute(request: RunRequest, catalog: Catalog,
            progress: Callable[[str], None] = lambda _msg: None,
            stop: StopFlag | None = None) -> Results:
    """Run ``request`` in a private temp folder (raises NothingSelected on an empty plan).

    ``stop`` is the run's interruption flag (``interrupts.catching`` gives one wired to
    SIGINT/SIGTERM); the temp folder is removed whether the run ends or is interrupted."""
    with tempfile.TemporaryDirectory(prefix="oci-conform-") as tmp:
        ctx = RunContext(catalog=catalog, workdir=Path(tmp), selection=request.selection,
                         jobs=request.jobs, spec_versions=dict(request.spec_versions),
                         runtime=request.runtime, registry=request.registry,
                         progress=progress, debug=request.debug, stop=stop or StopFlag())
        return run_plan(_plan(request, ctx), ctx, list(request.command), request.costs)


def execute_catching(request: RunRequest, catalog: Catalog,
                     progress: Callable[[str], None] = lambda _msg: None) -> Results:
    """``execute`` with SIGINT and SIGTERM handled (``interrupts.catching``): what commands
    that run cases call, so an interrupted run still returns its results so far."""
    with catching() as stop:
        return execute(request, catalog, progress, stop)
