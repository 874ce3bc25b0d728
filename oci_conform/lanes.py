"""Independent matrix columns at once, under the run's one ``--jobs`` budget.

The plan is cut into *lanes*: a suite whose columns share nothing (``PER_COLUMN``: each
runtime column has its own state root, cgroup parent, bundles and temp folder) gives one
lane per column; any other suite is one lane, its columns in order, sharing what it builds
once per run (the image suites' images, ``ctx.cache``). Each lane runs in a forked child
process, so lanes share no interpreter state (``os.environ``, the working directory, signal
handlers, module caches) and use both cores; the child sends its columns' implementations
(as the suite completed them), outcomes and harness errors back through a pipe, and the
parent puts them in plan order, so the results document is the one a sequential run makes.

Order: with the case durations of an earlier run (the matrix reads its reports folder's
results.json), the longest lanes start first, so a slow column (gVisor) does not start
last; without them, the plan's order.

The budget: at most ``jobs`` slots are busy. A lane takes one slot; the last lane to start
takes every free slot as its ``ctx.jobs`` (a runtime column then runs that many cases at
once), so the tail of a run is not left on one core.

Interruption: SIGINT from a terminal reaches every process of the group, so each lane stops
its suite itself (``ctx.stop``) and still sends what it judged; the parent starts no further
lane. A signal sent to the parent alone is passed on to the running lanes.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from oci_conform.model.results import CaseResult, Implementation, Results
from oci_conform.reaper import run_reaped
from oci_conform.suites.base import RunContext, Suite

PER_COLUMN = frozenset({"runtime"})
REAPED = frozenset({"runtime"})          # lanes whose orphans the lane reaps itself
RunColumn = Callable[[Suite, Implementation, RunContext, Results], None]
WAKE = 1.0                      # seconds: how soon a stop flag set in the parent is passed on


@dataclass
class Column:
    """One cell of the plan's order: its position, suite and implementation."""

    position: int
    suite: Suite
    impl: Implementation


@dataclass
class ColumnResults:
    """What a lane sends back for one column."""

    position: int
    impl: Implementation
    results: list[CaseResult]
    harness_errors: list[str]
    seconds: float = 0.0                  # the column's wall time in the lane


def lanes_of(plan: list[Any]) -> list[list[Column]]:
    """The plan (``orchestrate.PlanItem``s) as lanes, in plan order."""
    lanes: list[list[Column]] = []
    position = 0
    for item in plan:
        shared: list[Column] = []
        for impl in item.implementations:
            column = Column(position, item.suite, impl)
            position += 1
            if item.suite.name in PER_COLUMN:
                lanes.append([column])
            else:
                shared.append(column)
        if shared:
            lanes.append(shared)
    return lanes


