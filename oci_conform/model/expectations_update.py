"""Refresh an expectations list from a run: pure (results and entries in, entries and notes out).

For each implementation of the run in scope (its version taken from the results):

- an entry for a case that still fails is kept as written (reason and link kept);
- a clause-only entry is split into one entry per failing case, each with its reason and link;
- an entry whose case (or, clause-only, every case) now passes is stale and dropped (an
  ``intermittent`` one is kept: one pass does not show it fixed); so is an
  entry whose clause the catalog no longer has, or whose case no longer judges its clause
  while other cases of the clause ran;
- an entry the run says nothing about (clause not run, case skipped or in error, another
  implementation or version) is kept, with a note;
- each failure no entry covers gets a new entry with ``PLACEHOLDER`` as its reason (unless
  ``add_new`` is false), in clause and case order after the kept ones.

An ``xfail`` in the results counts as the failure it was, an ``xpass`` as the pass.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from oci_conform.model.expectations import PLACEHOLDER, Expectation, case_name
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results

_AS_RUN = {Outcome.XFAIL: Outcome.FAIL, Outcome.XPASS: Outcome.PASS}


class Change(StrEnum):
    STALE = "stale"        # dropped: the failure it expected is gone
    KEPT = "kept"          # kept although the run could not confirm it
    SPLIT = "split"        # a clause-only entry written as per-case entries
    NEW = "new"            # a failure no entry covered: reason to be filled in


@dataclass(frozen=True)
class Note:
    """One expectation an update touched, and what it says about it."""

    change: Change
    entry: Expectation
    detail: str

    def line(self) -> str:
        e = self.entry
        case = f" [{e.case}]" if e.case else ""
        return f"{self.change.value}: {e.implementation} {e.clause}{case}: {self.detail}"


@dataclass
class Update:
    """The refreshed expectations and the notes on what changed."""

    entries: list[Expectation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def count(self, change: Change) -> int:
        return sum(1 for n in self.notes if n.change is change)


def _as_run(r: CaseResult) -> Outcome:
    return _AS_RUN.get(r.outcome, r.outcome)


class _Run:
    """The run's outcomes of the implementations in scope, by (implementation, clause)."""

    def __init__(self, results: Results, names: Collection[str]):
        self.versions = {i.name: i.version for i in results.implementations
                         if i.available and (not names or i.name in names)}
        self.cells: dict[tuple[str, str], list[CaseResult]] = {}
        for r in results.results:
            if r.implementation in self.versions:
                self.cells.setdefault((r.implementation, r.clause), []).append(r)

    def failures(self) -> Iterable[CaseResult]:
        for cell in self.cells.values():
            yield from (r for r in cell if _as_run(r) is Outcome.FAIL)


def _version_for(impl: str, version: str, entries: Iterable[Expectation]) -> str:
    """The version new entries of ``impl`` get: the one its matching entries already use
    (``1.1.5*`` for ``1.1.5+ds1``), else the run's exact version."""
    for e in entries:
        if e.implementation == impl and e.version and e.version_matches(version):
            return e.version
    return version


def _refresh(e: Expectation, run: _Run, known: Collection[str],
             out: Update) -> list[Expectation]:
    """What one existing entry becomes (kept, split, or nothing), with its note."""
    if e.implementation not in run.versions:
        return [e]
    version = run.versions[e.implementation]
    if not e.version_matches(version):
        out.notes.append(Note(Change.KEPT, e, f"for version {e.version}; the run has {version}"))
        return [e]
    if known and e.clause not in known:
        out.notes.append(Note(Change.STALE, e, "the clause is no longer in the catalog "
                                               "(dropped)"))
        return []
    cell = run.cells.get((e.implementation, e.clause), [])
    if not cell:
        out.notes.append(Note(Change.KEPT, e, "the clause was not run"))
        return [e]
    mine = [r for r in cell if e.case_matches(r.case)]
    if not mine:
        out.notes.append(Note(Change.STALE, e, "the case no longer judges this clause "
                                               "(dropped)"))
        return []
    failing = [r for r in mine if _as_run(r) is Outcome.FAIL]
    if failing and e.case:
        return [e]
    if failing:
        split = [replace(e, case=r.case) for r in failing]
        out.notes.append(Note(Change.SPLIT, e, "written per case: "
                              + ", ".join(s.case for s in split)))
        return split
    if any(_as_run(r) is Outcome.PASS for r in mine) and e.intermittent:
        out.notes.append(Note(Change.KEPT, e, "passed in this run (intermittent)"))
        return [e]
    if any(_as_run(r) is Outcome.PASS for r in mine):
        out.notes.append(Note(Change.STALE, e, "now passes (dropped)"))
        return []
    seen = ", ".join(sorted({r.outcome.value for r in mine}))
    out.notes.append(Note(Change.KEPT, e, f"not judged in this run ({seen})"))
    return [e]


def _key(e: Expectation) -> tuple[str, str, str, str]:
    return (e.implementation, e.version, e.clause, case_name(e.case))


def update_expectations(results: Results, existing: Iterable[Expectation], *,
                        implementations: Collection[str] = (), known_clauses:
                        Collection[str] = (), add_new: bool = True) -> Update:
    """The refreshed entries and what changed (see the module docstring).

    ``implementations``: the run's columns in scope (all when empty); ``known_clauses``: the
    catalog's clause ids (no catalog check when empty)."""
    run = _Run(results, implementations)
    before = list(existing)
    out = Update()
    # a case's own entry wins over the split of a clause-only entry of the same clause
    explicit = {_key(e) for e in before if e.case}
    taken: set[tuple[str, str, str, str]] = set()
    for e in before:
        for kept in _refresh(e, run, known_clauses, out):
            key = _key(kept)
            if key in taken or (not e.case and key in explicit):
                continue
            taken.add(key)
            out.entries.append(kept)
    if not add_new:
        return out
    by_cell: dict[tuple[str, str], list[Expectation]] = {}
    for e in out.entries:
        by_cell.setdefault((e.implementation, e.clause), []).append(e)
    fresh = []
    for r in run.failures():
        version = run.versions[r.implementation]
        cell = by_cell.setdefault((r.implementation, r.clause), [])
        if any(e.version_matches(version) and e.case_matches(r.case) for e in cell):
            continue
        entry = Expectation(r.implementation, r.clause, PLACEHOLDER,
                            version=_version_for(r.implementation, version, before), case=r.case)
        cell.append(entry)
        fresh.append(entry)
    fresh.sort(key=lambda e: (e.implementation, e.clause, e.case))
    out.entries += fresh
    out.notes += [Note(Change.NEW, e, "a new failure: write its reason") for e in fresh]
    return out
