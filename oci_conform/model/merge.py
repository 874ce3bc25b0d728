"""Merge the results of several runs (say one CI job per runtime or per machine) into one.

The rule for a case that comes more than once -- the same (clause, implementation, case):

1. a judged outcome beats ``error`` (an error only says the harness could not judge);
2. otherwise the result from the run that *finished* later wins;
3. on equal finish times, the input given later on the command line wins.

Implementations are unioned by name. The same name with two different versions, both
available, is a conflict (the merged column would mix two programs): ``MergeError``. An
available entry beats an unavailable one. Clauses are unioned (later input wins). Harness
errors are unioned. Each input's provenance is kept in ``merged_from`` (inputs that were
themselves merged contribute their own ``merged_from`` entries, so provenance stays flat).

``Merger`` applies these rules one run at a time and one case at a time, so a caller can
stream its inputs (``oci_conform.merge_files`` never holds two inputs at once); ``merge``
is the same rules over results already in memory.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation, Results

T = TypeVar("T")
CaseKey = Hashable      # one per (clause, implementation, case); see case_key


class MergeError(ValueError):
    """Inputs that cannot be combined into one honest matrix."""


@dataclass(frozen=True)
class Source:
    """One input: a name for messages and provenance, and its results."""

    name: str
    results: Results


def case_key(clause: str, implementation: str, case: str) -> str:
    """(clause, implementation, case) as one string, lengths first so no two triples meet:
    one object per case instead of a tuple of three, for merges of 100,000 cases."""
    return f"{len(clause)}:{clause}{len(implementation)}:{implementation}{case}"


def _provenance(name: str, run: Results, count: int) -> list[dict[str, Any]]:
    if run.merged_from:
        return [dict(entry) for entry in run.merged_from]
    return [{"source": name, "tool_version": run.tool_version,
             "catalog_version": run.catalog_version, "started": run.started,
             "finished": run.finished, "command": run.command, "host": run.host,
             "specs": run.specs, "complete": run.complete,
             "implementations": [i.name for i in run.implementations], "results": count}]


class Merger(Generic[T]):
    """The merge rules applied incrementally: ``add_run`` once per input (its provenance,
    implementations, clauses), ``offer`` once per case; ``chosen`` gives the winning cases in
    the order their keys were first seen, ``head`` the merged document without its cases."""

    def __init__(self) -> None:
        self._cases: dict[CaseKey, tuple[bool, str, int, T]] = {}
        self._impls: dict[str, tuple[Implementation, str]] = {}
        self._host: dict[str, list[Any]] = {}
        self._clauses: dict[str, Any] = {}
        self._specs: dict[str, str] = {}
        self._harness: list[str] = []
        self._provenance: list[dict[str, Any]] = []
        self._started: list[str] = []
        self._finished: list[str] = []
        self._latest: tuple[str, str, str] | None = None   # (finished or started, tool, catalog)

    def offer(self, key: CaseKey, outcome: Outcome, finished: str, order: int, item: T) -> None:
        """Consider one case of input number ``order`` (the run finished at ``finished``)."""
        error = outcome is Outcome.ERROR
        old = self._cases.get(key)
        if old is None or (old[0] and not error) or (
                old[0] == error and (finished, order) >= (old[1], old[2])):
            self._cases[key] = (error, finished, order, item)

    def add_run(self, name: str, run: Results, count: int) -> None:
        """Everything of one input but its cases (``count`` of them, for provenance); raises
        MergeError when its implementations conflict with an earlier input's."""
        for impl in run.implementations:
            self._add_implementation(impl, name)
        for key, value in run.host.items():
            values = self._host.setdefault(key, [])
            if value not in values:
                values.append(value)
        self._clauses.update(run.clauses)
        self._specs.update(run.specs)
        self._harness.extend(e for e in run.incomplete_reasons() if e not in self._harness)
        self._provenance.extend(_provenance(name, run, count))
        self._started.append(run.started)
        self._finished.append(run.finished)
        stamp = run.finished or run.started
        if self._latest is None or stamp > self._latest[0]:
            self._latest = (stamp, run.tool_version, run.catalog_version)

    def _add_implementation(self, impl: Implementation, where: str) -> None:
        seen = self._impls.get(impl.name)
        if seen is None:
            self._impls[impl.name] = (impl, where)
            return
        old, first = seen
        if old.available and impl.available and old.version and impl.version \
                and old.version != impl.version:
            raise MergeError(
                f"implementation {impl.name!r} is version {old.version} in {first} but "
                f"{impl.version} in {where}; give the columns distinct names")
        if impl.available or not old.available:
            self._impls[impl.name] = (impl, where)

    def chosen(self) -> Iterator[T]:
        return (entry[3] for entry in self._cases.values())

    def __len__(self) -> int:
        return len(self._cases)

    def head(self, command: Sequence[str] = ()) -> Results:
        """The merged document without its cases (raises MergeError when nothing was added)."""
        if self._latest is None:
            raise MergeError("nothing to merge")
        host = {k: v[0] if len(v) == 1 else ", ".join(map(str, v)) for k, v in self._host.items()}
        return Results(
            tool_version=self._latest[1], catalog_version=self._latest[2],
            started=min(self._started), finished=max(self._finished), host=host,
            specs=dict(self._specs), implementations=[i for i, _ in self._impls.values()],
            clauses=dict(self._clauses), results=[], harness_errors=list(self._harness),
            command=list(command), merged_from=list(self._provenance))


def merge(sources: Sequence[Source], command: Sequence[str] = ()) -> Results:
    """One Results from many (raises MergeError on conflicting implementations)."""
    if not sources:
        raise MergeError("nothing to merge")
    merger: Merger[CaseResult] = Merger()
    for order, src in enumerate(sources):
        run = src.results
        merger.add_run(src.name, run, len(run.results))
        for r in run.results:
            merger.offer(case_key(r.clause, r.implementation, r.case), r.outcome, run.finished,
                         order, r)
    merged = merger.head(command)
    merged.results = list(merger.chosen())
    return merged