def longest_first(lanes: list[list[Column]],
                  costs: Mapping[str, float]) -> list[list[Column]]:
    """The lanes, longest first by ``costs`` (seconds per implementation name, from an
    earlier run; a column it does not name counts as the median of those it does). With
    no costs the plan's order stays: the classic longest-processing-time rule needs them."""
    known = sorted(costs.values())
    if not known:
        return list(lanes)
    typical = known[len(known) // 2]
    return sorted(lanes, key=lambda lane: -sum(costs.get(c.impl.name, typical) for c in lane))


def column_costs(results: Mapping[str, Any]) -> dict[str, float]:
    """Seconds per implementation in a results document: the wall time it recorded for each
    column (``column_seconds``: setup such as daemons and image builds included), else the
    sum of its cases' durations (which leaves that setup out)."""
    recorded = results.get("column_seconds")
    if isinstance(recorded, dict) and recorded and all(
            isinstance(v, (int, float)) for v in recorded.values()):
        return {str(k): float(v) for k, v in recorded.items()}
    costs: dict[str, float] = {}
    for r in results.get("results", []):
        if isinstance(r, dict) and isinstance(r.get("implementation"), str) \
                and isinstance(r.get("duration", 0), (int, float)):
            costs[r["implementation"]] = costs.get(r["implementation"], 0.0) \
                + float(r.get("duration", 0))
    return costs


def _lane(columns: list[Column], ctx: RunContext, run_column: RunColumn,
          conn: Connection) -> None:
    """In the child: run the lane's columns, send their outcomes, exit.

    A runtime lane runs them in a child of its own while it reaps what the runtimes leave
    (``reaper.run_reaped``): a runtime that waits for its sandbox's exit then need not wait
    for PID 1 to reap it. Where no subreaper can be made, the lane runs them itself."""
    if any(c.suite.name in REAPED for c in columns):
        status = run_reaped(lambda: _run_lane(columns, ctx, run_column, conn))
        if status is not None:
            conn.close()                  # the worker sent what it judged (or EOF says not)
            if status:
                sys.exit(status)          # the lane's exit code is the worker's
            return
    _run_lane(columns, ctx, run_column, conn)


def _run_lane(columns: list[Column], ctx: RunContext, run_column: RunColumn,
              conn: Connection) -> None:
    """Run the lane's columns and send their outcomes through ``conn``."""
    sent: list[ColumnResults] = []
    stopped = ""
    try:
        for column in columns:
            if ctx.stop.is_set():
                break
            part = Results(tool_version="", catalog_version="", started="")
            began = time.monotonic()
            run_column(column.suite, column.impl, ctx, part)
            sent.append(ColumnResults(column.position, column.impl, part.results,
                                      part.harness_errors, time.monotonic() - began))
        stopped = ctx.stop.signal_name if ctx.stop.is_set() else ""
    except BaseException:      # noqa: BLE001 - whatever happens, the parent hears of it
        sent.append(ColumnResults(-1, Implementation("", ""), [],
                            [f"lane stopped: {traceback.format_exc(limit=3).strip()}"]))
    conn.send((sent, stopped))
    conn.close()


@dataclass
class _Running:
    """A lane process at work: its pipe, its columns and what it sent back."""

    process: Any
    conn: Connection
    columns: list[Column]
    slots: int
    got: tuple[list[ColumnResults], str] | None = None
    ended: bool = False                   # the pipe said EOF: the lane exited


class Scheduler:
    """Runs lanes in child processes, at most ``jobs`` slots busy, and gathers them."""

    def __init__(self, lanes: list[list[Column]], ctx: RunContext, run_column: RunColumn):
        self.waiting = list(lanes)
        self.ctx, self.run_column = ctx, run_column
        self.running: list[_Running] = []
        self.done: list[ColumnResults] = []
        self.not_started: list[Column] = []
        self.forwarded = False
        self.mp = multiprocessing.get_context("fork")

    def _start(self) -> None:
        free = self.ctx.jobs - sum(r.slots for r in self.running)
        while self.waiting and free > 0 and not self.ctx.stop.is_set():
            columns = self.waiting.pop(0)
            slots = free if not self.waiting else 1
            lane_ctx = dataclasses.replace(self.ctx, jobs=slots)
            names = ", ".join(f"{c.suite.name}:{c.impl.name}" for c in columns)
            self.ctx.progress(f"[matrix] lane started ({slots} job{'s' * (slots > 1)}): "
                              f"{names}")
            ours, theirs = self.mp.Pipe(duplex=False)
            process = self.mp.Process(target=_lane, args=(columns, lane_ctx, self.run_column,
                                                          theirs), daemon=False)
            process.start()
            theirs.close()
            self.running.append(_Running(process, ours, columns, slots))
            free -= slots

    def _collect(self, lane: _Running) -> None:
        lane.process.join()
        sent, stopped = lane.got or ([], "")
        if stopped:
            self.ctx.stop.set(stopped)
        seen = {o.position for o in sent}
        self.done.extend(o for o in sent if o.position >= 0)
        errors = [e for o in sent if o.position < 0 for e in o.harness_errors]
        for column in lane.columns:
            if column.position in seen:
                continue
            if lane.got is not None and stopped and not errors:
                self.not_started.append(column)      # the lane stopped before it
                continue
            why = errors[0] if errors else (f"lane process ended with exit code "
                                            f"{lane.process.exitcode} and sent nothing")
            self.done.append(ColumnResults(column.position, column.impl, [],
                                     [f"suite {column.suite.name} on {column.impl.name} "
                                      f"stopped: {why}"]))

    def _forward_stop(self) -> None:
        """A stop the children may not have seen (a signal to the parent alone)."""
        if self.ctx.stop.is_set() and not self.forwarded:
            self.forwarded = True
            for lane in self.running:
                if lane.process.pid:
                    try:
                        os.kill(lane.process.pid, signal.SIGINT)
                    except ProcessLookupError:
                        pass

    def run(self) -> tuple[list[ColumnResults], list[Column]]:
        """Every lane run (or, once stopped, left); outcomes by plan position.

        Only the pipes are waited on: each child holds the one write end of its pipe, so its
        message, or its end however it came, makes the pipe readable. The wait wakes every
        ``WAKE`` seconds only to pass on a stop flag set in the parent."""
        from oci_conform.interrupts import Interrupted
        self._start()
        while self.running:
            try:
                with self.ctx.stop.hard_stop_zone():
                    ready = wait([r.conn for r in self.running], timeout=WAKE)
            except Interrupted:
                ready = []                           # keep gathering what the lanes judged
            for lane in list(self.running):
                if lane.conn not in ready:
                    continue
                try:
                    lane.got = lane.conn.recv()
                except (EOFError, OSError):
                    lane.ended = True
                self.running.remove(lane)
                lane.conn.close()
                self._collect(lane)
            self._forward_stop()
            self._start()
        self.not_started.extend(c for lane in self.waiting for c in lane)
        return sorted(self.done, key=lambda o: o.position), self.not_started
